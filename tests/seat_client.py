"""Seats on a project on a PostgreSQL server: client processes, each logged in as its
own expert account (SCRAM password, over loopback TCP), saving edits to that expert's
own score sheets the way the scoring desk autosaves them, and recording each
acknowledged edit (returned without error) with its value and latency.

One place for the seat's loop, used by ``tests/server/test_multi_seat.py`` (are all
acknowledged edits there afterwards, is the audit chain intact?) and by
``benchmarks/seats.py`` (how long does an acknowledged edit take?). It lives under
``tests/`` because the benchmark already takes its throwaway cluster from
``tests/pg_cluster.py``, while the suite must not depend on the benchmark scripts.

A desk seat saves through :meth:`review_desk.sheet_changes.SheetChange.apply` (the
score-sheet service under the lock ``expert:ID``, as ``ui/widgets/sheet_saves.py``
does); a raw seat, the benchmark's floor, sends the least a save must cost from the
same account: one score row updated and one row appended, in one transaction.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import random
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

PASSWORD = "seat-password-2026"
FLOOR_TABLE = "seat_floor_log"
SHEETS_PER_SEAT = 2
READY_SECONDS = 120.0  # how long seats wait for each other to be ready


@dataclass(frozen=True)
class SeatPlan:
    """What one seat edits: its login, its expert, and per dossier the criteria it
    scores as ``(criterion id, the values it may take)``."""

    login: str
    expert_id: int
    sheets: dict[int, list[tuple[str, list[float]]]]


@dataclass(frozen=True)
class Edit:
    """An acknowledged edit: which field, the value saved, and how long the save took
    (ms); ``sheet_id`` for a raw seat, whose edits are by score row; ``warmup`` for the
    seat's first edit, made before the seats start together (the first save of a
    process compiles and prepares its statements)."""

    dossier_id: int
    criterion_id: str
    value: float
    ms: float
    sheet_id: int = 0
    warmup: bool = False


@dataclass
class SeatResult:
    """What one seat did: its acknowledged edits in order, and the errors of the saves
    that were not acknowledged (or of the seat itself)."""

    login: str
    expert_id: int
    edits: list[Edit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- setting up


def loopback_url(project_url: str, login: str, password: str = PASSWORD) -> str:
    """The URL of ``login`` to the project that ``project_url`` (the admin's, over the
    cluster's socket) reaches, over loopback TCP at the same port."""
    url = make_url(project_url)
    return URL.create(
        "postgresql+psycopg",
        username=login,
        password=password,
        host="127.0.0.1",
        port=int(str(url.query.get("port") or url.port or 5432)),
        database=url.database,
    ).render_as_string(hide_password=False)


def _available(project_url: str) -> dict[int, list[int]]:
    """Per expert, the dossiers assigned to them and not recused whose sheet is not
    submitted (as the admin sees them)."""
    engine = sa.create_engine(project_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT a.expert_id, a.dossier_id FROM assignment a "
                    "WHERE NOT EXISTS (SELECT 1 FROM recusal r WHERE r.expert_id = a.expert_id "
                    "AND r.dossier_id = a.dossier_id) AND NOT EXISTS (SELECT 1 FROM score_sheet s "
                    "WHERE s.expert_id = a.expert_id AND s.dossier_id = a.dossier_id "
                    "AND s.status = 'submitted') ORDER BY a.expert_id, a.dossier_id"
                )
            ).all()
    finally:
        engine.dispose()
    found: dict[int, list[int]] = {}
    for expert, dossier in rows:
        found.setdefault(int(expert), []).append(int(dossier))
    return found


def _add_experts(project_url: str, count: int, prefix: str) -> None:
    """``count`` more experts, through the project's own API: a roster imported, a panel
    over the direction with the most dossiers, the panel's assignments."""
    from openpyxl import Workbook

    from review_desk import panels
    from review_desk.project import Project

    with Project(project_url) as project, tempfile.TemporaryDirectory() as folder:
        roster = Path(folder) / "roster.xlsx"
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["姓名", "工作单位", "专业领域"])
        names = [f"座席专家{prefix}{i}" for i in range(count)]
        for i, name in enumerate(names):
            sheet.append([name, f"座席测试研究所{i}", "测试"])
        book.save(roster)
        imported = panels.import_roster(project, roster)
        assert imported.stored and imported.added == count, imported.issues
        with project.reading() as session:
            ids = [
                int(row[0])
                for row in session.execute(
                    sa.text("SELECT id FROM expert WHERE name LIKE :p ORDER BY id"),
                    {"p": f"座席专家{prefix}%"},
                )
            ]
            direction = session.execute(
                sa.text(
                    "SELECT direction_id FROM dossier GROUP BY direction_id "
                    "ORDER BY count(*) DESC, direction_id LIMIT 1"
                )
            ).scalar_one()
        panel = panels.create_panel(project, f"座席测试组{prefix}", ids[0], ids, [int(direction)])
        panels.assign_panel(project, panel)


def _criteria(
    project_url: str, dossiers: Sequence[int]
) -> dict[int, list[tuple[str, list[float]]]]:
    """Per dossier, the active rubric's criteria that apply to its lead applicant, each
    with the values it may take (its steps from 0 to its maximum)."""
    from review_desk.project import Project
    from review_desk.rubrics import active_rubric

    with Project(project_url, read_only=True) as project:
        rubric = active_rubric(project)
        with project.reading() as session:
            kinds = dict(
                session.execute(
                    sa.text(
                        "SELECT d.id, a.kind FROM dossier d "
                        "JOIN applicant a ON a.id = d.lead_applicant_id WHERE d.id = ANY(:ids)"
                    ),
                    {"ids": list(dossiers)},
                ).all()
            )
    found = {}
    for dossier in dossiers:
        found[dossier] = [
            (c.id, [k * c.step for k in range(round(c.max / c.step) + 1)])
            for c in rubric.criteria
            if c.applies(str(kinds[dossier]))
        ]
    return found


def prepare_seats(project_url: str, seats: int, prefix: str) -> list[SeatPlan]:
    """Give ``seats`` experts of the project at ``project_url`` (the admin's URL) an
    account each (login ``PREFIX.eID``, :data:`PASSWORD`) and a plan of the sheets they
    edit: up to :data:`SHEETS_PER_SEAT` of their unsubmitted, not recused assignments.
    Experts are added (roster, panel, assignments) when the project has too few."""
    from review_desk.server.accounts import Capacity, add_user

    available = _available(project_url)
    if len(available) < seats:
        _add_experts(project_url, seats - len(available), prefix)
        available = _available(project_url)
    chosen = sorted(available)[:seats]
    assert len(chosen) == seats, f"only {len(chosen)} experts can score"
    dossiers = {e: available[e][:SHEETS_PER_SEAT] for e in chosen}
    criteria = _criteria(project_url, sorted({d for ds in dossiers.values() for d in ds}))
    plans = []
    for expert in chosen:
        login = f"{prefix}.e{expert}"
        add_user(project_url, login, Capacity("expert", expert_id=expert), PASSWORD)
        plans.append(SeatPlan(login, expert, {d: criteria[d] for d in dossiers[expert]}))
    return plans


def add_floor_table(project_url: str, key: str) -> None:
    """The raw seats' scratch table, which the project's experts may append to."""
    from review_desk.server.create import group_role

    engine = sa.create_engine(project_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
                "(id bigserial PRIMARY KEY, login text NOT NULL, v double precision)"
            )
            group = group_role(key, "expert")
            connection.exec_driver_sql(f'GRANT INSERT ON {FLOOR_TABLE} TO "{group}"')
            connection.exec_driver_sql(f'GRANT USAGE ON SEQUENCE {FLOOR_TABLE}_id_seq TO "{group}"')
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- a seat


class _DeskSeat:
    """Saves as the scoring desk does: one Project open for the session, each edit a
    :class:`SheetChange` applied through the score-sheet service."""

    def __init__(self, url: str, plan: SeatPlan) -> None:
        from review_desk.project import Project
        from review_desk.scoring import load_sheet

        self.project = Project(url)
        self.plan = plan
        self.current: dict[tuple[int, str], float | None] = {}
        for dossier in plan.sheets:
            state = load_sheet(self.project, plan.expert_id, dossier)
            for criterion, _values in plan.sheets[dossier]:
                self.current[dossier, criterion] = state.scores.get(criterion)

    def fields(self) -> list[tuple[int, str, list[float]]]:
        return [
            (d, c, values) for d, criteria in self.plan.sheets.items() for c, values in criteria
        ]

    def save(self, dossier: int, criterion: str, value: float) -> int:
        from review_desk.sheet_changes import SCORE, SheetChange

        old = self.current[dossier, criterion]
        change = SheetChange(self.plan.expert_id, dossier, SCORE, criterion, old, value)
        change.apply(self.project, actor=f"expert:{self.plan.expert_id}")
        self.current[dossier, criterion] = value
        return 0

    def value(self, dossier: int, criterion: str) -> float | None:
        return self.current[dossier, criterion]

    def close(self) -> None:
        self.project.close()


class _RawSeat:
    """The floor: a psycopg connection as the same account, each edit one score row of
    the expert's own sheets updated and one row appended, committed."""

    def __init__(self, url: str, plan: SeatPlan) -> None:
        import psycopg

        parsed = make_url(url)
        self.connection = psycopg.connect(
            host=parsed.host,
            port=parsed.port,
            dbname=parsed.database,
            user=parsed.username,
            password=parsed.password,
        )
        self.plan = plan
        rows = self.connection.execute(
            "SELECT sh.id, sh.dossier_id, sc.criterion_id, sc.points FROM score sc "
            "JOIN score_sheet sh ON sh.id = sc.sheet_id "
            "WHERE sh.expert_id = %s AND sh.status = 'draft' AND sh.dossier_id = ANY(%s)",
            (plan.expert_id, list(plan.sheets)),
        ).fetchall()
        self.connection.commit()
        values = {(d, c): v for d, criteria in plan.sheets.items() for c, v in criteria}
        self.rows = {(d, c): (s, p) for s, d, c, p in rows if (d, c) in values}
        self._values = values
        if not self.rows:
            raise RuntimeError(f"{plan.login}: no score rows to update (run desk seats first)")

    def fields(self) -> list[tuple[int, str, list[float]]]:
        return [(d, c, self._values[d, c]) for d, c in sorted(self.rows)]

    def save(self, dossier: int, criterion: str, value: float) -> int:
        sheet, _old = self.rows[dossier, criterion]
        with self.connection.transaction():
            self.connection.execute(
                "UPDATE score SET points = %s WHERE sheet_id = %s AND criterion_id = %s",
                (value, sheet, criterion),
            )
            self.connection.execute(
                f"INSERT INTO {FLOOR_TABLE} (login, v) VALUES (%s, %s)", (self.plan.login, value)
            )
        self.rows[dossier, criterion] = (sheet, value)
        return int(sheet)

    def value(self, dossier: int, criterion: str) -> float | None:
        return self.rows[dossier, criterion][1]

    def close(self) -> None:
        self.connection.close()


def run_seat(
    url: str,
    plan: SeatPlan,
    seconds: float,
    pause_ms: float,
    raw: bool,
    seed: int,
    start: Barrier,
    out: Any,
) -> None:
    """One seat's process: log in, open its sheets, wait for the other seats, then for
    ``seconds`` save an edit (a new value of one of its fields, at random) after a
    random pause of 0 to 2 x ``pause_ms``, as a person does; put its
    :class:`SeatResult` on ``out``. The seat's first edit is made before it waits for
    the others (a warm-up, recorded as such)."""
    result = SeatResult(plan.login, plan.expert_id)
    rng = random.Random(seed)
    seat: _DeskSeat | _RawSeat | None = None

    def edit(warmup: bool = False) -> None:
        assert seat is not None
        dossier, criterion, values = rng.choice(fields)
        value = rng.choice([v for v in values if v != seat.value(dossier, criterion)])
        began = time.perf_counter()
        try:
            sheet = seat.save(dossier, criterion, value)
        except Exception as error:  # not acknowledged: the seat goes on, as a desk does
            result.errors.append(f"{type(error).__name__}: {error}")
        else:
            took = (time.perf_counter() - began) * 1000
            result.edits.append(Edit(dossier, criterion, value, took, sheet, warmup))

    try:
        seat = _RawSeat(url, plan) if raw else _DeskSeat(url, plan)
        fields = seat.fields()
        edit(warmup=True)
        start.wait(READY_SECONDS)
        deadline = time.monotonic() + seconds
        while True:
            # A pause before each edit, the first too: seats that all saved at the
            # instant they were let go would measure the start, not the autosaving.
            time.sleep(rng.uniform(0, 2 * pause_ms) / 1000)
            if time.monotonic() >= deadline:
                break
            edit()
    except BaseException:
        result.errors.append(traceback.format_exc())
        start.abort()
    finally:
        if seat is not None:
            seat.close()
        out.put(result)


def run_seats(
    urls: Sequence[str],
    plans: Sequence[SeatPlan],
    seconds: float,
    *,
    pause_ms: float = 100.0,
    raw: bool = False,
    seed: int = 1,
) -> list[SeatResult]:
    """Run one seat process per plan (``urls[i]`` its login's URL) for ``seconds``, all
    starting together once each is logged in; return their results in plan order.
    Processes come from a fork server that has imported the application once."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "review_desk.scoring", "psycopg"])
    start = context.Barrier(len(plans))
    out = context.Queue()
    processes = [
        context.Process(
            target=run_seat,
            args=(url, plan, seconds, pause_ms, raw, seed * 1000 + i, start, out),
            daemon=True,
        )
        for i, (url, plan) in enumerate(zip(urls, plans, strict=True))
    ]
    for process in processes:
        process.start()
    results: dict[str, SeatResult] = {}
    try:
        deadline = time.monotonic() + READY_SECONDS + seconds + 60
        while len(results) < len(plans):
            try:
                result = out.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue_module.Empty:
                raise TimeoutError(f"{len(plans) - len(results)} seats did not finish") from None
            results[result.login] = result
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return [results[plan.login] for plan in plans]
