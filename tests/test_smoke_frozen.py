"""scripts/smoke_frozen.py fails a build that is not the app: it compares results, so a
build without the PDF parser or with other output cannot pass on exit codes alone.

The "frozen build" here is a small wrapper around the installed package that breaks it
the way a bad build would; the real frozen build is checked by scripts/build_installer.py
in CI."""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import smoke_frozen

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the wrappers are shell scripts")


def _wrapper(tmp_path: Path, name: str, setup: str) -> Path:
    installed = smoke_frozen.default_installed()
    script = tmp_path / name
    script.write_text(f'#!/bin/sh\n{setup}\nexec "{installed}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_build_without_the_pdf_parser_fails_the_smoke_test(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "pypdf"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'pypdf'\", name='pypdf')\n"
    )
    frozen = _wrapper(tmp_path, "no-pypdf", f'export PYTHONPATH="{fake.parent}"')
    with pytest.raises(smoke_frozen.SmokeFailure, match="demo"):
        smoke_frozen.smoke(frozen, smoke_frozen.default_installed(), gui=False)


def test_a_build_with_other_results_fails_the_smoke_test(tmp_path: Path, demo_source: Path) -> None:
    """Exit 0 everywhere, but the reasons come out in English: a difference."""
    frozen = _wrapper(tmp_path, "english", "export REVIEW_DESK_LANG=en")
    with pytest.raises(smoke_frozen.SmokeFailure, match=r"review: .* differs from the installed"):
        smoke_frozen.smoke(frozen, smoke_frozen.default_installed(), gui=False, project=demo_source)


def test_the_installed_package_passes_against_itself(explained_source: Path) -> None:
    """Two runs of one program, in two folders at two times: nothing that legitimately
    differs between runs is reported by the commands' JSON and the workbook. Both start
    from the suite's demo with its deviations explained here (building the demo twice
    more took 30 s, explaining each deviation by a command 26 more processes); the demo
    and explain commands themselves are compared with the real frozen build by
    scripts/build_installer.py in CI."""
    installed = smoke_frozen.default_installed()
    lines = smoke_frozen.smoke(
        installed, installed, gui=False, project=explained_source, steps=("commands",)
    )
    assert [line.split(":")[0] for line in lines] == [
        *(label for label, _arguments in smoke_frozen.JSON_COMMANDS[1:]),
        "export",
    ]
    assert all("same" in line for line in lines), lines


@pytest.mark.parametrize(
    ("step", "formats"),
    [
        # One chart format: the other two only prove that a frozen build has their
        # writers; their files are not compared.
        ("charts", ("png",)),
        # Finalised, then written as .xlsx and .pdf by each run: the same cells and text.
        ("publicity", smoke_frozen.CHART_FORMATS),
    ],
)
def test_the_installed_package_s_charts_and_publicity_pass_against_itself(
    explained_source: Path, step: str, formats: tuple[str, ...]
) -> None:
    """The same for the charts and for the publicity list (each a test of its own, so
    that the suite's workers share them)."""
    installed = smoke_frozen.default_installed()
    lines = smoke_frozen.smoke(
        installed,
        installed,
        gui=False,
        project=explained_source,
        chart_formats=formats,
        steps=(step,),
    )
    assert [line.split(":")[0] for line in lines] == [step.removesuffix("s")]
    assert all("same" in line for line in lines), lines


def test_paths_and_the_current_time_are_not_differences(tmp_path: Path) -> None:
    since = dt.datetime(2026, 1, 1, 12, 0)
    a = {"path": f"{tmp_path}{os.sep}x.rdp", "at": "2026-01-01T12:00:05+00:00", "n": 1}
    b = {"path": "/elsewhere/x.rdp", "at": "2026-01-01T12:00:09+00:00", "n": 1}
    na = smoke_frozen.normalise(a, tmp_path, since)
    nb = smoke_frozen.normalise(b, Path("/elsewhere"), since)
    assert na == nb
    assert list(smoke_frozen.differences({"n": 1}, {"n": 2})) == ["/n: frozen 1 != installed 2"]
    old = {"deadline": "2022-01-21T15:59:59+00:00"}
    assert smoke_frozen.normalise(old, tmp_path, since) == old  # data, not the run's time
