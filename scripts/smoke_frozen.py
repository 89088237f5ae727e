"""Smoke-test a frozen build by comparing its results with the installed package's.

    python scripts/smoke_frozen.py [--frozen dist/ReviewDesk-<version>/review-desk]
                                   [--installed .venv/bin/review-desk]

Exit codes alone do not show a broken build: a build without the PDF parser once ran
``demo`` to exit 0 with every dossier "unreadable". So the same commands run with both
programs on the same input, each in its own folder under the same relative names, and
their results must be equal:

- ``demo --json``, ``review --json``, ``rank --json --resamples 0``, ``assign run
  --dry-run --json``: the JSON output,
  after replacing the folder's path and the current time;
- ``export``: every cell value of every sheet of the workbook (the export time aside);
- ``chart``: written as PNG, SVG and PDF (the PNGs of the same size);
- ``explain`` the deviations, ``finalise``, ``publicity`` as .xlsx and .pdf: the same
  cells and the same text;
- ``gui --demo --screenshots``: the frozen GUI renders the same pages as the installed
  one, and none of them is blank;
- a project on a PostgreSQL server (where PostgreSQL's server programs are installed,
  required with ``REVIEW_DESK_REQUIRE_POSTGRES``): ``server create``, ``project push`` of
  the demo, ``server user add`` of a committee account, ``rank`` from the server as that
  account (the same list as from the file), ``project pull`` and ``audit verify`` of the
  copy: the frozen build talks to the server (psycopg and libpq are in it).

Any difference, any non-zero exit and any traceback on stderr fails with a message
naming the command and the first differences. Exit 0 when the build is the app.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "smoke.rdp"
WORKBOOK = "results.xlsx"
# (label, arguments): PROJECT is built by the first command in the program's folder.
JSON_COMMANDS: list[tuple[str, list[str]]] = [
    ("demo", ["demo", PROJECT, "--json"]),
    ("review", ["review", PROJECT, "--json"]),
    ("rank", ["rank", PROJECT, "--json", "--resamples", "0"]),
    # The assignment solver (HiGHS, a compiled library the build must carry).
    ("assign", ["assign", "run", PROJECT, "--k", "4", "--dry-run", "--json"]),
    ("export", ["export", PROJECT, "--out", WORKBOOK, "--json"]),
]
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")
MAX_SHOWN = 8
CHART_FORMATS = ("png", "svg", "pdf")
# The comparison's steps: the JSON commands and the workbook, the charts, the publicity
# list, the recognition round (after the publicity list: it needs the finalised list), a
# project on a server (after the commands: it moves their project there).
STEPS = ("commands", "charts", "publicity", "recognition", "server")
ACCOUNT_PASSWORD = "smoke-Committee-2026"
T = TypeVar("T")


class SmokeFailure(Exception):
    """The frozen build does not behave as the installed package."""


def default_frozen() -> Path:
    version = re.search(
        r'__version__ = "([^"]+)"', (ROOT / "review_desk" / "__init__.py").read_text()
    )
    assert version
    name = "review-desk.exe" if os.name == "nt" else "review-desk"
    return ROOT / "dist" / f"ReviewDesk-{version.group(1)}" / name


def default_installed() -> Path:
    scripts = Path(sys.executable).parent
    return scripts / ("review-desk.exe" if os.name == "nt" else "review-desk")


def _environment(home: Path) -> dict[str, str]:
    """Offscreen Qt, and settings, data and logs kept inside the test folder."""
    return dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        APPDATA=str(home / "appdata"),
        LOCALAPPDATA=str(home / "localappdata"),
        MPLCONFIGDIR=str(home / "mpl"),
    )


# The commands running now, by the folder they run in: a side that fails stops the other.
_RUNNING: dict[Path, subprocess.Popen[str]] = {}
_RUNNING_LOCK = threading.Lock()


def run(
    program: Path, arguments: list[str], folder: Path, label: str, stdin: str | None = None
) -> str:
    """Run one command in ``folder`` (``stdin`` its standard input); its stdout, or
    :class:`SmokeFailure`."""
    process = subprocess.Popen(
        [str(program), *arguments],
        cwd=folder,
        env=_environment(folder),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    with _RUNNING_LOCK:
        _RUNNING[folder] = process
    try:
        stdout, stderr = process.communicate(stdin, timeout=600)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    finally:
        with _RUNNING_LOCK:
            _RUNNING.pop(folder, None)
    where = f"{program.name} {' '.join(arguments)} ({label})"
    if process.returncode != 0:
        raise SmokeFailure(f"{where} exited with {process.returncode}:\n{_tail(stderr or stdout)}")
    if "Traceback" in stderr:
        raise SmokeFailure(f"{where} printed a traceback:\n{_tail(stderr)}")
    return stdout


def on_both(
    programs: dict[str, Path], folders: dict[str, Path], task: Callable[[str, Path, Path], T]
) -> dict[str, T]:
    """``task(side, program, folder)`` for both programs at once: each works in its own
    folder, so they share only the processor (half the wall time on two cores). When one
    side fails, the other's command is stopped rather than waited for; the frozen side's
    failure is raised first."""
    with ThreadPoolExecutor(max_workers=len(programs)) as pool:
        futures = {
            side: pool.submit(task, side, program, folders[side])
            for side, program in programs.items()
        }
        wait(futures.values(), return_when=FIRST_EXCEPTION)
        if any(f.done() and f.exception() is not None for f in futures.values()):
            with _RUNNING_LOCK:
                for side, folder in folders.items():
                    process = _RUNNING.get(folder)
                    if process is not None and not futures[side].done():
                        process.kill()
            for side in futures:  # the frozen side first, as the programs are given
                error = futures[side].exception()
                if error is not None and not (
                    isinstance(error, SmokeFailure) and "exited with -9" in str(error)
                ):
                    raise error
        return {side: future.result() for side, future in futures.items()}


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def normalise(value: Any, folder: Path, since: dt.datetime) -> Any:
    """The value with what legitimately differs between two runs replaced: the folder's
    path and times from the run itself."""
    if isinstance(value, dict):
        return {key: normalise(item, folder, since) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item, folder, since) for item in value]
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None)
        return "<now>" if naive >= since - dt.timedelta(days=1) else value
    if isinstance(value, str):
        for form in (str(folder), folder.as_posix(), str(folder.resolve())):
            value = value.replace(form, "<folder>")
        return TIMESTAMP.sub(lambda m: _time_or_now(m.group(0), since), value)
    return value


def _time_or_now(text: str, since: dt.datetime) -> str:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return "<now>" if moment >= since - dt.timedelta(days=1) else text


def workbook_cells(path: Path) -> dict[str, list[list[Any]]]:
    """Every cell value of every sheet, row by row."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def differences(frozen: Any, installed: Any, where: str = "") -> Iterator[str]:
    """Where two normalised values differ, as readable paths."""
    if isinstance(frozen, dict) and isinstance(installed, dict):
        for key in sorted(set(frozen) | set(installed), key=str):
            if key not in frozen:
                yield f"{where}/{key}: missing in the frozen build"
            elif key not in installed:
                yield f"{where}/{key}: only in the frozen build"
            else:
                yield from differences(frozen[key], installed[key], f"{where}/{key}")
    elif isinstance(frozen, list) and isinstance(installed, list):
        if len(frozen) != len(installed):
            yield f"{where}: {len(frozen)} items frozen, {len(installed)} installed"
        for index, (a, b) in enumerate(zip(frozen, installed, strict=False)):
            yield from differences(a, b, f"{where}[{index}]")
    elif frozen != installed:
        yield f"{where}: frozen {frozen!r} != installed {installed!r}"


def compare(label: str, frozen: Any, installed: Any) -> None:
    found = list(differences(frozen, installed))
    if found:
        shown = "\n  ".join(found[:MAX_SHOWN])
        more = f"\n  … and {len(found) - MAX_SHOWN} more" if len(found) > MAX_SHOWN else ""
        raise SmokeFailure(
            f"{label}: the frozen build differs from the installed package:\n  {shown}{more}"
        )


def charts(
    programs: dict[str, Path], folders: dict[str, Path], formats: tuple[str, ...] = CHART_FORMATS
) -> str:
    """Every chart format is written (matplotlib picks the writer at run time, so a build
    can lack one); the PNGs have the same size in pixels."""
    from PIL import Image

    def draw(side: str, program: Path, folder: Path) -> tuple[int, int]:
        size = (0, 0)
        for suffix in formats:
            out = f"ranking.{suffix}"
            run(program, ["chart", PROJECT, "--kind", "ranking", "--out", out], folder, side)
            path = folder / out
            if not path.is_file() or path.stat().st_size == 0:
                raise SmokeFailure(f"chart --out {out} ({side}) wrote nothing")
            if suffix == "png":
                with Image.open(path) as image:
                    size = image.size
        return size

    sizes = on_both(programs, folders, draw)
    if sizes["frozen"] != sizes["installed"]:
        raise SmokeFailure(
            f"the ranking chart is {sizes['frozen']} frozen, {sizes['installed']} installed"
        )
    return f"chart: {', '.join(formats)} written, same size"


def publicity(programs: dict[str, Path], folders: dict[str, Path], since: dt.datetime) -> str:
    """Explain the deviations, finalise, and write the publicity list as .xlsx and .pdf
    with both programs: the same cells, the same text (reportlab and its CID fonts)."""
    from pypdf import PdfReader

    # The deviations that block finalising, from the rank step (none to explain when the
    # step did not run: a project given with its deviations explained).
    listed = folders["installed"] / "rank.json"
    ranked = json.loads(listed.read_text(encoding="utf-8")) if listed.exists() else {}
    blocking = [d for d in ranked.get("deviations", []) if d.get("blocks_finalise")]

    def decide_and_publish(side: str, program: Path, folder: Path) -> None:
        for deviation in blocking:
            dossier, expert = str(deviation["code"]), str(deviation["expert_id"])
            explain = ["explain", PROJECT, "--dossier", dossier, "--expert", expert]
            run(program, [*explain, "--text", "专家书面说明：已复核材料"], folder, side)
        run(program, ["finalise", PROJECT], folder, side)
        for suffix in ("xlsx", "pdf"):
            run(
                program,
                ["publicity", PROJECT, "--out", f"publicity.{suffix}", "--start", "2026-12-01"],
                folder,
                side,
            )

    on_both(programs, folders, decide_and_publish)
    books = {
        side: normalise(workbook_cells(folders[side] / "publicity.xlsx"), folders[side], since)
        for side in folders
    }
    compare("publicity .xlsx", books["frozen"], books["installed"])
    texts = {}
    for side in folders:
        reader = PdfReader(folders[side] / "publicity.pdf")
        pages = [page.extract_text() or "" for page in reader.pages]
        texts[side] = normalise(pages, folders[side], since)
    compare("publicity .pdf text", texts["frozen"], texts["installed"])
    rows = sum(len(rows) for rows in books["frozen"].values())
    return (
        f"publicity: {len(blocking)} deviations explained, finalised; same .xlsx ({rows} rows) "
        f"and .pdf text ({len(texts['frozen'])} pages)"
    )


def recognition(programs: dict[str, Path], folders: dict[str, Path], since: dt.datetime) -> str:
    """The demo recognition round made from the project the publicity step finalised (its
    checklist, rubric and construction reports read by the PDF workers), its outcomes,
    its deviations explained, the 认定名单 and a base's history, with both programs: the
    same outcomes, cells and history."""
    round_file = "recognition.rdp"

    def run_round(side: str, program: Path, folder: Path) -> tuple[Any, Any]:
        run(program, ["demo", round_file, "--recognition", PROJECT], folder, side)
        outcomes = json_output(
            "recognition", ["recognition", "outcomes", round_file, "--json"], since, side,
            program, folder,
        )  # fmt: skip
        # The deviations (畸高畸低) the outcomes list block finalising, as the selection's.
        for deviation in outcomes["deviations"]:
            if deviation["blocks_finalise"]:
                dossier, expert = str(deviation["code"]), str(deviation["expert_id"])
                explain = ["explain", round_file, "--dossier", dossier, "--expert", expert]
                run(program, [*explain, "--text", "专家书面说明：已复核材料"], folder, side)
        run(program, ["recognition", "finalise", round_file, "--rectify-deadline", "2028-06-30"],
            folder, side)  # fmt: skip
        run(program, ["recognition", "list", round_file, "--out", "recognition.xlsx"], folder, side)
        code = str(outcomes["bases"][0]["code"])
        history = json_output(
            "history", ["history", PROJECT, "--dossier", code, "--json"], since, side, program,
            folder,
        )  # fmt: skip
        return outcomes, history

    results = on_both(programs, folders, run_round)
    compare("recognition outcomes", results["frozen"][0], results["installed"][0])
    compare("history", results["frozen"][1], results["installed"][1])
    books = {
        side: normalise(workbook_cells(folders[side] / "recognition.xlsx"), folders[side], since)
        for side in folders
    }
    compare("认定名单 .xlsx", books["frozen"], books["installed"])
    outcomes = results["frozen"][0]
    kinds = sorted({str(row["outcome"]) for row in outcomes["bases"]})
    return (
        f"recognition: the same {len(outcomes['bases'])} outcomes ({', '.join(kinds)}), "
        f"{len(outcomes['deviations'])} deviations explained, 认定名单, history"
    )


def server(programs: dict[str, Path], folders: dict[str, Path], since: dt.datetime) -> str:
    """Each program moves its project to a server project of its own on a throwaway
    PostgreSQL cluster, adds a committee account, ranks from the server as that account
    and pulls the project back; the lists must equal each other and the file's."""
    sys.path.insert(0, str(ROOT))
    from tests.pg_cluster import Cluster, ClusterUnavailable

    base = Path(tempfile.mkdtemp(prefix="rd-smoke-pg-"))
    try:
        try:
            cluster = Cluster(base).start()
        except ClusterUnavailable as error:
            if os.environ.get("REVIEW_DESK_REQUIRE_POSTGRES"):
                raise SmokeFailure(f"PostgreSQL is required here: {error}") from error
            return f"server: not checked ({error})"
        try:

            def on_server(side: str, program: Path, folder: Path) -> tuple[Any, Any]:
                key, login = f"smoke_{side}", f"smoke.{side}"
                rank = ["--json", "--resamples", "0"]
                from_file = run(program, ["rank", PROJECT, *rank], folder, side)
                create = ["server", "create", cluster.url(), "--project", key, "--json"]
                made = json.loads(
                    run(program, [*create, "--name", "冒烟", "--empty"], folder, side)
                )
                url, database = str(made["url"]), str(made["database"])
                run(program, ["project", "push", PROJECT, url], folder, side)
                add = ["server", "user", "add", url, "--name", login, "--role", "committee"]
                run(program, [*add, "--password-stdin"], folder, side, ACCOUNT_PASSWORD + "\n")
                account = cluster.url(database, user=login, password=ACCOUNT_PASSWORD)
                from_server = run(program, ["rank", account, *rank], folder, side)
                run(program, ["project", "pull", url, "pulled.rdp"], folder, side)
                run(program, ["audit", "verify", "pulled.rdp"], folder, side)
                from_server = from_server.replace(account, PROJECT)
                return (
                    normalise(json.loads(from_server), folder, since),
                    normalise(json.loads(from_file), folder, since),
                )

            lists = on_both(programs, folders, on_server)
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for side, (from_server, from_file) in lists.items():
        compare(f"rank on a server and from the file ({side})", from_server, from_file)
    compare("rank on a server", lists["frozen"][0], lists["installed"][0])
    return f"server: the same list ranked from a server ({len(lists['frozen'][0]['rows'])} rows)"


def screenshots(program: Path, folder: Path) -> dict[str, Path]:
    shots = folder / "shots"
    run(program, ["gui", "--demo", "--screenshots", str(shots)], folder, "GUI")
    return {path.name: path for path in sorted(shots.glob("*.png"))}


def blank(path: Path) -> bool:
    """True when the picture is one flat colour (nothing rendered)."""
    from PIL import Image

    with Image.open(path) as image:
        low, high = image.convert("L").getextrema()
    return bool(low == high)


def copy_project(source: Path, folder: Path) -> None:
    """Copy a project (database and file store) into ``folder`` as ``PROJECT``."""
    import shutil
    import sqlite3

    target = folder / PROJECT
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    store = source.with_name(source.name + ".files")
    if store.is_dir():
        shutil.copytree(store, target.with_name(PROJECT + ".files"))


def json_output(
    label: str, arguments: list[str], since: dt.datetime, side: str, program: Path, folder: Path
) -> Any:
    """Run a JSON command; its output, normalised, also kept in the folder as a file."""
    text = run(program, arguments, folder, side)
    (folder / f"{label}.json").write_text(text, encoding="utf-8")
    try:
        return normalise(json.loads(text), folder, since)
    except json.JSONDecodeError as error:
        raise SmokeFailure(f"{label} ({side}) did not print JSON: {error}") from error


def smoke(
    frozen: Path,
    installed: Path,
    gui: bool = True,
    project: Path | None = None,
    chart_formats: tuple[str, ...] = CHART_FORMATS,
    steps: tuple[str, ...] = STEPS,
) -> list[str]:
    """Run the comparison; the lines of a report, or :class:`SmokeFailure`. With
    ``project``, both programs start from a copy of it instead of building the demo
    (the test suite's check that two runs of one program show no differences, on a demo
    it has built already). ``chart_formats``: the chart files each program writes (all
    of them for a build: a frozen build can lack a writer). ``steps``: which of
    :data:`STEPS` to run (all for a build; the test suite runs them as separate tests)."""
    frozen, installed = frozen.absolute(), installed.absolute()  # each runs in its folder
    for program in (frozen, installed):
        if not program.exists():
            raise SmokeFailure(f"{program} does not exist")
    report: list[str] = []
    since = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="rd-smoke-") as tmp:
        folders = {"frozen": Path(tmp) / "frozen", "installed": Path(tmp) / "installed"}
        programs = {"frozen": frozen, "installed": installed}
        for folder in folders.values():
            folder.mkdir()
            if project is not None:
                copy_project(project, folder)
        if "commands" in steps:
            commands = JSON_COMMANDS if project is None else JSON_COMMANDS[1:]
            for label, arguments in commands:
                task = partial(json_output, label, arguments, since)
                outputs = on_both(programs, folders, task)
                compare(label, outputs["frozen"], outputs["installed"])
                report.append(f"{label}: same output")
            books = {
                side: normalise(workbook_cells(folders[side] / WORKBOOK), folders[side], since)
                for side in folders
            }
            compare("export workbook", books["frozen"], books["installed"])
            cells = sum(len(row) for rows in books["frozen"].values() for row in rows)
            report.append(f"export: same {len(books['frozen'])} sheets, {cells} cells")
        if "charts" in steps:
            report.append(charts(programs, folders, chart_formats))
        if "publicity" in steps:
            report.append(publicity(programs, folders, since))
        if "recognition" in steps:
            report.append(recognition(programs, folders, since))
        if "server" in steps:
            report.append(server(programs, folders, since))
        if gui:
            pages = on_both(
                programs, folders, lambda _side, program, folder: screenshots(program, folder)
            )
            if not pages["installed"]:
                raise SmokeFailure("the installed package rendered no screenshots")
            if sorted(pages["frozen"]) != sorted(pages["installed"]):
                missing = sorted(set(pages["installed"]) - set(pages["frozen"]))
                extra = sorted(set(pages["frozen"]) - set(pages["installed"]))
                raise SmokeFailure(
                    f"the frozen GUI rendered {len(pages['frozen'])} pages, the installed "
                    f"{len(pages['installed'])}; missing {missing}, extra {extra}"
                )
            empty = [name for name, path in pages["frozen"].items() if blank(path)]
            if empty:
                raise SmokeFailure(f"the frozen GUI rendered blank pages: {empty}")
            report.append(f"GUI: the same {len(pages['frozen'])} pages rendered, none blank")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=Path, default=default_frozen())
    parser.add_argument("--installed", type=Path, default=default_installed())
    parser.add_argument("--no-gui", action="store_true", help="skip the screenshots")
    args = parser.parse_args(argv)
    try:
        lines = smoke(args.frozen, args.installed, gui=not args.no_gui)
    except SmokeFailure as failure:
        print(f"SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"smoke: {line}")
    print("smoke: the frozen build gives the same results as the installed package")
    return 0


if __name__ == "__main__":
    sys.exit(main())
