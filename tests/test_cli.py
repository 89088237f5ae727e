"""The command line: help, project creation and description, errors in Chinese."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from review_desk.project import Project
from tests.support import run_cli as run


def test_help_lists_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("gui", "directions", "project", "demo", "audit"):
        assert command in result.stdout
    assert "用法" in result.stdout


# Runs the entry point (``review-desk``'s ``main``) once per argument list given as JSON,
# in one process; prints each exit code and whether it printed a usage line.
_EACH = """
import contextlib, io, json, sys
from ui.launcher import main
done = []
for args in json.loads(sys.argv[1]):
    sys.argv = ["review-desk", *args]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            main()
    except SystemExit as exited:
        done.append([exited.code, "用法" in out.getvalue()])
print(json.dumps(done))
"""


def test_each_subcommand_has_help() -> None:
    """Every subcommand's ``--help``, through the entry point, in one process (the
    real start of the process is what ``test_help_lists_subcommands`` checks)."""
    commands = [
        ["gui"],
        ["directions"],
        ["project", "new"],
        ["project", "info"],
        ["demo"],
        ["audit", "verify"],
    ]
    result = subprocess.run(
        [sys.executable, "-c", _EACH, json.dumps([[*args, "--help"] for args in commands])],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[0, True]] * len(commands), (result.stdout, result.stderr)


def test_version() -> None:
    from review_desk import __version__

    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_project_new_and_info(tmp_path: Path) -> None:
    path = tmp_path / "新项目.rdp"
    created = run(
        "project", "new", str(path), "--name", "第二批遴选", "--deadline", "2023-01-21T23:59+08:00"
    )
    assert created.returncode == 0, created.stderr
    info = run("project", "info", str(path), "--json")
    data = json.loads(info.stdout)
    assert data["name"] == "第二批遴选" and data["dossiers"] == 0
    again = run("project", "new", str(path), "--name", "x")
    assert again.returncode == 2 and "已存在" in again.stderr


def test_errors_are_clear(tmp_path: Path) -> None:
    missing = run("project", "info", str(tmp_path / "none.rdp"))
    assert missing.returncode == 2
    assert "找不到项目文件" in missing.stderr
    bad_deadline = run(
        "project", "new", str(tmp_path / "x.rdp"), "--name", "x", "--deadline", "2023-01-21"
    )
    assert bad_deadline.returncode == 2 and "时区" in bad_deadline.stderr


def test_demo_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "d.rdp"
    path.write_bytes(b"keep me")
    result = run("demo", str(path))
    assert result.returncode == 2 and "--force" in result.stderr
    assert path.read_bytes() == b"keep me"


def test_demo_rebuilds_an_earlier_demo(demo_source: Path, tmp_path: Path) -> None:
    from tests.conftest import copy_project

    path = copy_project(demo_source, tmp_path / "x.rdp")  # an earlier demo, built already
    again = run("demo", str(path))
    assert again.returncode == 0, again.stderr
    assert run("audit", "verify", str(path)).returncode == 0
    other = tmp_path / "other.rdp"  # a real project, made in-process
    Project.create(other, name="真实项目").close()
    refused = run("demo", str(other))
    assert refused.returncode == 2 and "--force" in refused.stderr
