"""A register with its headers but no application under them is refused, not imported
as "0 new dossiers"."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk.intake.register_template import write_register
from tests.small_project import cli


def test_a_header_only_register_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p.rdp"
    assert cli(capsys, "project", "new", str(project), "--name", "测试")[0] == 0
    register = tmp_path / "申报汇总表.xlsx"
    write_register(register)  # the blank template: title, headers, no rows
    files = tmp_path / "files"
    files.mkdir()
    code, out, err = cli(
        capsys, "intake", str(project), "--register", str(register), "--files", str(files)
    )
    assert code == 1, out + err
    assert "没有数据行" in out, out
    assert "新增申报 0 份" not in out
