"""Reading PDFs in limited worker processes, and finding the checklist items."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from review_desk import reference
from review_desk.demo.pdfs import dossier_pdf, scanned_pdf
from review_desk.demo.texts import DossierFacts
from review_desk.intake.pdf_text import find_items, has_text_layer, heading_items
from review_desk.intake.pdf_worker import (
    DAMAGED,
    NO_TEXT,
    OK,
    TOO_COSTLY,
    PdfReaderBroken,
    PdfWorkers,
)
from tests.small_project import cli


def test_headings_not_mentions() -> None:
    assert heading_items("（五）经费预算") == {"plan.budget"}
    assert heading_items("二、建设实施方案") == set()
    assert heading_items("3. “政企行校”的合作协议") == {"support.agreements"}
    assert heading_items("项目建设场地产权清晰，已签订长期租赁、合作协议。") == set()
    assert heading_items("经费预算") == {"plan.budget"}


def test_table_of_contents_is_passed_over() -> None:
    toc = "\n".join(
        [
            "目录",
            "一、参与主体简介",
            "（一）建设的必要性和可行性",
            "（二）建设思路",
            "（三）建设目标",
            "（四）重点建设任务",
            "（五）经费预算",
        ]
    )
    pages = ["封面", toc, "一、参与主体简介\n正文", "（一）建设的必要性和可行性\n（二）建设思路"]
    found = find_items(pages)
    assert found["profile"] == 3 and found["plan.necessity"] == 4 and found["plan.approach"] == 4
    assert found["plan.budget"] == 2  # only in the contents: better than nothing
    assert has_text_layer(pages)
    assert not has_text_layer(["", " ", "\n"])


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _bomb() -> bytes:
    """A small PDF whose page content inflates to 400 MB."""
    content = zlib.compress(b" " * (400 * 1024 * 1024), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>stream\n" % len(content) + content + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_workers_read_good_bad_and_hostile_files(tmp_path: Path) -> None:
    rng = random.Random(3)
    direction = reference.directions()[6]
    facts = DossierFacts("甲公司", "企业", "太原市", direction, "甲基地", "省级", ())
    good, pages = dossier_pdf(facts, reference.checklist(), {"plan.budget"}, rng)
    scan, _n = scanned_pdf(rng, pages=2)
    paths = [
        _write(tmp_path, "good.pdf", good),
        _write(tmp_path, "scan.pdf", scan),
        _write(tmp_path, "junk.pdf", b"%PDF-1.4\nthis is not a pdf at all"),
        _write(tmp_path, "empty.pdf", b""),
        _write(tmp_path, "bomb.pdf", _bomb()),
    ]
    with PdfWorkers(workers=2, memory_mb=300, timeout=60) as pool:
        reports = {Path(r.path).name: r for r in pool.read(paths)}
    assert reports["good.pdf"].status == OK and reports["good.pdf"].pages == pages
    assert set(reports["good.pdf"].items) == {i.key for i in reference.checklist()} - {
        "plan.budget"
    }
    assert reports["scan.pdf"].status == NO_TEXT and reports["scan.pdf"].pages == 2
    assert reports["junk.pdf"].status == DAMAGED and reports["junk.pdf"].message
    assert reports["empty.pdf"].status == DAMAGED
    # The parser's own inflation cap or the memory limit stops it: never a hang or a crash.
    assert reports["bomb.pdf"].status in (TOO_COSTLY, DAMAGED, NO_TEXT)
    assert reports["bomb.pdf"].items == {}


def test_a_worker_that_takes_too_long_is_replaced(tmp_path: Path) -> None:
    rng = random.Random(4)
    facts = DossierFacts(
        "乙公司", "企业", "太原市", reference.directions()[0], "乙基地", "省级", ()
    )
    good, _pages = dossier_pdf(facts, reference.checklist(), set(), rng)
    path = _write(tmp_path, "slow.pdf", good)
    # Starting a worker and importing the PDF parser alone takes longer than this.
    with PdfWorkers(workers=1, timeout=0.001) as pool:
        report = next(iter(pool.read([path])))
    assert report.status == TOO_COSTLY and "0.001" in report.message
    with PdfWorkers(workers=1) as pool:
        assert next(iter(pool.read([path]))).status == OK


def test_a_worker_that_dies_on_a_file_is_that_files_problem(tmp_path: Path) -> None:
    """A worker that started and then died (the memory limit's kill, a parser crash) flags
    the file it was reading; the next file is read by a new worker."""
    rng = random.Random(5)
    facts = DossierFacts(
        "丙公司", "企业", "太原市", reference.directions()[1], "丙基地", "省级", ()
    )
    good, _pages = dossier_pdf(facts, reference.checklist(), set(), rng)
    path = _write(tmp_path, "good.pdf", good)
    with PdfWorkers(workers=1) as pool:
        assert next(iter(pool.read([path]))).status == OK
        pool._workers[0].process.kill()  # as the kernel does when the limit is hit
        pool._workers[0].process.join()
        report = next(iter(pool.read([path])))
        assert report.status == TOO_COSTLY and report.message
        assert next(iter(pool.read([path]))).status == OK


def test_a_worker_that_cannot_start_is_an_error_not_a_flag(tmp_path: Path) -> None:
    """Too little memory to even load the parser: our fault, not the file's."""
    if sys.platform == "win32":
        pytest.skip("RLIMIT_AS does not exist on Windows")
    path = _write(tmp_path, "any.pdf", b"%PDF-1.4\n")
    with PdfWorkers(workers=1, memory_mb=20) as pool, pytest.raises(PdfReaderBroken):
        list(pool.read([path]))


def _without_pypdf(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python cannot import pypdf, as in a build that left it out."""
    fake = tmp_path / "site" / "pypdf"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'pypdf'\", name='pypdf')\n"
    )
    path = os.pathsep.join(p for p in (str(fake.parent), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, REVIEW_DESK_LANG="zh_CN")


def _cli() -> list[str]:
    installed = Path(sys.executable).with_name("review-desk")
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-c", "from ui.launcher import main; main()"]


def test_demo_without_the_pdf_parser_fails_instead_of_flagging_every_file(
    tmp_path: Path,
) -> None:
    """The frozen build without pypdf printed 47 tracebacks, exited 0 and called every
    dossier unreadable. A reader that cannot start stops the command with one message."""
    result = subprocess.run(
        [*_cli(), "demo", str(tmp_path / "demo.rdp")],
        env=_without_pypdf(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "PDF" in result.stderr and "pypdf" in result.stderr


def test_intake_with_a_broken_reader_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same through ``intake``: exit non-zero and no dossier stored as unreadable.
    Only ``intake`` runs in a subprocess without pypdf; the register and the project
    are made in-process."""
    register = tmp_path / "申报汇总表.xlsx"
    code, _out, err = cli(capsys, "template", "register", str(register), "--demo")
    assert code == 0, err
    files = tmp_path / "申报材料"  # beside the register
    assert any(files.glob("*.pdf"))
    project = tmp_path / "p.rdp"
    code, _out, err = cli(capsys, "project", "new", str(project), "--name", "试验")
    assert code == 0, err
    result = subprocess.run(
        [*_cli(), "intake", str(project), "--register", str(register), "--files", str(files)],
        env=_without_pypdf(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "pypdf" in result.stderr
    code, out, err = cli(capsys, "project", "info", str(project), "--json")
    assert code == 0, err
    assert json.loads(out)["dossiers"] == 0
