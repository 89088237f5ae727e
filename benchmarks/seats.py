"""Autosave latency with 20 seats on a project on a PostgreSQL server (issue 15).

Each seat is a client process logged in as its own expert account (SCRAM password,
over loopback TCP) that saves edits to its own score sheets as the scoring desk does
(``SheetChange.apply``: the score-sheet service under the lock ``expert:ID``, the
validation, the score row, the sheet's totals, the audit entry, the commit), pausing a
random 0 to 2 x ``--pause-ms`` between edits: by default 0 to 1 s, about two saves a
second per seat, faster than the desk saves a person's typing (at most one save a
second per field, ``ui/widgets/sheet_saves.py``); every seat's first edit, made before
the seats start together, is a warm-up and not counted. The seat loop is ``tests/seat_client.py``,
the one the multi-seat test runs. Beside it, the floor measured in the same run: as
many raw psycopg connections, logged in as the same accounts, each edit one score row
updated and one row appended to a scratch table in one transaction, at the same pace.

Prints, per run and as the median of ``--runs`` runs, the median and the 99th
percentile latency per acknowledged edit, the floor's, and the ratio.
Targets: median <= 10 ms, p99 <= 50 ms.

The project is the demo pushed onto the server, with experts added (roster, panel,
assignments) so that 20 can score. The server is a throwaway cluster started here
(``tests/pg_cluster.py``: fsync off, as the tests run it), or ``--db ADMIN_URL`` (a
role that may create databases and roles); the benchmark's project is dropped after.

    .venv/bin/python benchmarks/seats.py [--seats 20] [--seconds 20] [--runs 3]
                                         [--pause-ms 500] [--db ADMIN_URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measuring import verdict  # noqa: E402

from review_desk.demo import build_demo  # noqa: E402
from review_desk.server.create import create_server_project, group_role  # noqa: E402
from review_desk.server.transfer import push  # noqa: E402
from tests.pg_cluster import Cluster  # noqa: E402
from tests.seat_client import (  # noqa: E402
    SeatResult,
    add_floor_table,
    loopback_url,
    prepare_seats,
    run_seats,
)

MEDIAN_MS, P99_MS = 10.0, 50.0
KEY = f"seatbench{os.getpid()}"


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies(results: Sequence[SeatResult]) -> list[float]:
    """Every acknowledged edit's latency (ms); refuse a run with unacknowledged saves."""
    errors = [error for r in results for error in r.errors]
    if errors:
        raise RuntimeError(f"{len(errors)} saves failed, the first: {errors[0]}")
    return [edit.ms for r in results for edit in r.edits if not edit.warmup]


def drop_project(admin_url: str, key: str, logins: Sequence[str]) -> None:
    """Remove the benchmark's project database, its accounts' logins and its groups."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "rd_{key}" WITH (FORCE)')
            for role in [*logins, *(group_role(key, k) for k in ("agency", "reviewer"))]:
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
            for kind in ("expert", "committee"):
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{group_role(key, kind)}"')
    finally:
        engine.dispose()


def measure(admin_url: str, args: argparse.Namespace, folder: Path) -> None:
    """Set the project up on the server, then run the seats and the floor."""
    demo = build_demo(folder / "demo.rdp")
    demo.close()
    made = create_server_project(admin_url, KEY, name="座席基准", empty=True)
    logins: list[str] = []
    try:
        push(folder / "demo.rdp", made.url)
        plans = prepare_seats(made.url, args.seats, KEY)
        logins = [plan.login for plan in plans]
        add_floor_table(made.url, KEY)
        urls = [loopback_url(made.url, login) for login in logins]
        print(
            f"{args.seats} seats (expert accounts over loopback TCP), {args.seconds:g} s each "
            f"phase, a pause of 0-{2 * args.pause_ms:g} ms between a seat's edits"
        )
        rows = []
        for run in range(1, args.runs + 1):
            desk = latencies(run_seats(urls, plans, args.seconds, pause_ms=args.pause_ms, seed=run))
            raw = latencies(
                run_seats(urls, plans, args.seconds, pause_ms=args.pause_ms, raw=True, seed=run)
            )
            row = (
                statistics.median(desk),
                percentile(desk, 0.99),
                statistics.median(raw),
                percentile(raw, 0.99),
            )
            rows.append(row)
            print(
                f"run {run}: desk saves {len(desk):,} edits, median {row[0]:.2f} ms, "
                f"p99 {row[1]:.2f} ms; raw SQL floor {len(raw):,} edits, median {row[2]:.2f} "
                f"ms, p99 {row[3]:.2f} ms"
            )
    finally:
        drop_project(admin_url, KEY, logins)
    median, p99, floor_median, floor_p99 = (statistics.median(r[i] for r in rows) for i in range(4))
    print(
        f"desk save per acknowledged edit, median of {args.runs} runs: median {median:.2f} ms; "
        f"floor {floor_median:.2f} ms; ratio {median / floor_median:.2f}x "
        f"(target <= {MEDIAN_MS:g} ms: {verdict(median <= MEDIAN_MS)})"
    )
    print(
        f"desk save per acknowledged edit, median of {args.runs} runs: p99 {p99:.2f} ms; "
        f"floor {floor_p99:.2f} ms; ratio {p99 / floor_p99:.2f}x "
        f"(target <= {P99_MS:g} ms: {verdict(p99 <= P99_MS)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause-ms", type=float, default=500.0)
    parser.add_argument("--db", help="an admin URL of a server (default: a throwaway cluster)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        if args.db:
            measure(args.db, args, Path(name))
            return 0
        # Not in the temporary folder above: the server runs as another user.
        cluster_folder = Path(tempfile.mkdtemp(prefix="rd-seats-"))
        cluster = Cluster(cluster_folder).start()
        try:
            measure(cluster.url(), args, Path(name))
        finally:
            cluster.stop()
            shutil.rmtree(cluster_folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
