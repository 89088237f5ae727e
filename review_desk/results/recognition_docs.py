"""The documents of a recognition round, made from the finalised recognition list only:
the recognition list (认定名单) as a printable Excel sheet or an A4 PDF, and a
recognition document (认定文件) per base as an A4 PDF. Titles name the project's own
round (never a fixed 首批); the PDFs use the standard CID font STSong-Light like the
other documents; every page carries the list's content hash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from review_desk.atomic_file import replacing
from review_desk.documents.numbered_pdf import write_numbered_pdf
from review_desk.documents.pdf_fonts import CHINESE_FONT, register_chinese_font
from review_desk.i18n import _, tr
from review_desk.recognition import OUTCOMES, RecognitionList, outcome_label
from review_desk.results.publicity import level_label

_FONT = CHINESE_FONT


def list_title(listing: RecognitionList) -> str:
    """The recognition list's title, naming its round."""
    return tr("Recognition list of {round}", round=listing.round_name)


def _headers() -> list[str]:
    return [
        _("No."),
        _("Code"),
        _("Platform name"),
        _("Lead applicant"),
        _("Direction"),
        _("Level recognised"),
        _("Score"),
        _("Outcome"),
        _("Reason"),
    ]


def _score(row: dict[str, Any]) -> str:
    return f"{row['score']:.2f}" if row["score"] is not None else "—"


def _reason(row: dict[str, Any]) -> str:
    text = str(row["reason_text"])
    if row["deadline"]:
        text += tr("; rectify by {day}", day=_day(date.fromisoformat(row["deadline"])))
    return text


def _values(number: int, row: dict[str, Any]) -> list[Any]:
    return [
        number,
        row["code"],
        row["platform"],
        row["applicant"],
        row["direction"],
        level_label(row["level"]),
        round(row["score"], 2) if row["score"] is not None else None,
        outcome_label(row["outcome"]),
        _reason(row),
    ]


def _day(value: date) -> str:
    return tr("{year}-{month}-{day}", year=value.year, month=value.month, day=value.day)


def _ordered(listing: RecognitionList) -> list[dict[str, Any]]:
    """The rows by outcome (通过, 限期整改, 不通过), then by code."""
    return [row for outcome in OUTCOMES for row in listing.of_outcome(outcome)]


def write_list_xlsx(target: Path, listing: RecognitionList) -> None:
    """Write the recognition list as one printable Excel sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from review_desk.results.xlsx_tables import FONT_NAME, clean_text

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Recognition list")
    headers = _headers()
    widths = [6, 14, 28, 24, 14, 12, 9, 12, 40]
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    title = sheet.cell(1, 1, list_title(listing))
    title.font = Font(name=FONT_NAME, size=16, bold=True)
    title.alignment = Alignment(horizontal="center")
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(2, column, header)
        cell.font = Font(name=FONT_NAME, bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = width
    for number, row in enumerate(_ordered(listing), start=1):
        for column, value in enumerate(_values(number, row), start=1):
            shown = clean_text(value) if isinstance(value, str) else value
            cell = sheet.cell(number + 2, column, shown)
            cell.font = Font(name=FONT_NAME)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    last = len(listing.rows) + 4
    sheet.cell(last, 1, tr("List hash {hash}", hash=listing.content_hash)).font = Font(
        name=FONT_NAME, size=9
    )
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    with replacing(target) as partial:
        workbook.save(partial)


def _build_pdf(
    target: Path,
    *,
    title: str,
    footer: str,
    story: Callable[[dict[str, Any]], list[Any]],
    landscape_page: bool,
) -> None:
    """Lay out a story (made by ``story(styles)``) on A4 with a footer and page numbers
    (第 N 页，共 M 页: laid out twice, the first time to count the pages)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm

    register_chinese_font()
    size = landscape(A4) if landscape_page else A4
    body = ParagraphStyle(
        "body", fontName=_FONT, fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK"
    )
    styles = {
        "title": ParagraphStyle(
            "title", fontName=_FONT, fontSize=20, leading=32, alignment=TA_CENTER, wordWrap="CJK"
        ),
        "body": body,
        "cell": ParagraphStyle("cell", fontName=_FONT, fontSize=9.5, leading=13, wordWrap="CJK"),
        "head": ParagraphStyle(
            "head",
            fontName=_FONT,
            fontSize=10,
            leading=13,
            alignment=TA_CENTER,
            textColor=colors.white,
        ),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT, firstLineIndent=0),
        "plain": ParagraphStyle("plain", parent=body, firstLineIndent=0),
        "width": size[0] - 40 * mm,
    }
    write_numbered_pdf(target, lambda: story(styles), title=title, footer=footer, pagesize=size)


def _para(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    # Paragraph reads its text as markup: names and reasons are plain text.
    return Paragraph(escape(text), style)


def write_list_pdf(target: Path, listing: RecognitionList) -> None:
    """Write the recognition list as an A4 landscape PDF."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    title = list_title(listing)

    def story(styles: dict[str, Any]) -> list[Any]:
        counts = {o: len(listing.of_outcome(o)) for o in OUTCOMES}
        parts: list[Any] = [_para(title, styles["title"]), Spacer(1, 5 * mm)]
        parts.append(
            _para(
                tr(
                    "After the recognition review of {round} and the inter-departmental joint "
                    "meeting's decision: {passed} passed, {rectify} to rectify within a "
                    "deadline, {failed} failed.",
                    round=listing.round_name,
                    passed=counts["passed"],
                    rectify=counts["rectify"],
                    failed=counts["failed"],
                ),
                styles["body"],
            )
        )
        parts.append(Spacer(1, 4 * mm))
        data = [[_para(h, styles["head"]) for h in _headers()]]
        for number, row in enumerate(_ordered(listing), start=1):
            values = _values(number, row)
            values[6] = _score(row)
            data.append([_para(str(v), styles["cell"]) for v in values])
        widths = [10, 24, 45, 40, 24, 18, 16, 20, 60]
        scale = styles["width"] / (sum(widths) * mm)
        table = Table(data, colWidths=[w * mm * scale for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E79")),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#5B7A99")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        parts.append(table)
        parts.append(Spacer(1, 8 * mm))
        if listing.issuer:
            parts.append(_para(listing.issuer, styles["right"]))
        parts.append(_para(_day(listing.finalised_at.date()), styles["right"]))
        return parts

    _build_pdf(
        target,
        title=title,
        footer=tr("List hash {hash}", hash=listing.content_hash),
        story=story,
        landscape_page=True,
    )


def document_title(listing: RecognitionList) -> str:
    """The title of a base's recognition document, naming the round."""
    return tr("{round}: recognition document", round=listing.round_name)


def write_document_pdf(target: Path, listing: RecognitionList, code: str) -> None:
    """Write the recognition document (认定文件) of one base as an A4 PDF: the round, the
    base, its level, the outcome, the score, the committee's reason, the deadline for
    rectification and the date."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    row = listing.row(code)
    title = document_title(listing)

    def story(styles: dict[str, Any]) -> list[Any]:
        facts = [
            (_("Round"), listing.round_name),
            (_("Code"), row["code"]),
            (_("Platform name"), row["platform"]),
            (_("Lead applicant"), row["applicant"]),
            (_("Direction"), row["direction"]),
            (_("Level"), level_label(row["level"])),
            (_("Score"), _score(row)),
            (_("Outcome"), outcome_label(row["outcome"])),
            (_("Reason"), row["reason_text"]),
        ]
        if row["deadline"]:
            facts.append((_("Rectify by"), _day(date.fromisoformat(row["deadline"]))))
        data = [[_para(k, styles["plain"]), _para(str(v), styles["plain"])] for k, v in facts]
        table = Table(data, colWidths=[35 * mm, styles["width"] - 35 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#5B7A99")),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F2F6FA")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        closing = {
            "passed": _(
                "The base has passed the recognition review and is recognised at the level above."
            ),
            "rectify": _(
                "The base is to rectify the problems found by the deadline above; it is then "
                "reviewed again."
            ),
            "failed": _("The base has not passed the recognition review."),
        }[row["outcome"]]
        parts: list[Any] = [
            _para(title, styles["title"]),
            Spacer(1, 8 * mm),
            _para(
                tr(
                    "{applicant}: under the procedure of the recognition round {round}, the "
                    "inter-departmental joint meeting has decided on the recognition of the "
                    "base below.",
                    applicant=row["applicant"],
                    round=listing.round_name,
                ),
                styles["body"],
            ),
            Spacer(1, 5 * mm),
            table,
            Spacer(1, 6 * mm),
            _para(closing, styles["body"]),
            Spacer(1, 14 * mm),
        ]
        if listing.issuer:
            parts.append(_para(listing.issuer, styles["right"]))
        parts.append(_para(_day(listing.finalised_at.date()), styles["right"]))
        return parts

    _build_pdf(
        target,
        title=f"{title} {row['code']}",
        footer=tr("List hash {hash}", hash=listing.content_hash),
        story=story,
        landscape_page=False,
    )


def safe_name(code: str) -> str:
    """A file name for a base's document."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in code) + ".pdf"
