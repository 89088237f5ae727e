"""Two refusals a new user met: a text file named .pdf offered as a supplement (补正),
and a folder of return packages that holds none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from review_desk.project import Project
from review_desk.storage import models as m
from tests.exchange.test_packages import dump
from tests.support import run_cli


def test_a_text_file_named_pdf_is_no_supplement(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project, project.reading() as s:
        code = s.scalars(select(m.Dossier.code).order_by(m.Dossier.code)).first()
    fake = tmp_path / "补正材料.pdf"
    fake.write_text("这不是 PDF，只是改了扩展名的文本。", encoding="utf-8")
    before = dump(demo_project, audit=True)
    refused = run_cli("supplement", str(demo_project), "--dossier", str(code), str(fake))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "不是 PDF" in refused.stderr and "Traceback" not in refused.stderr
    assert dump(demo_project, audit=True) == before


def test_a_folder_without_return_packages_is_said_so(demo_project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "returns"
    empty.mkdir()
    refused = run_cli("package", "import", str(demo_project), str(empty))
    assert refused.returncode == 2
    assert "没有返回包" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
