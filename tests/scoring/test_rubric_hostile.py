"""Hostile rubric files through ``review-desk rubric validate F --json``: every parser
failure is a located problem printed as JSON with exit code 1, never a traceback; a
UTF-8 BOM is accepted; quoted values are cut to 80 characters. The command runs
in-process; the BOM and the plain-text report run it as its own process too."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from review_desk.cli import main
from review_desk.rubrics import default_rubric_text

DEFAULT = default_rubric_text()
FIRST = "max = 10\nstep = 0.5"  # the first criterion, A1
assert FIRST in DEFAULT


def validate(path: Path, *extra: str, process: bool = False) -> tuple[int, str, str]:
    """Run ``rubric validate`` on a file; return exit code, stdout and stderr. In-process
    (``review_desk.cli.main``, whatever it raises fails the test) unless ``process``:
    then as ``python -m review_desk``, the entry point itself."""
    args = ["rubric", "validate", str(path), *extra]
    if not process:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(args)
        return code, out.getvalue(), err.getvalue()
    done = subprocess.run(
        [sys.executable, "-m", "review_desk", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def problems_of(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> list[dict[str, Any]]:
    """Validate ``text`` as a file; assert it is refused cleanly; return the problems."""
    path = tmp_path / "r.toml"
    path.write_text(text, encoding=encoding)
    code, out, err = validate(path, "--json")
    assert "Traceback" not in err and err == "", err
    assert code == 1, (code, out, err)
    report = json.loads(out)
    assert report["valid"] is False and report["problems"]
    for problem in report["problems"]:
        assert problem["path"] and problem["message"]
    problems: list[dict[str, Any]] = report["problems"]
    return problems


def test_arrays_nested_1000_deep_are_a_located_problem(tmp_path: Path) -> None:
    deep = "[" * 1000 + "]" * 1000
    text = DEFAULT.replace("[rubric]\n", f"[rubric]\ndeep = {deep}\n", 1)
    [problem] = problems_of(tmp_path, text)
    assert problem["path"] == "(file)" and "8" in problem["message"]  # line 8
    tables = "{a = " * 1000 + "1" + "}" * 1000
    [problem] = problems_of(tmp_path, DEFAULT.replace("[rubric]\n", f"[rubric]\nt = {tables}\n"))
    assert problem["path"] == "(file)"


@pytest.mark.parametrize("value", ["1e308", "1.7e308", "-1e308"])
def test_a_huge_max_is_a_located_problem(tmp_path: Path, value: str) -> None:
    problems = problems_of(tmp_path, DEFAULT.replace(FIRST, f"max = {value}\nstep = 0.5", 1))
    assert "group[0].criterion[0].max" in {p["path"] for p in problems}, problems


def test_huge_bands_do_not_overflow(tmp_path: Path) -> None:
    text = DEFAULT.replace('level = "优"\nmin = ', 'level = "优"\nmin = 1e308 #', 1)
    problems = problems_of(tmp_path, text)
    assert any(p["path"].startswith("group[0].criterion[0].band") for p in problems), problems


def test_a_step_larger_than_the_max_is_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, DEFAULT.replace(FIRST, "max = 10\nstep = 100000000", 1))
    assert "group[0].criterion[0].step" in {p["path"] for p in problems}, problems


def test_more_than_10000_steps_are_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, DEFAULT.replace(FIRST, "max = 10\nstep = 0.0005", 1))
    step = [p for p in problems if p["path"] == "group[0].criterion[0].step"]
    assert step and "10000" in step[0]["message"], problems


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_nan_and_inf_are_located_problems(tmp_path: Path, value: str) -> None:
    problems = problems_of(tmp_path, DEFAULT.replace(FIRST, f"max = {value}\nstep = 0.5", 1))
    assert "group[0].criterion[0].max" in {p["path"] for p in problems}, problems
    problems = problems_of(tmp_path, DEFAULT.replace("total = 100", f"total = {value}", 1))
    assert "rubric.total" in {p["path"] for p in problems}, problems


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    plain, bom = tmp_path / "plain.toml", tmp_path / "bom.toml"
    plain.write_text(DEFAULT, encoding="utf-8")
    bom.write_text(DEFAULT, encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    results = []
    for path in (plain, bom):
        code, out, err = validate(path, "--json", process=True)
        assert code == 0 and not err, (out, err)
        results.append(json.loads(out))
    assert results[0]["valid"] and results[1]["valid"]
    assert results[0]["content_hash"] == results[1]["content_hash"]


def test_a_1mb_value_is_quoted_cut_to_80_characters(tmp_path: Path) -> None:
    huge = "k" * (1 << 20)
    text = DEFAULT.replace('key = "materials"', f'key = "{huge}"', 1)
    problems = problems_of(tmp_path, text)
    assert len(problems) >= 5  # the stage, and each criterion of the stage it replaced
    for problem in problems:
        assert "k" * 81 not in problem["message"], problem["path"]
        assert len(problem["message"]) < 400
    path = tmp_path / "r.toml"
    code, out, err = validate(path, process=True)
    assert code == 1 and "Traceback" not in err and len(out) < 20_000
    assert max(len(line) for line in out.splitlines()) < 400


def test_a_1mb_key_is_quoted_cut(tmp_path: Path) -> None:
    huge = "k" * (1 << 20)
    text = DEFAULT.replace("[rubric]\n", f"[rubric]\n{huge} = 1\n{huge} = 2\n", 1)
    [problem] = problems_of(tmp_path, text)  # a key defined twice: invalid TOML
    assert problem["path"] == "(file)" and len(problem["message"]) < 400


def test_invalid_toml_is_located(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, DEFAULT.replace("[rubric]", "[rubric", 1))
    assert problem["path"] == "(file)" and "7" in problem["message"]


def test_text_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, DEFAULT, encoding="gb18030")
    assert problem["path"] == "(file)"
