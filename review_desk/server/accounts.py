"""``review-desk server user add|list|disable``: people's accounts in a project on a
server. Each account is a PostgreSQL login role with a SCRAM password, a member of the
project's group for its kind, and a row of ``server_account`` saying whose it is (the
expert, the reviewing department). Passwords go to the server only: nothing here keeps
them. Commands connect to the project's database as a role that may create roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.formal_review import DEVELOPMENT, EDUCATION, INDUSTRY, department_label
from review_desk.i18n import _, tr
from review_desk.server.create import GROUPS, ServerError, group_role
from review_desk.server.engine import refusal, server_engine
from review_desk.storage import models as m

_LOGIN = re.compile(r"[a-z][a-z0-9_.]{0,62}")
DEPARTMENTS = (EDUCATION, INDUSTRY, DEVELOPMENT)
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Capacity:
    """In what capacity an account acts: its kind, and a reviewer's department or an
    expert's id."""

    kind: str
    department: str | None = None
    expert_id: int | None = None

    def describe(self) -> str:
        """As shown to users."""
        names = {
            "agency": _("Agency"),
            "reviewer": _("Formal reviewer"),
            "expert": _("Expert"),
            "committee": _("Committee"),
        }
        if self.kind == "reviewer" and self.department:
            return f"{names['reviewer']}（{department_label(self.department)}）"
        if self.kind == "expert" and self.expert_id is not None:
            return f"{names['expert']} #{self.expert_id}"
        return names[self.kind]


@dataclass(frozen=True)
class Account:
    """An account as listed."""

    login: str
    capacity: Capacity
    display_name: str
    disabled: bool
    can_log_in: bool


def parse_capacity(text: str) -> Capacity:
    """``agency``, ``committee``, ``reviewer:DEPARTMENT`` or ``expert:ID``."""
    kind, _sep, detail = text.strip().partition(":")
    if kind in ("agency", "committee") and not detail:
        return Capacity(kind)
    if kind == "reviewer" and detail in DEPARTMENTS:
        return Capacity(kind, department=detail)
    if kind == "expert" and detail.isdigit():
        return Capacity(kind, expert_id=int(detail))
    raise ServerError(
        tr(
            "Not a role: {text}. Use agency, committee, reviewer:DEPARTMENT ({departments}) "
            "or expert:ID.",
            text=text,
            departments=", ".join(DEPARTMENTS),
        )
    )


def _check_login(login: str) -> str:
    if not _LOGIN.fullmatch(login):
        raise ServerError(
            tr(
                "The login name {login} must start with a lower-case letter and hold only "
                "lower-case letters, digits, _ and . (at most 63).",
                login=login,
            )
        )
    return login


def _project_key(engine: sa.Engine) -> str:
    database = make_url(str(engine.url)).database or ""
    if not database.startswith("rd_"):
        raise ServerError(
            tr("{database} is not a project database made by server create.", database=database)
        )
    return database.removeprefix("rd_")


def _engine(project_url: str) -> sa.Engine:
    return server_engine(project_url, ServerError)


def add_user(
    project_url: str, login: str, capacity: Capacity, password: str, *, display_name: str = ""
) -> Account:
    """Create the login ``login`` with ``password`` (or, when it exists on the server
    already, for another project, keep its password) in the project's group for
    ``capacity``, and record whose it is. Refuses an account the project has already."""
    _check_login(login)
    if len(password) < MIN_PASSWORD:
        raise ServerError(
            tr("The password must have at least {count} characters.", count=MIN_PASSWORD)
        )
    engine = _engine(project_url)
    try:
        key = _project_key(engine)
        actor = make_url(str(engine.url)).username or "admin"
        # One transaction (PostgreSQL creates roles transactionally): the login, its
        # group, the account row and the audit entry, or none of them.
        with Session(engine) as session, session.begin():
            if session.get(m.ServerAccount, login) is not None:
                raise ServerError(tr("The project has an account {login} already.", login=login))
            if capacity.expert_id is not None and session.get(m.Expert, capacity.expert_id) is None:
                raise ServerError(tr("The project has no expert #{id}.", id=capacity.expert_id))
            connection = session.connection()
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": login}
            ).first()
            connection.exec_driver_sql("SET LOCAL password_encryption = 'scram-sha-256'")
            if not exists:
                # A password cannot be a bound parameter of CREATE ROLE: it goes in as a
                # literal, quoted by the dialect.
                literal = sa.literal(password).compile(
                    dialect=connection.dialect, compile_kwargs={"literal_binds": True}
                )
                connection.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN PASSWORD {literal}')
            connection.exec_driver_sql(f'GRANT "{group_role(key, capacity.kind)}" TO "{login}"')
            session.add(
                m.ServerAccount(
                    login=login,
                    kind=capacity.kind,
                    department=capacity.department,
                    expert_id=capacity.expert_id,
                    display_name=display_name,
                    disabled=False,
                    created_at=audit.utc_now(),
                )
            )
            audit.record(
                session,
                actor=actor,
                action="account.add",
                entity="server_account",
                entity_id=login,
                after={
                    "kind": capacity.kind,
                    "department": capacity.department,
                    "expert": capacity.expert_id,
                },
            )
    except sa.exc.DBAPIError as error:
        raise refusal(error, ServerError) from error
    finally:
        engine.dispose()
    return Account(login, capacity, display_name, disabled=False, can_log_in=True)


def list_users(project_url: str) -> list[Account]:
    """The project's accounts, and whether each can log in now."""
    engine = _engine(project_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT a.login, a.kind, a.department, a.expert_id, a.display_name, "
                    "a.disabled, CASE WHEN r.oid IS NULL THEN false ELSE r.rolcanlogin "
                    "AND has_database_privilege(r.oid, current_database(), 'CONNECT') END "
                    "FROM server_account a LEFT JOIN pg_roles r ON r.rolname = a.login "
                    "ORDER BY a.kind, a.login"
                )
            ).all()
    except sa.exc.DBAPIError as error:
        raise refusal(error, ServerError) from error
    finally:
        engine.dispose()
    return [
        Account(row[0], Capacity(row[1], row[2], row[3]), row[4], bool(row[5]), bool(row[6]))
        for row in rows
    ]


def disable_user(project_url: str, login: str) -> None:
    """Take ``login`` out of the project's group, so that it can no longer connect to
    the project's database, and mark the account disabled; its past work and audit
    entries stay."""
    _check_login(login)
    engine = _engine(project_url)
    try:
        with Session(engine) as session, session.begin():
            account = session.get(m.ServerAccount, login)
            if account is None:
                raise ServerError(tr("The project has no account {login}.", login=login))
            account.disabled = True
            # Out of the project's group: no longer let into this database (its login
            # may still serve the person in another project on the server).
            group = group_role(_project_key(engine), account.kind)
            session.connection().exec_driver_sql(f'REVOKE "{group}" FROM "{login}"')
            audit.record(
                session,
                actor=make_url(str(engine.url)).username or "admin",
                action="account.disable",
                entity="server_account",
                entity_id=login,
            )
    except sa.exc.DBAPIError as error:
        raise refusal(error, ServerError) from error
    finally:
        engine.dispose()


__all__ = [
    "GROUPS",
    "Account",
    "Capacity",
    "add_user",
    "disable_user",
    "list_users",
    "parse_capacity",
]
