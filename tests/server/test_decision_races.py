"""Decisions that check and then write cannot both win when two seats make them at
once, in a project file and on a server: real processes race (released together, each
a line on its standard input), and what is stored afterwards is checked.

- two seats finalising: one list, the other told the list is finalised, nothing of it;
- an adjustment racing the finalising: in the locked list, or refused;
- two adjustments of one dossier: each one's tier "before" is the tier then in force;
- formal-review decisions on one dossier (two overrides of a check, two supplement
  deadlines, two runs of the checks of a dossier not reviewed yet, a run and an
  override): one override row, one review, each audit "before" the decision it
  replaced, and the stored verdict the one that the overrides in force give;
- and a decision computes the list again while other seats save, then reports busy.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from review_desk import ranking, ranking_decisions
from review_desk.formal_review import apply_overrides, evaluate, verdict_of
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.exchange.test_return_members import _race, _stop, _workers
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server

# One line of JSON in, one out: the decision named by "do" on the project at "project"
# (opened once per process), with its arguments.
WORKER = """
import json, sys
from datetime import datetime
from review_desk import formal_review, ranking_decisions
from review_desk.errors import UserError
from review_desk.project import Project
projects = {}
print("READY", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    do, where = job.pop("do"), job.pop("project")
    project = projects.get(where) or projects.setdefault(where, Project(where))
    try:
        if do == "finalise":
            value = ranking_decisions.finalise(project)
        elif do == "adjust":
            value = ranking_decisions.adjust(project, job["dossier"], job["tier"], job["reason"])
        elif do == "override":
            formal_review.override(
                project, job["dossier"], job["check"], job["result"], job["reason"]
            )
            value = None
        elif do == "supplement":
            deadline = datetime.fromisoformat(job["deadline"])
            formal_review.request_supplement(project, job["dossier"], deadline)
            value = None
        elif do == "review":
            formal_review.run_review(project, dossier_ids=[job["dossier"]])
            value = None
        print(json.dumps({"ok": value}), flush=True)
    except UserError as error:
        print(json.dumps({"refused": type(error).__name__, "message": str(error)}), flush=True)
    except Exception as error:
        print(json.dumps({"raw": type(error).__name__, "message": str(error)[:300]}), flush=True)
"""

_keys = itertools.count(1)
# Login roles are the server's, shared by every project on it: names of this module's own.
PASSWORD = "races-password"
LOGINS = {
    "committee": ("races.chen", "races.li"),
    "agency": ("races.zhang",),
    "reviewer:industry": ("races.wang",),
    "reviewer:development": ("races.zhao",),
    "reviewer:education": ("races.sun",),
}


@dataclass
class Seats:
    """A project ready to finalise: ``admin`` opens it for the checks, ``seat(capacity,
    n)`` for the n-th racing process (on a server: a login of that capacity)."""

    admin: str
    logins: dict[str, tuple[str, ...]]

    def seat(self, capacity: str, number: int = 0) -> str:
        return self.logins[capacity][number] if self.logins else self.admin


@pytest.fixture(scope="module")
def ready_source(explained_source: Path) -> Path:
    """The demo with every deviation explained: nothing blocks finalising (the suite's,
    built once per run)."""
    return explained_source


# The server's twin runs in the suite's PostgreSQL run (tests/backends.py).
@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql_pass)],
)
def project(
    request: pytest.FixtureRequest,
    ready_source: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Seats:
    """The ready project in a file, or on a server with an account per seat; shared by
    this module's tests on that backend (each test starts from what it needs)."""
    if request.param == "sqlite":
        return Seats(
            str(copy_project(ready_source, tmp_path_factory.mktemp("races") / "r.rdp")), {}
        )
    from review_desk.server.accounts import add_user, parse_capacity

    cluster: Cluster = request.getfixturevalue("pg_cluster")
    made = demo_on_server(cluster, f"races{next(_keys)}", ready_source)
    urls: dict[str, tuple[str, ...]] = {}
    for capacity, logins in LOGINS.items():
        for login in logins:
            add_user(made.url, login, parse_capacity(capacity), PASSWORD)
        urls[capacity] = tuple(cluster.url(made.database, x, PASSWORD) for x in logins)
    return Seats(made.url, urls)


@pytest.fixture(scope="module")
def workers() -> Iterator[list[Any]]:
    """Two processes, each taking one decision per line it is sent."""
    running = _workers(WORKER)
    yield running
    _stop(running)


def _send(workers: list[Any], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Release the jobs together, one per worker; return each one's answer."""
    return [json.loads(a) for a in _race(workers, [json.dumps(j) for j in jobs])]


def _reopen(admin: str) -> None:
    """Take the finalised list away so that the next round can race to finalise again
    (the test's own doing: the app has no way to)."""
    with Project(admin) as project, project.transaction() as session:
        session.execute(delete(m.FinalList))


def _count(admin: str, model: type[m.Base], *where: Any) -> int:
    with Project(admin) as project, project.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _newest_entry(admin: str) -> int:
    with Project(admin) as project, project.reading() as session:
        return int(session.scalar(select(func.max(m.AuditLog.id))) or 0)


def _logged(admin: str, action: str, entity_id: object, after: int) -> list[m.AuditLog]:
    """The audit entries of ``action`` on ``entity_id`` written after entry ``after``."""
    with Project(admin) as project, project.reading() as session:
        return list(
            session.scalars(
                select(m.AuditLog)
                .where(
                    m.AuditLog.action == action,
                    m.AuditLog.entity_id == str(entity_id),
                    m.AuditLog.id > after,
                )
                .order_by(m.AuditLog.id)
            )
        )


def test_two_seats_finalising_at_once_lock_one_list(project: Seats, workers: list[Any]) -> None:
    seats = [project.seat("committee", n) for n in (0, 1)]
    for round_ in range(6):
        _reopen(project.admin)
        entries = _count(project.admin, m.AuditLog, m.AuditLog.action == "ranking.finalise")
        answers = _send(workers, [{"do": "finalise", "project": seat} for seat in seats])
        won = [a for a in answers if "ok" in a]
        lost = [a for a in answers if "ok" not in a]
        assert len(won) == 1 and len(lost) == 1, (round_, answers)
        assert lost[0] == {"refused": "RankingError", "message": "名单已定稿。"}, answers
        assert _count(project.admin, m.FinalList) == 1, (round_, answers)
        finalised = _count(project.admin, m.AuditLog, m.AuditLog.action == "ranking.finalise")
        assert finalised == entries + 1, answers
    with Project(project.admin) as opened:
        assert opened.verify_audit().intact


def _list(admin: str) -> ranking.RankResult:
    with Project(admin) as opened:
        return ranking.compute(opened, resamples=0)


def _tier(admin: str, dossier: int) -> str:
    """The dossier's tier in force now."""
    table = _list(admin).table
    return str(table[table["dossier_id"] == dossier].iloc[0]["adjusted_tier"])


def _other(tier: str) -> str:
    return "municipal" if tier == "provincial" else "provincial"


def test_an_adjustment_racing_the_finalising_is_in_the_list_or_refused(
    project: Seats, workers: list[Any]
) -> None:
    dossier = int(_list(project.admin).table.iloc[3]["dossier_id"])
    for round_ in range(6):
        _reopen(project.admin)
        tier = _other(_tier(project.admin, dossier))
        adjustments = _count(project.admin, m.CommitteeAdjustment)
        finalise = {"do": "finalise", "project": project.seat("committee", round_ % 2)}
        adjust = {
            "do": "adjust",
            "project": project.seat("committee", 1 - round_ % 2),
            "dossier": dossier,
            "tier": tier,
            "reason": "联席会议复议调整",
        }
        finalised, adjusted = _send(workers, [finalise, adjust])
        assert "ok" in finalised, (round_, finalised, adjusted)
        assert _count(project.admin, m.FinalList) == 1, (round_, adjusted)
        now = _list(project.admin)
        assert now.finalised is not None and now.finalised.changed_since == (), (round_, adjusted)
        if "ok" in adjusted:
            assert _count(project.admin, m.CommitteeAdjustment) == adjustments + 1
            assert _tier(project.admin, dossier) == tier, (round_, adjusted)
        else:
            assert adjusted["message"] == "名单已定稿并锁定。", (round_, adjusted)
            assert _count(project.admin, m.CommitteeAdjustment) == adjustments


def test_two_adjustments_of_one_dossier_each_record_the_tier_in_force(
    project: Seats, workers: list[Any]
) -> None:
    _reopen(project.admin)
    dossier = int(_list(project.admin).table.iloc[5]["dossier_id"])
    in_force = _tier(project.admin, dossier)
    start = _newest_entry(project.admin)
    for round_ in range(8):
        answers = _send(
            workers,
            [
                {
                    "do": "adjust",
                    "project": project.seat("committee", n),
                    "dossier": dossier,
                    "tier": tier,
                    "reason": f"联席会议第{round_}轮复议",
                }
                for n, tier in enumerate(("provincial", "municipal"))
            ],
        )
        assert all("ok" in a for a in answers), (round_, answers)
    logged = _logged(project.admin, "committee.adjust", dossier, start)
    with Project(project.admin) as opened, opened.reading() as session:
        made = session.scalars(
            select(m.CommitteeAdjustment)
            .where(m.CommitteeAdjustment.dossier_id == dossier)
            .order_by(m.CommitteeAdjustment.id)
        ).all()
    assert len(made) == len(logged) == 16
    for adjustment, entry in zip(made, logged, strict=True):
        assert adjustment.from_tier == in_force, [(a.from_tier, a.to_tier) for a in made]
        assert entry.before == {"tier": in_force}
        in_force = adjustment.to_tier


# Formal review: the agency and the department's reviewer deciding on one dossier.


@dataclass(frozen=True)
class Reviewed:
    """A dossier under 需补正, a check of it a reviewer may decide, and the two seats
    deciding on it (on a server: the agency and the reviewer of its department)."""

    dossier: int
    code: str
    check: str
    seats: tuple[str, str]


def _reviewed(project: Seats, ready: Path, number: int) -> Reviewed:
    """The ``number``-th dossier under 需补正 in the ready demo (each test its own, as
    the tests that share the project change their verdicts)."""
    with Project(ready, read_only=True) as opened, opened.reading() as session:
        review = session.scalars(
            select(m.FormalReview)
            .where(m.FormalReview.verdict == "supplement")
            .order_by(m.FormalReview.dossier_id)
            .offset(number)
        ).first()
        assert review is not None
        dossier = session.get(m.Dossier, review.dossier_id)
        assert dossier is not None
        check = next(c.id for c in evaluate(dossier, None) if c.id.startswith("item:"))
        reviewer = project.seat(f"reviewer:{review.department}")
        return Reviewed(dossier.id, dossier.code, check, (project.seat("agency"), reviewer))


def _stored_verdict_is_the_overrides_verdict(admin: str, dossier: int) -> None:
    with Project(admin) as opened, opened.reading() as session:
        deadline = session.scalars(select(m.ReviewProject.deadline)).one()
        loaded = session.get(m.Dossier, dossier)
        assert loaded is not None
        overrides = session.scalars(
            select(m.FormalOverride).where(m.FormalOverride.dossier_id == dossier)
        ).all()
        expected = verdict_of(apply_overrides(evaluate(loaded, deadline), overrides))
        stored = session.scalars(
            select(m.FormalReview.verdict).where(m.FormalReview.dossier_id == dossier)
        ).one()
    assert stored == (expected.value if expected is not None else None)


def test_two_reviewers_deciding_one_check_at_once(
    project: Seats, workers: list[Any], ready_source: Path
) -> None:
    target = _reviewed(project, ready_source, 0)
    start = _newest_entry(project.admin)
    for round_ in range(8):
        answers = _send(
            workers,
            [
                {
                    "do": "override",
                    "project": seat,
                    "dossier": target.dossier,
                    "check": target.check,
                    "result": result,
                    "reason": f"第{round_}轮：{why}",
                }
                for seat, result, why in zip(
                    target.seats, ("pass", "fail"), ("原件已核验", "缺少盖章页"), strict=True
                )
            ],
        )
        assert all("ok" in a for a in answers), (round_, answers)
        _stored_verdict_is_the_overrides_verdict(project.admin, target.dossier)
    entries = _logged(project.admin, "formal_review.override", target.code, start)
    assert len(entries) == 16
    for earlier, later in itertools.pairwise(entries):
        assert later.before == earlier.after, (earlier.after, later.before)
    overrides = _count(
        project.admin, m.FormalOverride, m.FormalOverride.dossier_id == target.dossier
    )
    assert overrides == 1


def test_two_supplement_deadlines_at_once(
    project: Seats, workers: list[Any], ready_source: Path
) -> None:
    target = _reviewed(project, ready_source, 1)
    start = _newest_entry(project.admin)
    first = datetime(2026, 4, 1, 17, tzinfo=UTC)
    for round_ in range(6):
        answers = _send(
            workers,
            [
                {
                    "do": "supplement",
                    "project": seat,
                    "dossier": target.dossier,
                    "deadline": (first + timedelta(days=2 * round_ + n)).isoformat(),
                }
                for n, seat in enumerate(target.seats)
            ],
        )
        assert all("ok" in a for a in answers), (round_, answers)
    entries = _logged(project.admin, "formal_review.supplement_request", target.code, start)
    assert len(entries) == 12
    for earlier, later in itertools.pairwise(entries):
        assert later.before == {"deadline": earlier.after["deadline"]}, (earlier, later)


def test_two_runs_of_the_checks_at_once_and_a_decision_racing_a_run(
    project: Seats, workers: list[Any], ready_source: Path
) -> None:
    target = _reviewed(project, ready_source, 2)
    review = {"do": "review", "dossier": target.dossier}
    for round_ in range(6):
        # A dossier not reviewed yet (as after an intake), reviewed from two seats at once.
        with Project(project.admin) as opened, opened.transaction() as session:
            session.execute(
                delete(m.FormalReview).where(m.FormalReview.dossier_id == target.dossier)
            )
        start = _newest_entry(project.admin)
        answers = _send(workers, [{**review, "project": seat} for seat in target.seats])
        assert all("ok" in a for a in answers), (round_, answers)
        verdicts = _logged(project.admin, "formal_review.verdict", target.code, start)
        assert [e.before for e in verdicts] == [None], (round_, answers)
    for round_ in range(6):
        answers = _send(
            workers,
            [
                {**review, "project": target.seats[0]},
                {
                    "do": "override",
                    "project": target.seats[1],
                    "dossier": target.dossier,
                    "check": target.check,
                    "result": "pass" if round_ % 2 else "fail",
                    "reason": f"第{round_}轮复核意见",
                },
            ],
        )
        assert all("ok" in a for a in answers), (round_, answers)
        _stored_verdict_is_the_overrides_verdict(project.admin, target.dossier)


def test_a_decision_computes_again_while_other_seats_save_then_reports_busy(
    project: Seats, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another seat saving while the list is computed (here: after each computation)
    makes the decision compute again; when it never stops, the seat is told the project
    is busy and nothing is written."""
    from review_desk import audit
    from review_desk.storage.locking import ProjectBusy

    _reopen(project.admin)
    computed = ranking_decisions._current
    saves = {"left": 2}

    def computing_while_another_seat_saves(opened: Project, options: Any) -> Any:
        result = computed(opened, options)
        if saves["left"]:
            saves["left"] -= 1
            with opened.transaction() as session:
                audit.record(session, actor="agency", action="test.save", entity="test")
        return result

    monkeypatch.setattr(ranking_decisions, "_current", computing_while_another_seat_saves)
    dossier = int(_list(project.admin).table.iloc[7]["dossier_id"])
    tier = _other(_tier(project.admin, dossier))
    adjustments = _count(project.admin, m.CommitteeAdjustment)
    with Project(project.admin) as opened:
        ranking_decisions.adjust(opened, dossier, tier, "联席会议复议调整")
        assert saves["left"] == 0 and _tier(project.admin, dossier) == tier
        saves["left"] = ranking_decisions.ATTEMPTS
        with pytest.raises(ProjectBusy, match="计算名单期间名单已发生变化"):
            ranking_decisions.adjust(opened, dossier, _other(tier), "联席会议复议调整")
    assert _count(project.admin, m.CommitteeAdjustment) == adjustments + 1
