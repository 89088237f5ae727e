"""Row-level permissions of a project on a server, enforced by PostgreSQL itself (a
desktop client can always be bypassed): who sees which rows and may write which, and
an audit log whose actor is the login that wrote the entry.

- Experts see only the dossiers assigned to them and not recused, with those dossiers'
  files; they read and write only their own score sheets (and their scores and vetoes),
  recusals, defense and inspection notes.
- A department's formal reviewers decide only the kinds of applicant the notice gives
  that department (院校 to education; enterprises and service providers to the state
  assets, industry and SME departments; the rest to development and reform).
- The agency and the committee see every row; the table grants of
  :mod:`review_desk.server.create` say what each may write (only the committee writes
  adjustments and the final list).
- Objections and their evidence are seen by the agency and the committee alone; the
  agency records and investigates them, only the committee decides one (upheld or
  dismissed).
- The pilot year (milestones, progress reports, notes) is seen by the agency and the
  committee alone; the agency writes it (the table grants), the committee reads it.
- An audit entry written by a person's login must name that login as its actor: the
  server refuses any other name. Setup by the administrator (who owns the tables) is
  not limited.

Applied by ``server create``; :func:`apply` can be run again on an existing project.
"""

from __future__ import annotations

import sqlalchemy as sa

from review_desk.formal_review import (
    _ENTERPRISES,
    _SCHOOLS,
    DEVELOPMENT,
    EDUCATION,
    INDUSTRY,
)

PILOT_TABLES = (
    "pilot_period",
    "pilot_milestone",
    "pilot_report",
    "pilot_report_milestone",
    "pilot_note",
)

# Functions the policies use: what the logged-in person is in this project.
_FUNCTIONS = """
CREATE OR REPLACE FUNCTION rd_kind() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT kind FROM server_account WHERE login = session_user AND NOT disabled $$;
CREATE OR REPLACE FUNCTION rd_expert() RETURNS integer LANGUAGE sql STABLE AS
$$ SELECT expert_id FROM server_account WHERE login = session_user AND NOT disabled $$;
CREATE OR REPLACE FUNCTION rd_department() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT department FROM server_account WHERE login = session_user AND NOT disabled $$;
CREATE OR REPLACE FUNCTION rd_sees_all() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(rd_kind() IN ('agency', 'committee', 'reviewer'), false) $$;
CREATE OR REPLACE FUNCTION rd_expert_may_see(dossier integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM assignment a WHERE a.dossier_id = dossier
                 AND a.expert_id = rd_expert())
     AND NOT EXISTS (SELECT 1 FROM recusal r WHERE r.dossier_id = dossier
                     AND r.expert_id = rd_expert())
$$;
CREATE OR REPLACE FUNCTION rd_audit_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM server_account WHERE login = session_user)
     AND NEW.actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'audit entry actor '
      || coalesce(NEW.actor, '') || ' is not the login ' || session_user;
  END IF;
  RETURN NEW;
END $$;
"""


def _department_of_kind() -> str:
    """SQL: the department code reviewing the kind of applicant ``p`` (formal_review's
    rule, the notice's section 四)."""
    schools = ", ".join(f"'{k}'" for k in sorted(_SCHOOLS))
    enterprises = ", ".join(f"'{k}'" for k in sorted(_ENTERPRISES))
    return (
        f"CASE WHEN p.kind IN ({schools}) THEN '{EDUCATION}' "
        f"WHEN p.kind IN ({enterprises}) THEN '{INDUSTRY}' ELSE '{DEVELOPMENT}' END"
    )


# Who is logged in, as the policies ask it: each a scalar subquery, which PostgreSQL
# evaluates once per statement (an init plan), where a bare call would run for every
# row; the agency's ranking reads a national round's quarter million sheets.
_SEES_ALL = "(SELECT rd_sees_all())"
_EXPERT = "(SELECT rd_expert())"
_KIND = "(SELECT rd_kind())"
_DEPARTMENT = "(SELECT rd_department())"


def _policies() -> list[tuple[str, str, str]]:
    """(table, USING, WITH CHECK) per table under row-level security."""
    # An expert's own rows, on dossiers they may see (assigned, not recused). The check
    # function runs as the owner: the policy on ``assignment`` uses it too.
    mine = f"{_SEES_ALL} OR (expert_id = {_EXPERT} AND rd_expert_may_see(dossier_id))"
    declared = f"{_SEES_ALL} OR expert_id = {_EXPERT}"
    visible = f"{_SEES_ALL} OR rd_expert_may_see(dossier_id)"
    own_sheet = (
        f"{_SEES_ALL} OR sheet_id IN (SELECT id FROM score_sheet WHERE expert_id = {_EXPERT})"
    )
    objections = f"{_KIND} IN ('agency', 'committee')"
    department = (
        f"{_KIND} IS DISTINCT FROM 'reviewer' OR (SELECT "
        f"{_department_of_kind()} FROM dossier d JOIN applicant p "
        f"ON p.id = d.lead_applicant_id WHERE d.id = dossier_id) = {_DEPARTMENT}"
    )
    return [
        ("dossier", f"{_SEES_ALL} OR rd_expert_may_see(id)", "true"),
        ("dossier_partner", visible, "true"),
        (
            "applicant",
            f"{_SEES_ALL} OR EXISTS (SELECT 1 FROM dossier d WHERE d.lead_applicant_id = "
            "applicant.id) OR EXISTS (SELECT 1 FROM dossier_partner p WHERE p.applicant_id "
            "= applicant.id)",
            "true",
        ),
        ("material", visible, "true"),
        # A file's bytes only with a material the account may see (the subquery is itself
        # limited by the policy on material).
        (
            "stored_file",
            f"{_SEES_ALL} OR EXISTS (SELECT 1 FROM material m WHERE m.sha256 = stored_file.sha256)",
            "true",
        ),
        (
            "stored_file_chunk",
            f"{_SEES_ALL} OR EXISTS (SELECT 1 FROM material m WHERE m.sha256 = "
            "stored_file_chunk.sha256)",
            "true",
        ),
        ("assignment", mine, "true"),
        ("score_sheet", mine, mine),
        ("score", own_sheet, own_sheet),
        ("veto_flag", own_sheet, own_sheet),
        ("recusal", declared, declared),
        ("defense_note", mine, mine),
        ("inspection_note", mine, mine),
        ("formal_review", visible, department),
        ("formal_override", visible, department),
        # Objections name their objectors: the agency and the committee alone see them;
        # only the committee decides one (the agency records and investigates).
        ("objection", objections, f"{_KIND} = 'committee' OR status IN ('open', 'investigating')"),
        ("objection_evidence", objections, "true"),
        # The pilot year: the agency keeps it (table grants), the committee reads it,
        # nobody else sees it.
        *((table, objections, "true") for table in PILOT_TABLES),
    ]


def apply(connection: sa.Connection) -> None:
    """Create (or replace) the functions, the row policies and the audit actor check in
    the project's database, as its owner."""
    connection.exec_driver_sql(_FUNCTIONS)
    for table, using, check in _policies():
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        connection.exec_driver_sql(f'DROP POLICY IF EXISTS rd_rows ON "{table}"')
        connection.exec_driver_sql(
            f'CREATE POLICY rd_rows ON "{table}" USING ({using}) WITH CHECK ({check})'
        )
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_actor ON audit_log")
    connection.exec_driver_sql(
        "CREATE TRIGGER audit_log_actor BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION rd_audit_actor()"
    )
