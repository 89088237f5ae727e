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
from tests.small_project import cli
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
    # One page wide at a readable size (a set scale: LibreOffice reads "fit to width" as
    # "fit to one page").
    assert sheet.page_setup.scale >= 73 and not sheet.sheet_properties.pageSetUpPr.fitToPage
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


def test_publicity_command(
    finalised_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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
    # The refusal in-process (the entry point has run above).
    written = target.read_bytes()
    status, _out, err = cli(
        capsys, "publicity", str(finalised_project), "--out", str(target), "--start", "12/01"
    )
    assert status == 2 and "YYYY-MM-DD" in err
    assert target.read_bytes() == written


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
    # (The name wraps in its column: lines joined.)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "p.pdf").pages).replace("\n", "")
    assert "A&B <i>科技</i> <x" in text and "R&D <办公室>" in text


def _publish(project: Path, target: Path) -> None:
    """``review-desk publicity`` as the agency runs it."""
    from review_desk.cli import main

    arguments = ["publicity", str(project), "--out", str(target), "--start", "2026-12-01"]
    arguments += ["--days", "7", "--phone", "0351-1234567", "--email", "sxscjrhcjh@163.com"]
    arguments += ["--address", "太原市小店区", "--issuer", "山西省促进产教融合厅际联席会议办公室"]
    assert main(arguments) == 0


def _pdf_pages(path: Path) -> list[str]:
    return [page.extract_text().replace("\n", "") for page in PdfReader(path).pages]


def _rename_round(project: Path, round_name: str) -> str:
    with Project(project) as opened, opened.transaction() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        info.round_name = round_name
        return info.name


def test_the_title_names_the_round(finalised_project: Path, tmp_path: Path) -> None:
    """The title says which round the list is of (was 首批 whatever the round)."""
    _rename_round(finalised_project, "第二批省/市产教融合（重大）平台载体和实训基地遴选")
    _publish(finalised_project, tmp_path / "p.pdf")
    _publish(finalised_project, tmp_path / "p.xlsx")
    first = _pdf_pages(tmp_path / "p.pdf")[0]
    assert "第二批省/市产教融合（重大）平台载体和实训基地遴选" in first
    assert "首批" not in "".join(_pdf_pages(tmp_path / "p.pdf"))
    sheet = load_workbook(tmp_path / "p.xlsx").active
    assert "第二批" in sheet["A1"].value and "首批" not in sheet["A1"].value
    # No round name: the project's name.
    name = _rename_round(finalised_project, "")
    _publish(finalised_project, tmp_path / "q.pdf")
    assert name in _pdf_pages(tmp_path / "q.pdf")[0]


def test_every_pdf_page_says_page_n_of_m(finalised_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "公示名单.pdf"
    _publish(finalised_project, target)
    pages = _pdf_pages(target)
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {len(pages)} 页" in text, text[-80:]


def test_applied_for_and_selected_levels_are_two_columns(
    finalised_project: Path, tmp_path: Path
) -> None:
    """申报级别 is what the dossier applied for; 拟认定级别 what it is to be recognised as
    (the column showed the selected level under the applied-for level's name)."""
    with Project(finalised_project) as project:
        with project.reading() as session:
            rows = session.execute(select(m.Dossier.code, m.Dossier.requested_level)).all()
            requested = {code: level for code, level in rows}
        listing = publicity_list(project)
    assert all(e.requested_level == requested[e.code] for e in listing.entries)
    # The demo has dossiers that applied for the provincial level and are municipal.
    assert any(e.requested_level != e.level for e in listing.entries)
    _publish(finalised_project, tmp_path / "p.xlsx")
    sheet = load_workbook(tmp_path / "p.xlsx").active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0] is not None]
    header = next(row for row in rows if row[0] == "序号")
    assert "申报级别" in header and "拟认定级别" in header
    applied, selected = header.index("申报级别"), header.index("拟认定级别")
    platform = header.index("平台载体名称")
    labels = {"provincial": "省级", "municipal": "市级", "county": "县级"}
    for entry in listing.entries:
        row = next(r for r in rows if r[platform] == entry.platform)
        assert row[applied] == labels[entry.requested_level]
        assert row[selected] == ("省级" if entry.level == "provincial" else "市（县）级")
    _publish(finalised_project, tmp_path / "p.pdf")
    text = "".join(_pdf_pages(tmp_path / "p.pdf"))
    assert "申报级别" in text and "拟认定级别" in text


def test_the_xlsx_is_the_whole_notice(finalised_project: Path, tmp_path: Path) -> None:
    """The sheet carries what the PDF does: the introduction, the list, the period,
    where objections go (office, address, telephone, e-mail), the issuer and the date."""
    _publish(finalised_project, tmp_path / "p.xlsx")
    _publish(finalised_project, tmp_path / "p.pdf")
    sheet = load_workbook(tmp_path / "p.xlsx").active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = "".join(cells)
    pdf = "".join(_pdf_pages(tmp_path / "p.pdf"))
    assert "现予以公示" in text and "现予以公示" in pdf
    for part in (
        "2026年12月1日至2026年12月7日",
        "0351-1234567",
        "sxscjrhcjh@163.com",
        "太原市小店区",
        "山西省促进产教融合厅际联席会议办公室",
        "2026年12月1日",
    ):
        assert part in text, part
        assert part in pdf, part
    # The introduction comes before the list, the issuer and date after it.
    intro = next(i for i, c in enumerate(cells) if "现予以公示" in c)
    first = next(i for i, c in enumerate(cells) if c == "序号")
    assert intro < first < cells.index("2026年12月1日")


def test_the_final_list_state_is_what_the_pages_show(
    demo_project: Path, finalised_project: Path
) -> None:
    """The export and charts pages read the locked list through typed values, not ORM
    rows: its hash and the number of entries the publicity list will carry."""
    from review_desk.results.source import final_list_hash, final_list_state

    with Project(demo_project) as project:
        assert final_list_state(project) is None
        assert final_list_hash(project) is None
    with Project(finalised_project) as project:
        state = final_list_state(project)
        assert state is not None
        assert final_list_hash(project) == state.content_hash
        assert state.listed == len(publicity_list(project).entries)
