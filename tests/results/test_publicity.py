"""The publicity list: only from the finalised list; its PDF and printable sheet hold
exactly the finalised provincial and municipal entries, the period, the contact and
the list's hash."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from review_desk.project import Project
from review_desk.results.publicity import (
    PublicityError,
    PublicityNotice,
    publicity_list,
    write_publicity_pdf,
    write_publicity_xlsx,
)
from review_desk.storage import models as m
from tests.support import run_cli

NOTICE = PublicityNotice(
    start=date(2026, 12, 1),
    end=date(2026, 12, 7),
    contact_office="山西省促进产教融合厅际联席会议办公室",
    contact_phone="0351-1234567",
    contact_email="sxscjrhcjh@163.com",
    address="太原市",
    issuer="山西省促进产教融合厅际联席会议办公室",
)


def _final(project: Project) -> m.FinalList:
    with project.reading() as session:
        return session.scalars(select(m.FinalList)).one()


def test_publicity_refuses_an_unfinalised_list(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project, pytest.raises(PublicityError, match="定稿"):
        publicity_list(project)
    done = run_cli("publicity", str(demo_project), "--out", str(tmp_path / "p.pdf"))
    assert done.returncode == 2 and "定稿" in done.stderr
    assert not (tmp_path / "p.pdf").exists()


def test_publicity_list_is_the_finalised_list(finalised_project: Path, tmp_path: Path) -> None:
    with Project(finalised_project) as project:
        listing = publicity_list(project)
        final = _final(project)
        # Scores changed after finalising do not change what is published.
        with project.transaction() as session:
            for score in session.scalars(select(m.Score)):
                score.points = 0
        assert publicity_list(project) == listing
    provincial = [r["code"] for r in final.rows if r["adjusted_tier"] == "provincial"]
    municipal = [r["code"] for r in final.rows if r["adjusted_tier"] == "municipal"]
    assert sorted(e.code for e in listing.of_level("provincial")) == sorted(provincial)
    assert sorted(e.code for e in listing.of_level("municipal")) == sorted(municipal)
    assert [e.number for e in listing.of_level("provincial")] == list(range(1, len(provincial) + 1))
    assert listing.content_hash == final.content_hash
    assert all(e.platform and e.applicant and e.direction for e in listing.entries)

    pdf_path = tmp_path / "公示名单.pdf"
    write_publicity_pdf(pdf_path, listing, NOTICE)
    text = "".join(page.extract_text() for page in PdfReader(pdf_path).pages).replace("\n", "")
    assert "名单公示" in text
    for entry in listing.entries:
        assert entry.applicant in text
    assert "2026年12月1日至2026年12月7日" in text
    assert "0351-1234567" in text and "sxscjrhcjh@163.com" in text
    assert listing.content_hash in text

    xlsx_path = tmp_path / "公示名单.xlsx"
    write_publicity_xlsx(xlsx_path, listing, NOTICE)
    sheet = load_workbook(xlsx_path)["公示名单"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    for entry in listing.entries:
        assert entry.platform in values
    assert any("2026年12月1日至2026年12月7日" in str(v) for v in values)
    assert sheet.page_setup.fitToWidth == 1
    assert listing.content_hash[:16] in sheet.oddFooter.right.text


def test_publicity_notice_is_checked(finalised_project: Path, tmp_path: Path) -> None:
    with Project(finalised_project) as project:
        listing = publicity_list(project)
    backwards = PublicityNotice(date(2026, 12, 7), date(2026, 12, 1), "办公室")
    with pytest.raises(PublicityError, match="早于"):
        write_publicity_pdf(tmp_path / "x.pdf", listing, backwards)
    with pytest.raises(PublicityError):
        write_publicity_xlsx(
            tmp_path / "x.xlsx", listing, PublicityNotice(date.today(), date.today(), " ")
        )
    assert not list(tmp_path.glob("x.*")) and not list(tmp_path.glob(".x.*"))


def test_publicity_command(finalised_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.pdf"
    done = run_cli(
        "publicity",
        str(finalised_project),
        "--out",
        str(target),
        "--start",
        "2026-12-01",
        "--days",
        "5",
        "--phone",
        "0351-7654321",
        module="review_desk",
    )
    assert done.returncode == 0, done.stderr
    text = "".join(p.extract_text() for p in PdfReader(target).pages).replace("\n", "")
    assert "2026年12月1日至2026年12月5日" in text and "0351-7654321" in text
    bad = run_cli("publicity", str(finalised_project), "--out", str(target), "--start", "12/01")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_markup_in_names_is_printed_as_text(finalised_project: Path, tmp_path: Path) -> None:
    with Project(finalised_project) as project:
        listing = publicity_list(project)
    first = listing.entries[0]
    odd = type(first)(**{**first.__dict__, "applicant": "A&B <i>科技</i> <x"})
    listing = type(listing)(
        (odd, *listing.entries[1:]), listing.content_hash, listing.finalised_at, listing.title
    )
    notice = PublicityNotice(date(2026, 12, 1), date(2026, 12, 7), "R&D <办公室>")
    write_publicity_pdf(tmp_path / "p.pdf", listing, notice)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "p.pdf").pages)
    assert "A&B <i>科技</i> <x" in text and "R&D <办公室>" in text
