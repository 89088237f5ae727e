"""The publicity list (公示名单), made from the finalised list only: under a title that
names the round, an introduction and the list's version with its content hash, then the
provincial bases and the municipal/county ones, numbered, with applicant, platform
name, direction, the level applied for and the level to be recognised; once objections
were recorded, how each was closed and whether the list was revised; the publicity
period, where to send objections, the issuer and the date. Once the list has been
published (正式发布) the same document is the published list, under that title and
with the day of publication. Written as a PDF in the official style (reportlab, the
standard CID font STSong-Light that PDF readers supply for Chinese; 第 N 页，共 M 页 on
every page) and as a printable Excel sheet holding the same text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select

from review_desk.atomic_file import replacing
from review_desk.audit import utc_now
from review_desk.documents.numbered_pdf import write_numbered_pdf
from review_desk.documents.pdf_fonts import CHINESE_FONT, register_chinese_font
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.results.publicity_closing import (
    ListStanding,
    list_standing,
    objection_headers,
    objection_values,
    objections_summary,
    revision_line,
    version_line,
)
from review_desk.results.source import final_list
from review_desk.storage import models as m

_FONT = CHINESE_FONT
LEVELS = ("provincial", "municipal")
A4_PORTRAIT_WIDTH_PT = 595.28
SIDE_MARGIN_IN = 0.5


class PublicityError(UserError):
    """The publicity list cannot be made; the message is for the user."""


@dataclass(frozen=True)
class PublicityEntry:
    """One line of the publicity list."""

    number: int
    code: str
    applicant: str
    platform: str
    direction: str
    city: str
    level: str  # provincial or municipal: the level to be recognised
    requested_level: str = ""  # what the dossier applied for (Level)


@dataclass(frozen=True)
class PublicityNotice:
    """What the notice says around the list."""

    start: date
    end: date
    contact_office: str
    contact_phone: str = ""
    contact_email: str = ""
    address: str = ""
    issuer: str = ""
    issued_on: date | None = None

    def check(self) -> None:
        """Refuse a period that ends before it starts or an empty contact."""
        if self.end < self.start:
            raise PublicityError(_("The publicity period ends before it starts."))
        if not self.contact_office.strip():
            raise PublicityError(_("Say where objections are to be sent."))


@dataclass(frozen=True)
class PublicityList:
    """The finalised list's entries, by level, with the list's content hash, its
    version and where its publicity and objections stand."""

    entries: tuple[PublicityEntry, ...]
    content_hash: str
    finalised_at: datetime
    title: str  # the round's name, or the project's when the round has none
    standing: ListStanding = field(default_factory=ListStanding)

    @property
    def published(self) -> bool:
        """Whether this is the published list (正式发布) rather than the publicity list."""
        return self.standing.published_on is not None

    def of_level(self, level: str) -> list[PublicityEntry]:
        """The entries of one level, numbered from 1."""
        return [e for e in self.entries if e.level == level]


def level_label(level: str) -> str:
    """A level as the publicity list names it."""
    return _("Provincial") if level == "provincial" else _("Municipal/county")


def requested_label(level: str) -> str:
    """The level a dossier applied for, as the register names it."""
    from review_desk.domain import Level

    try:
        return Level(level).label
    except ValueError:
        return level


def publicity_list(project: Project) -> PublicityList:
    """The entries of the finalised list; refused when the list is not finalised."""
    final = final_list(project)
    if final is None:
        raise PublicityError(
            _(
                "The list is not finalised: the publicity list is made from the committee's "
                "finalised list only."
            )
        )
    with project.reading() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        facts = {
            row.id: row
            for row in session.execute(
                select(
                    m.Dossier.id,
                    m.Dossier.platform_name,
                    m.Dossier.direction_id,
                    m.Dossier.requested_level,
                    m.Direction.short_name,
                    m.Applicant.city,
                )
                .join(m.Direction, m.Direction.id == m.Dossier.direction_id)
                .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
            )
        }
    entries: list[PublicityEntry] = []
    for level in LEVELS:
        chosen = [r for r in final.rows if r.get("adjusted_tier") == level]
        # The list's order: by rank (which settles equal scores), then score and code.
        chosen.sort(
            key=lambda r: (
                r.get("rank") is None,
                r.get("rank") or 0,
                -(r["score"] if r["score"] is not None else -1),
                r["code"],
            )
        )
        for number, row in enumerate(chosen, start=1):
            fact = facts.get(row["dossier_id"])
            entries.append(
                PublicityEntry(
                    number=number,
                    code=row["code"],
                    applicant=row["applicant"],
                    platform=fact.platform_name if fact else "",
                    direction=f"{fact.direction_id:02d} {fact.short_name}"
                    if fact
                    else row["direction"],
                    city=fact.city if fact else "",
                    level=level,
                    requested_level=fact.requested_level if fact else "",
                )
            )
    title = info.round_name.strip() or info.name
    return PublicityList(
        tuple(entries), final.content_hash, final.finalised_at, title, list_standing(project)
    )


def _register_font() -> None:
    register_chinese_font()


def _chinese_date(value: date) -> str:
    return tr("{year}-{month}-{day}", year=value.year, month=value.month, day=value.day)


def notice_paragraphs(notice: PublicityNotice, *, published: bool = False) -> list[str]:
    """The text under the list: the period and where objections go (the published list:
    the period it was publicised in)."""
    if published:
        return [
            tr(
                "The list was publicised from {start} to {end}; the publicity period has ended.",
                start=_chinese_date(notice.start),
                end=_chinese_date(notice.end),
            )
        ]
    contact = [notice.contact_office.strip()]
    if notice.address.strip():
        contact.append(tr("address: {value}", value=notice.address.strip()))
    if notice.contact_phone.strip():
        contact.append(tr("telephone: {value}", value=notice.contact_phone.strip()))
    if notice.contact_email.strip():
        contact.append(tr("e-mail: {value}", value=notice.contact_email.strip()))
    return [
        tr(
            "Publicity period: {start} to {end}.",
            start=_chinese_date(notice.start),
            end=_chinese_date(notice.end),
        ),
        tr(
            "Anyone who objects to a listed unit during the publicity period may state it in "
            "writing, under their real name, with the facts and evidence, to: {contact}.",
            contact="；".join(contact),
        ),
    ]


def publicity_title(listing: PublicityList) -> str:
    """The list's title, naming its round (the published list's once published)."""
    if listing.published:
        return tr("Published list of the units selected in {round}", round=listing.title)
    return tr("Publicity list of the units proposed in {round}", round=listing.title)


def publication_line(listing: PublicityList) -> str | None:
    """Under the published list's title: the day it was published (None before)."""
    day = listing.standing.published_on
    return None if day is None else tr("Published on {day}", day=_chinese_date(day))


def issued_on(listing: PublicityList, notice: PublicityNotice) -> date:
    """The day the document is dated: its publication, or the notice's day."""
    return listing.standing.published_on or notice.issued_on or notice.start


def introduction(listing: PublicityList) -> str:
    """The paragraph above the list."""
    if listing.published:
        return tr(
            "After expert review, the inter-departmental joint meeting's decision and "
            "publicity, the units selected in {round} are listed below. The list is hereby "
            "published.",
            round=listing.title,
        )
    return tr(
        "After expert review and the inter-departmental joint meeting's decision, the units "
        "proposed in {round} are listed below. They are published for public comment.",
        round=listing.title,
    )


def _headers() -> list[str]:
    return [
        _("No."),
        _("Lead applicant"),
        _("Platform name"),
        _("Direction"),
        _("Requested level"),
        _("Level to be recognised"),
    ]


def write_publicity_pdf(target: Path, listing: PublicityList, notice: PublicityNotice) -> None:
    """Write the publicity list as an A4 PDF in the official style."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    notice.check()
    _register_font()

    def para(text: str, style: Any) -> Any:
        # Paragraph reads its text as markup: names and notes are plain text.
        return Paragraph(escape(text), style)

    title_style = ParagraphStyle(
        "title", fontName=_FONT, fontSize=20, leading=32, alignment=TA_CENTER, wordWrap="CJK"
    )
    heading = ParagraphStyle(
        "heading",
        fontName=_FONT,
        fontSize=14,
        leading=26,
        spaceBefore=10,
        spaceAfter=4,
        keepWithNext=1,  # never a heading alone at the foot of a page
    )
    body = ParagraphStyle(
        "body", fontName=_FONT, fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK"
    )
    cell = ParagraphStyle("cell", fontName=_FONT, fontSize=10.5, leading=15, wordWrap="CJK")
    head_cell = ParagraphStyle(
        "head", parent=cell, alignment=TA_CENTER, textColor=colors.white, fontSize=11
    )
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT, firstLineIndent=0)

    centred = ParagraphStyle("centred", parent=body, alignment=TA_CENTER, firstLineIndent=0)
    number_cell = ParagraphStyle("n", parent=cell, alignment=TA_CENTER)

    title = publicity_title(listing)

    def grid(data: list[list[Any]], widths: list[float]) -> Any:
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E79")),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#5B7A99")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -1),
                        [colors.white, colors.HexColor("#F2F6FA")],
                    ),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return table

    def make_story() -> list[Any]:
        # Laid out twice (see below), and a layout splits and changes its flowables.
        story: list[Any] = [para(title, title_style)]
        published = publication_line(listing)
        if published:
            story.append(para(published, centred))
        story.append(Spacer(1, 6 * mm))
        story.append(para(introduction(listing), body))
        story.append(para(version_line(listing.standing, listing.content_hash), body))
        headers = _headers()
        widths = [10 * mm, 36 * mm, 50 * mm, 30 * mm, 20 * mm, 24 * mm]  # 170 mm: the text width
        chapter = [_("1. Provincial bases"), _("2. Municipal/county bases")]
        for index, level in enumerate(LEVELS):
            entries = listing.of_level(level)
            story.append(
                para(tr("{title} ({count})", title=chapter[index], count=len(entries)), heading)
            )
            if not entries:
                story.append(para(_("None."), body))
                continue
            data = [[para(h, head_cell) for h in headers]]
            for entry in entries:
                data.append(
                    [
                        para(str(entry.number), number_cell),
                        para(entry.applicant, cell),
                        para(entry.platform, cell),
                        para(entry.direction, cell),
                        para(requested_label(entry.requested_level), cell),
                        para(level_label(entry.level), cell),
                    ]
                )
            story.append(grid(data, widths))
        objections = listing.standing.objections
        if objections:
            story.append(para(_("3. Objections and how they were handled"), heading))
            story.append(para(objections_summary(listing.standing), body))
            data = [[para(h, head_cell) for h in objection_headers()]]
            for number, objection in enumerate(objections, start=1):
                values = objection_values(number, objection)
                data.append([para(values[0], number_cell), *(para(v, cell) for v in values[1:])])
            story.append(grid(data, [10 * mm, 32 * mm, 24 * mm, 24 * mm, 80 * mm]))
            story.append(para(revision_line(listing.standing), body))
        # The notice, the issuer and the date on one page: a signature never stands alone.
        closing: list[Any] = [Spacer(1, 6 * mm)]
        closing.extend(
            para(text, body) for text in notice_paragraphs(notice, published=listing.published)
        )
        closing.append(Spacer(1, 12 * mm))
        if notice.issuer.strip():
            closing.append(para(notice.issuer.strip(), right))
        closing.append(para(_chinese_date(issued_on(listing, notice)), right))
        story.append(KeepTogether(closing))
        return story

    write_numbered_pdf(
        target,
        make_story,
        title=title,
        footer=tr("List hash {hash}", hash=listing.content_hash),
        pagesize=A4,
        top_margin_mm=22,
        author=notice.issuer or notice.contact_office,
    )


def _entry_values(entry: PublicityEntry) -> list[Any]:
    return [
        entry.number,
        entry.applicant,
        entry.platform,
        entry.direction,
        requested_label(entry.requested_level),
        level_label(entry.level),
    ]


def write_publicity_xlsx(target: Path, listing: PublicityList, notice: PublicityNotice) -> None:
    """Write the publicity list as one printable Excel sheet holding what the PDF holds:
    the title, the introduction, the list's version and hash, the list, the objections'
    closing state, the period and where objections go, the issuer and the date."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from review_desk.results.xlsx_tables import (
        FONT_NAME,
        LINE_HEIGHT_PT,
        clean_text,
        column_points,
        text_lines,
    )

    notice.check()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Publicity list")
    side = Side(style="thin", color="5B7A99")
    border = Border(left=side, right=side, top=side, bottom=side)
    headers = _headers()
    # Widths fixed for an A4 portrait page; names wrap, and each row is given the
    # height its text needs: no spreadsheet program grows merged rows, not all grow
    # wrapped ones.
    widths = [6.0, 18.0, 22.0, 14.0, 8.0, 10.0]
    last = len(widths)
    span = sum(widths)

    def paragraph(row: int, text: str, **style: Any) -> None:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        item = sheet.cell(row, 1, clean_text(text))
        item.font = Font(name=FONT_NAME, size=style.pop("size", 11), bold=style.pop("bold", False))
        item.alignment = Alignment(wrap_text=True, vertical="center", **style)
        sheet.row_dimensions[row].height = LINE_HEIGHT_PT * text_lines(text, span) + 8

    def header_row(row: int, names: list[str], columns: list[float]) -> None:
        for column, header in enumerate(names, start=1):
            item = sheet.cell(row, column, header)
            item.font = Font(name=FONT_NAME, bold=True, color="FFFFFF")
            item.fill = PatternFill("solid", fgColor="1F4E79")
            item.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            item.border = border
        lines = max(text_lines(h, w) for h, w in zip(names, columns, strict=True))
        sheet.row_dimensions[row].height = LINE_HEIGHT_PT * lines + 6

    def section_row(row: int, text: str) -> None:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        item = sheet.cell(row, 1, text)
        item.font = Font(name=FONT_NAME, size=12, bold=True)
        item.alignment = Alignment(vertical="center")
        for column in range(1, last + 1):
            sheet.cell(row, column).border = border
        sheet.row_dimensions[row].height = LINE_HEIGHT_PT + 10

    def value_row(row: int, values: list[Any], columns: list[float]) -> None:
        lines = max(text_lines(str(v), w) for v, w in zip(values, columns, strict=True))
        sheet.row_dimensions[row].height = LINE_HEIGHT_PT * lines + 6
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                value = clean_text(value)
            item = sheet.cell(row, column, value)
            if isinstance(value, str) and value.startswith("="):
                item.data_type = "s"  # text, never a formula
            item.font = Font(name=FONT_NAME)
            item.border = border
            item.alignment = Alignment(
                horizontal="center" if column == 1 else None,
                vertical="center",
                wrap_text=column > 1,
            )

    title = publicity_title(listing)
    paragraph(1, title, size=16, bold=True, horizontal="center")
    sheet.row_dimensions[1].height = 24 * text_lines(title, span / 16 * 11) + 12
    row = 2
    published = publication_line(listing)
    if published:
        paragraph(row, published, horizontal="center")
        row += 1
    paragraph(row, "\u3000\u3000" + introduction(listing))
    paragraph(row + 1, "\u3000\u3000" + version_line(listing.standing, listing.content_hash))
    row += 2
    # One table: the header row once, repeated at the top of every printed page, and
    # each level a section row inside it (a sheet repeats one range of rows only).
    header_row(row, headers, widths)
    sheet.print_title_rows = f"{row}:{row}"
    row += 1
    chapter = [_("1. Provincial bases"), _("2. Municipal/county bases")]
    for index, level in enumerate(LEVELS):
        entries = listing.of_level(level)
        section_row(row, tr("{title} ({count})", title=chapter[index], count=len(entries)))
        row += 1
        if not entries:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
            sheet.cell(row, 1, _("None.")).font = Font(name=FONT_NAME)
            row += 1
        for entry in entries:
            value_row(row, _entry_values(entry), widths)
            row += 1
    objections = listing.standing.objections
    if objections:
        # The committee's reason takes the last two columns.
        columns = [*widths[:4], widths[4] + widths[5]]
        section_row(row, _("3. Objections and how they were handled"))
        paragraph(row + 1, "\u3000\u3000" + objections_summary(listing.standing))
        header_row(row + 2, objection_headers(), columns)
        sheet.merge_cells(start_row=row + 2, start_column=5, end_row=row + 2, end_column=6)
        row += 3
        for number, objection in enumerate(objections, start=1):
            value_row(row, objection_values(number, objection), columns)
            sheet.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
            row += 1
        paragraph(row, "\u3000\u3000" + revision_line(listing.standing))
        row += 1
    row += 1
    for text in notice_paragraphs(notice, published=listing.published):
        paragraph(row, "\u3000\u3000" + text)
        row += 1
    row += 1
    for text in (notice.issuer.strip(), _chinese_date(issued_on(listing, notice))):
        if text:
            paragraph(row, text, horizontal="right")
            row += 1
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    # A set scale, not "fit to width": LibreOffice reads that as fit to one page.
    usable = A4_PORTRAIT_WIDTH_PT - 72 * 2 * SIDE_MARGIN_IN
    sheet.page_setup.scale = min(100, int(usable / sum(column_points(w) for w in widths) * 100))
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = False
    sheet.page_margins.left = sheet.page_margins.right = SIDE_MARGIN_IN
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = _("Page &P of &N")
    sheet.oddFooter.right.text = tr("List hash {hash}", hash=listing.content_hash[:16])
    for part in (sheet.oddFooter.center, sheet.oddFooter.right):
        part.size = 9
        part.font = FONT_NAME
    workbook.properties.title = title
    workbook.properties.creator = notice.issuer or notice.contact_office
    workbook.properties.description = listing.content_hash
    now = utc_now().replace(tzinfo=None)  # openpyxl writes it as UTC
    workbook.properties.created = workbook.properties.modified = now
    with replacing(target) as partial:
        workbook.save(partial)
