"""One path for errors on the command line, and nothing touched that is not ours.

Every subcommand (enumerated from the parser, so a new one is covered the day it is
added) is run with a missing file, a folder, a text file named .rdp and an empty file:
each must end with exit code 2 and one line on standard error, no traceback anywhere,
and the folder exactly as it was (no file changed, none added: no key, no WAL).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from review_desk.cli import build_parser, main
from review_desk.storage.database import APPLICATION_ID

# Subcommands that do not take a file (or open a window).
NO_FILE = {("gui",), ("directions",)}
# Subcommands that make the file they are given: for them a missing file is the
# ordinary case, not an error.
CREATORS = {("project", "new"), ("demo",)}
# The rubric validator reports what is wrong with a file it could read as problems on
# standard output, with exit code 1 (its documented contract); a file it cannot read
# at all is an error like everywhere else.
VALIDATORS = {("rubric", "validate")}
# A valid name for what a command writes, so that the refusal comes from the input.
OUT_SUFFIX = {
    ("export",): ".xlsx",
    ("publicity",): ".pdf",
    ("bundle",): ".zip",
    ("chart",): ".png",
    ("sheets", "export"): ".xlsx",
    ("package", "make"): ".rdwork",
    ("package", "return"): ".rdreturn",
}
OPTION_VALUES = {
    "--name": "第三批",
    "--dossier": "SX-01-001",
    "--expert": "1",
    "--text": "说明文字",
    "--reason": "委员会审议意见",
    "--kind": "ranking",
    "--start": "2026-12-01",
    "--end": "2026-12-07",
    "--due": "2027-06-30",
    "--submitted": "2026-12-01",
}


def leaf_commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every runnable subcommand with its parser."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield prefix, parser
        return
    for name, sub in subparsers[0].choices.items():
        yield from leaf_commands(sub, (*prefix, name))


def _accepts(action: argparse.Action, value: str) -> bool:
    if action.type is None or not callable(action.type):
        return True
    try:
        action.type(value)
    except (ValueError, TypeError, argparse.ArgumentTypeError):
        return False
    return True


def argv_for(
    command: tuple[str, ...], parser: argparse.ArgumentParser, target: Path, out_dir: Path
) -> list[str]:
    """The command line that hands ``target`` to every file argument of ``command``."""
    argv = [*command]
    for action in parser._actions:
        if not action.option_strings:
            argv.append(str(target))
        elif action.required:
            option = action.option_strings[0]
            if option == "--out":
                value = str(out_dir / ("result" + OUT_SUFFIX.get(command, ".xlsx")))
            elif action.choices:
                value = str(next(iter(action.choices)))
            else:
                value = next(
                    v
                    for v in (OPTION_VALUES.get(option), str(target), "1")
                    if v is not None and _accepts(action, v)
                )
            argv += [option, value]
    for group in parser._mutually_exclusive_groups:
        if group.required:
            argv.append(group._group_actions[-1].option_strings[0])
    return argv


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder`` with the SHA-256 of its content."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        )
        for p in sorted(folder.rglob("*"))
    }


HOSTILE = ("missing", "folder", "text", "empty")


def make_hostile(kind: str, folder: Path) -> Path:
    target = folder / "项目.rdp"
    if kind == "folder":
        target.mkdir()
        (target / "inside.txt").write_text("keep me", encoding="utf-8")
    elif kind == "text":
        target.write_text("这不是评审台项目\nnot a project\n", encoding="utf-8")
    elif kind == "empty":
        target.write_bytes(b"")
    return target


COMMANDS = [
    (command, parser) for command, parser in leaf_commands(build_parser()) if command not in NO_FILE
]


def test_every_subcommand_is_covered() -> None:
    names = {" ".join(command) for command, _ in COMMANDS}
    assert {"project info", "rank", "key show", "audit verify", "package import"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize("kind", HOSTILE)
def test_every_subcommand_refuses_a_file_that_is_not_a_project(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "logs"))
    failures = []
    for command, parser in COMMANDS:
        if kind == "missing" and command in CREATORS:
            continue
        work = tmp_path / "_".join(command) / "work"
        out_dir = tmp_path / "_".join(command) / "out"
        work.mkdir(parents=True)
        out_dir.mkdir()
        target = make_hostile(kind, work)
        before = snapshot(work)
        argv = argv_for(command, parser, target, out_dir)
        code = main(argv)
        out, err = capsys.readouterr()
        lines = err.splitlines()
        problems = []
        if command in VALIDATORS and kind in ("text", "empty"):
            if code != 1 or err or "问题" not in out:
                problems.append(f"validator: exit {code}")
            lines = ["(reported on standard output)"]
        elif code != 2:
            problems.append(f"exit {code}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr")
        if "Traceback" in out + err:
            problems.append("traceback")
        if "意外错误" in err:
            problems.append("unexpected error")
        if snapshot(work) != before:
            problems.append(f"changed: {sorted(set(snapshot(work).items()) ^ set(before.items()))}")
        if list(out_dir.iterdir()):
            problems.append("wrote output")
        if problems:
            failures.append((" ".join(command), problems, err.strip()))
    assert not failures, "\n".join(map(str, failures))
    assert not (tmp_path / "logs").exists()


def run_real(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, REVIEW_DESK_LOG_DIR=str(env_dir), REVIEW_DESK_LANG="zh_CN")
    return subprocess.run(
        [sys.executable, "-m", "review_desk", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def test_the_real_entry_point_says_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.rdp"
    empty.write_bytes(b"")
    result = run_real("project", "info", str(empty), env_dir=tmp_path / "logs")
    assert result.returncode == 2
    assert result.stderr.strip() == f"错误：{empty} 是空文件，不是评审台项目。"
    assert empty.read_bytes() == b""  # it used to become a 4 KB SQLite file
    missing = run_real(
        "package",
        "import",
        str(tmp_path / "a.rdp"),
        str(tmp_path / "r.rdreturn"),
        env_dir=tmp_path / "logs",
    )
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1
    assert "Traceback" not in missing.stderr


def foreign_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute("INSERT INTO notes (text) VALUES ('another program''s data')")
    connection.close()
    return path


@pytest.mark.parametrize("command", [["rank"], ["project", "info"], ["audit", "verify"]])
def test_a_foreign_sqlite_file_is_left_as_it_was(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = foreign_sqlite(tmp_path / "other.db")
    before = snapshot(tmp_path)
    assert main([*command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"错误：{path} 不是评审台项目文件。"
    assert snapshot(tmp_path) == before  # not switched to WAL, no -wal/-shm files
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


def test_key_show_needs_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "expret.rdp"
    assert main(["key", "show", str(typo)]) == 2
    assert "找不到项目文件" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no private key made beside a mistyped path


def test_new_projects_carry_the_application_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.rdp"
    assert main(["project", "new", str(path), "--name", "第三批"]) == 0
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert main(["project", "info", str(path)]) == 0


@pytest.mark.sqlite_only("a project file's header")
def test_a_project_of_an_earlier_version_is_marked_when_opened_for_writing(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(demo_project) as connection:
        connection.execute("PRAGMA application_id=0")  # as earlier versions made them
    connection.close()
    before = hashlib.sha256(demo_project.read_bytes()).hexdigest()
    assert main(["project", "info", str(demo_project)]) == 0  # read-only: recognised
    assert hashlib.sha256(demo_project.read_bytes()).hexdigest() == before
    assert main(["review", str(demo_project), "--json"]) == 0  # writes: marked as ours
    with sqlite3.connect(demo_project) as connection:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    connection.close()


def test_argparse_speaks_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in (
        (["rank"], "缺少以下参数"),
        (["rank", "x.rdp", "--method", "best"], "无效的选项"),
        (["rank", "x.rdp", "--bogus"], "无法识别的参数"),
        (["rank", "x.rdp", "--target"], "需要一个值"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert expected in err and "用法" in err, err
        assert "error:" not in err and "usage:" not in err
    with pytest.raises(SystemExit):
        main(["rank", "--help"])
    assert "显示本帮助并退出" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_and_logged(
    demo_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review_desk import project as project_module

    def broken(self: object) -> None:
        raise ZeroDivisionError("a bug in the summary")

    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(project_module.Project, "summary", broken)
    assert main(["project", "info", str(demo_project)]) == 2
    out, err = capsys.readouterr()
    log = tmp_path / "logs" / "review-desk.log"
    assert err.splitlines() == [
        f"意外错误：ZeroDivisionError: a bug in the summary 详情已写入日志 {log}"
    ]
    assert "Traceback" not in out + err
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "def broken" not in err
    assert "a bug in the summary" in text


def test_io_errors_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = tmp_path / "nowhere" / "rubric.toml"
    path = tmp_path / "p.rdp"
    assert main(["project", "new", str(path), "--name", "x"]) == 0
    capsys.readouterr()
    assert main(["rubric", "use", str(path), str(rubric)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"错误：找不到文件：{rubric}", err
    assert "Errno" not in err


def test_key_enrol_names_a_missing_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.rdp"
    assert main(["project", "new", str(path), "--name", "x"]) == 0
    capsys.readouterr()
    pem = tmp_path / "公钥.pem"
    assert main(["key", "enrol", str(path), "--expert", "1", "--public-key", str(pem)]) == 2
    assert capsys.readouterr().err.strip() == f"错误：找不到文件：{pem}"  # was "[Errno 2] …"


def _driver_error(message: str, code: int) -> Exception:
    from sqlalchemy.exc import OperationalError

    original = sqlite3.OperationalError(message)
    original.sqlite_errorcode = code  # type: ignore[attr-defined]  # as SQLite sets it
    return OperationalError("UPDATE review_project SET name = ?", ("x",), original)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_driver_error("database or disk is full", 13), "错误：磁盘空间不足。"),
        (_driver_error("disk I/O error", 10 | (3 << 8)), "错误：磁盘读写出错。"),
    ],
)
def test_a_disk_failure_in_the_middle_of_a_command_is_named(
    error: Exception,
    expected: str,
    demo_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review_desk import project as project_module

    def fail(self: object) -> None:
        raise error

    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(project_module.Project, "summary", fail)
    assert main(["project", "info", str(demo_project)]) == 2
    assert capsys.readouterr().err.strip() == expected
    assert not (tmp_path / "logs").exists()


def test_an_unexpected_database_error_shows_no_web_link(
    demo_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review_desk import project as project_module

    def fail(self: object) -> None:
        raise _driver_error("no such column: review_project.colour", 1)

    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(project_module.Project, "summary", fail)
    assert main(["project", "info", str(demo_project)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("意外错误：OperationalError: no such column: review_project.colour")
    assert "sqlalche.me" not in err and len(err.splitlines()) == 1
    assert "sqlalche.me" in (tmp_path / "logs" / "review-desk.log").read_text("utf-8")


def test_an_error_for_the_user_carries_a_code_and_is_translated_when_shown(
    tmp_path: Path,
) -> None:
    from review_desk import i18n
    from review_desk.errors import UserError
    from review_desk.project import Project

    missing = tmp_path / "x.rdp"
    with pytest.raises(UserError) as caught:
        Project(missing)
    error = caught.value
    assert error.code == "project.missing" and error.params == {"path": missing.resolve()}
    assert str(error) == f"找不到项目文件：{missing.resolve()}"
    try:
        i18n.set_locale("en")
        assert str(error) == f"Project file not found: {missing.resolve()}"
    finally:
        i18n.set_locale("zh_CN")


def test_package_import_names_a_missing_return_package(
    demo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "返回包.rdreturn"
    code = main(["package", "import", str(demo_project), str(missing)])
    out, err = capsys.readouterr()
    assert code == 1  # refused, and the others (none here) still imported
    assert f"找不到文件：{missing}" in out and "No such file" not in out + err
    assert "Traceback" not in out + err


def test_a_failed_write_leaves_no_traceback_even_at_exit(
    demo_project: Path, tmp_path: Path
) -> None:
    """The results workbook cannot be written (a file where its folder should be): one
    line naming why, and what a library leaves unfinished goes to the log, not the
    terminal (it printed five "Exception ignored … Traceback" blocks at exit)."""
    blocker = tmp_path / "结果"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    out = blocker / "结果.xlsx"
    result = run_real("export", str(demo_project), "--out", str(out), env_dir=tmp_path / "logs")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"错误：无法写入 {out}：同名文件已存在：{blocker}"]
    assert "Traceback" not in result.stdout + result.stderr


def test_package_open_names_why_a_package_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing, text_file = tmp_path / "工作包.rdwork", tmp_path / "文本.rdwork"
    text_file.write_text("not a package", encoding="utf-8")
    target = tmp_path / "own.rdp"
    assert main(["package", "open", str(missing), str(target)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"错误：工作包.rdwork 不是可读取的包（找不到文件：{missing}）。"
    )
    assert main(["package", "open", str(text_file), str(target)]) == 2
    err = capsys.readouterr().err
    assert "不是 zip 压缩包" in err and "Errno" not in err and "File is not" not in err
