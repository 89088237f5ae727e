"""The README's test command (``bootstrap.py test``): the slowest tests printed, and the
suite spread over the processors unless the caller chose otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bootstrap


def test_the_slowest_15_are_printed_and_workers_follow_the_processors(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bootstrap.os, "cpu_count", lambda: 2)
    assert bootstrap.pytest_arguments(["-x"]) == [
        "--durations=15",
        "-n",
        "2",
        "--dist",
        "worksteal",
        "-x",
    ]
    assert bootstrap.pytest_arguments(["--dist=load"]) == [
        "--durations=15",
        "-n",
        "2",
        "--dist=load",
    ]
    monkeypatch.setattr(bootstrap.os, "cpu_count", lambda: 64)
    assert bootstrap.pytest_arguments([])[1:3] == ["-n", str(bootstrap.MAX_WORKERS)]
    monkeypatch.setattr(bootstrap.os, "cpu_count", lambda: 1)
    assert bootstrap.pytest_arguments([]) == ["--durations=15"]


@pytest.mark.parametrize(
    "chosen", [["-n", "0"], ["-n0"], ["--numprocesses=3"], ["-p", "no:xdist"], ["--collect-only"]]
)
def test_the_callers_choice_of_workers_is_kept(chosen: list[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bootstrap.os, "cpu_count", lambda: 2)
    assert bootstrap.pytest_arguments(chosen) == ["--durations=15", *chosen]


def test_temporary_files_go_to_a_private_folder_in_ram(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(bootstrap.os, "getuid"):
        pytest.skip("POSIX")
    ram = tmp_path / "shm"
    ram.mkdir()
    monkeypatch.setattr(bootstrap, "RAM_FOLDER", ram)
    folder = bootstrap.ram_temp_folder({})
    assert folder == ram / f"review-desk-tests-{bootstrap.os.getuid()}"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert bootstrap.ram_temp_folder({}) == folder  # the same folder next time
    # The caller's own TMPDIR is kept; a folder others may read or write is not used.
    assert bootstrap.ram_temp_folder({"TMPDIR": "/elsewhere"}) is None
    folder.chmod(0o777)
    assert bootstrap.ram_temp_folder({}) is None
    # No RAM file system, or too little room in it: the usual temporary folder.
    monkeypatch.setattr(bootstrap, "RAM_NEEDED", bootstrap.shutil.disk_usage(ram).free + 1)
    assert bootstrap.ram_temp_folder({}) is None
    monkeypatch.setattr(bootstrap, "RAM_FOLDER", tmp_path / "missing")
    assert bootstrap.ram_temp_folder({}) is None
