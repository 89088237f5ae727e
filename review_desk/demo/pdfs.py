"""PDF files of the demo dossiers: text PDFs laid out as 附件3, and one scan-like PDF
with no text layer.

Chinese text uses the standard Adobe CID font STSong-Light, which PDF viewers supply,
so no font file ships with the app; ``invariant`` output keeps the bytes reproducible.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence

from review_desk.demo.texts import DossierFacts, report_paragraphs, section_paragraphs
from review_desk.reference import ChecklistItem

_FONT = "STSong-Light"
_HEADING_FONT = "STSong-Light"


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def dossier_pdf(
    facts: DossierFacts,
    items: Sequence[ChecklistItem],
    missing: set[str],
    rng: random.Random,
) -> tuple[bytes, int]:
    """Write the dossier PDF with every checklist item except ``missing``.

    Returns the PDF bytes and its page count.
    """
    return _document_pdf(
        facts,
        items,
        missing,
        rng,
        cover="省/市申报主体基础资料",
        subject="申报主体基础资料（演示）",
        sections={
            "profile": "一、参与主体简介",
            "plan": "二、建设实施方案",
            "support": "三、相关支撑材料",
        },
        paragraphs=section_paragraphs,
        date_line="二〇二二年一月",
    )


def report_pdf(
    facts: DossierFacts,
    items: Sequence[ChecklistItem],
    missing: set[str],
    rng: random.Random,
) -> tuple[bytes, int]:
    """Write a base's construction report (建设情况报告, the recognition round's
    application) with every item of the recognition checklist except ``missing``, each
    report section on a page of its own. Returns the PDF bytes and its page count."""
    return _document_pdf(
        facts,
        items,
        missing,
        rng,
        cover="建设情况报告（认定申请）",
        subject="建设情况报告（演示）",
        sections={"report": "一、建设情况报告", "evidence": "二、佐证材料"},
        paragraphs=report_paragraphs,
        date_line="二〇二三年三月",
        break_items=True,
    )


def _document_pdf(
    facts: DossierFacts,
    items: Sequence[ChecklistItem],
    missing: set[str],
    rng: random.Random,
    *,
    cover: str,
    subject: str,
    sections: dict[str, str],
    paragraphs: Callable[[ChecklistItem, DossierFacts, random.Random], list[str]],
    date_line: str,
    break_items: bool = False,
) -> tuple[bytes, int]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    _register_fonts()
    body = ParagraphStyle(
        "body", fontName=_FONT, fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK"
    )
    title = ParagraphStyle(
        "title", fontName=_HEADING_FONT, fontSize=22, leading=34, alignment=TA_CENTER
    )
    subtitle = ParagraphStyle(
        "subtitle", fontName=_FONT, fontSize=14, leading=26, alignment=TA_CENTER
    )
    h1 = ParagraphStyle("h1", fontName=_HEADING_FONT, fontSize=16, leading=30, spaceBefore=6)
    h2 = ParagraphStyle("h2", fontName=_HEADING_FONT, fontSize=13.5, leading=26, spaceBefore=4)

    story: list[object] = [
        Spacer(1, 40 * mm),
        Paragraph(cover, title),
        Spacer(1, 12 * mm),
        Paragraph(facts.platform_name, subtitle),
        Spacer(1, 30 * mm),
        Paragraph(f"申报主体：{facts.applicant}", subtitle),
        Paragraph(f"产业方向：{facts.direction.name}", subtitle),
        Paragraph(f"申报级别：{facts.level_label}", subtitle),
        Paragraph(date_line, subtitle),
        PageBreak(),
    ]
    current_section = ""
    for item in items:
        if item.key in missing:
            continue
        # An item of a section of its own (参与主体简介) is its heading; the 真实性承诺 is
        # with the supporting materials whatever its key says.
        section = item.key.split(".")[0]
        if section not in sections:
            section = list(sections)[-1]
        if section != current_section:
            if current_section:
                story.append(PageBreak())
            story.append(Paragraph(sections[section], h1))
            current_section = section
        elif break_items and section == next(iter(sections)):
            story.append(PageBreak())
        if item.key != section:
            separator = "" if item.number.startswith("（") else ". "
            story.append(Paragraph(f"{item.number}{separator}{item.title}", h2))
        for paragraph in paragraphs(item, facts, rng):
            story.append(Paragraph(paragraph, body))

    pages = 0

    def count_page(canvas: object, doc: object) -> None:
        nonlocal pages
        pages += 1
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(_FONT, 9)  # type: ignore[attr-defined]
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {pages} —")  # type: ignore[attr-defined]
        canvas.drawRightString(A4[0] - 20 * mm, A4[1] - 12 * mm, "演示数据")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=22 * mm,
        title=facts.platform_name,
        author=facts.applicant,
        subject=subject,
        creator="Review Desk demo",
        invariant=1,
    )
    doc.build(story, onFirstPage=count_page, onLaterPages=count_page)
    return buffer.getvalue(), pages


def scanned_pdf(rng: random.Random, pages: int = 4) -> tuple[bytes, int]:
    """Write a PDF of page images only, like a paper dossier put through a scanner."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    width, height = 620, 877  # about 75 dpi: enough to look like a scan, small to store
    for page in range(pages):
        image = Image.new("L", (width, height), 238)
        draw = ImageDraw.Draw(image)
        skew = rng.uniform(-3, 3)
        y = 70.0
        if page == 0:
            draw.rectangle((160, 120, 460, 150), fill=60)
            y = 260.0
        while y < height - 80:
            indent = 70 if rng.random() < 0.2 else 45
            length = rng.randrange(300, width - 90)
            draw.line((indent, y, indent + length, y + skew), fill=rng.randrange(40, 90), width=5)
            y += rng.choice((18, 18, 18, 30))
        if page == pages - 1:
            draw.ellipse((400, 640, 540, 780), outline=110, width=6)
        canvas.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), pages
