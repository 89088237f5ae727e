"""A small project made the way a new user makes one: ``project new``, a register
written from the template with one application, its PDF, ``intake`` and ``review``,
all through the command line (``review_desk.cli.main``, in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk.cli import main
from tests.intake import registers

APPLICANT = "太原星河智能科技有限公司"
PDF_NAME = "星河_申报材料.pdf"


def good_pdf(folder: Path) -> bytes:
    """The bytes of a readable dossier PDF with every checklist heading."""
    registers.write_pdfs(folder)
    return (folder / f"{APPLICANT}_新能源.pdf").read_bytes()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return its exit code, standard output and error."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exited:  # argparse refusing the arguments (or --help)
        code = exited.code if isinstance(exited.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def make_project(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pdf: bytes | None = None,
    *,
    tech_transfer: str = "无",
    review: bool = True,
    location: Path | str | None = None,
) -> Path:
    """A new project with one dossier (direction 7, provincial) whose material is
    ``pdf`` (a readable dossier PDF when None), taken in and formally reviewed."""
    from review_desk.intake.register_template import write_register

    files = tmp_path / "files"
    files.mkdir()
    data = pdf if pdf is not None else good_pdf(tmp_path / "source_pdfs")
    (files / PDF_NAME).write_bytes(data)
    register = tmp_path / "申报汇总表.xlsx"
    write_register(
        register,
        [
            {
                "applicant": APPLICANT,
                "credit_code": registers.ENTERPRISE,
                "kind": "行业骨干企业",
                "city": "太原市",
                "direction": "新能源",
                "level": "省级",
                "policy_list": "是",
                "pilot_enterprise": "已纳入",
                "tech_transfer": tech_transfer,
                "files": PDF_NAME,
            }
        ],
    )
    project = location or tmp_path / "p.rdp"  # a str: a server database's URL
    code, _out, err = cli(capsys, "project", "new", str(project), "--name", "测试批次")
    assert code == 0, err
    code, out, err = cli(
        capsys, "intake", str(project), "--register", str(register), "--files", str(files)
    )
    assert code == 0, out + err
    if review:
        code, _out, err = cli(capsys, "review", str(project))
        assert code == 0, err
    return project
