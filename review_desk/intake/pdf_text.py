"""Finding the checklist items (附件3's, and the recognition round's construction
report's) in a PDF's text layer, page by page.

Pure functions over extracted page texts, so they are tested without any PDF parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# What each checklist item is called in dossiers; the first pattern is the notice's name.
ITEM_PATTERNS: dict[str, tuple[str, ...]] = {
    "profile": ("参与主体简介", "申报主体简介", "主体简介", "单位简介"),
    "plan.necessity": ("建设的必要性和可行性", "必要性和可行性", "必要性与可行性"),
    "plan.approach": ("建设思路",),
    "plan.goals": ("建设目标",),
    "plan.tasks": ("重点建设任务", "主要建设任务", "重点任务"),
    "plan.budget": ("经费预算", "资金预算", "投资预算", "经费概算"),
    "plan.schedule": ("建设进度", "进度安排", "实施进度"),
    "plan.benefits": ("预期效益", "预期成效"),
    "plan.safeguards": ("保障措施",),
    "support.policy_list": ("政策清单",),
    "support.land_space": ("土地及物理空间", "物理空间", "场地证明", "土地证明"),
    "support.agreements": ("合作协议",),
    "support.authenticity": ("真实性承诺", "承诺书"),
    # The recognition round's construction report (建设情况报告) and its evidence.
    "report.goals": ("建设目标完成情况", "目标完成情况"),
    "report.tasks": ("重点建设任务完成情况", "建设任务完成情况", "任务完成情况"),
    "report.funds": ("经费投入与使用情况", "经费投入与使用", "资金投入与使用"),
    "report.mechanism": ("运行机制与管理制度", "运行机制"),
    "report.outcomes": ("人才培养与社会服务成效", "人才培养与社会服务", "运行成效"),
    "report.problems": ("存在问题与整改措施", "存在问题及整改措施", "存在问题"),
    "report.plan": ("下一步工作计划", "下一步计划", "下一步工作"),
    "evidence.funds_audit": ("经费使用专项审计报告", "专项审计报告", "财务决算报告", "审计报告"),
    "evidence.regulations": ("运行管理制度文件", "管理制度文件", "制度汇编"),
}
# A page naming this many items is a table of contents, not the items themselves.
TOC_THRESHOLD = 6
# Fewer visible characters per page than this means a scan without a text layer.
MIN_CHARS_PER_PAGE = 20

_SPACE = re.compile(r"\s+")
# How headings are numbered: 一、 （一） (1) 1. 1、 1.2 第一部分 附件3
_NUMBERING = re.compile(
    r"^(第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十\d]+[)）]|\d+(\.\d+)*[、.．)）]?|附件\d*[:：]?)"
)
MAX_HEADING_CHARS = 60


def squeeze(text: str) -> str:
    """Remove white space, which PDF text extraction scatters between CJK characters."""
    return _SPACE.sub("", text)


def has_text_layer(page_texts: Sequence[str]) -> bool:
    """Return True when the pages carry a real text layer."""
    if not page_texts:
        return False
    visible = sum(len(squeeze(t)) for t in page_texts)
    return visible >= MIN_CHARS_PER_PAGE * len(page_texts) / 2


def heading_items(line: str, max_chars: int = MAX_HEADING_CHARS) -> set[str]:
    """Return the checklist items a line is a heading of: a short line that starts with
    the item's name or with a number followed by it (body text that merely mentions
    合作协议 is not the agreements section)."""
    text = squeeze(line)
    if not text or len(text) > max_chars:
        return set()
    numbered = _NUMBERING.match(text)
    rest = text[numbered.end() :] if numbered else text
    found = set()
    for key, patterns in ITEM_PATTERNS.items():
        for pattern in patterns:
            if rest.startswith(pattern) or (numbered and pattern in rest):
                found.add(key)
                break
    return found


def find_items(page_texts: Sequence[str]) -> dict[str, int]:
    """Return, for each checklist item whose heading is found, the 1-based page where it
    first appears, passing over table-of-contents pages unless the heading appears
    nowhere else."""
    hits: dict[str, list[int]] = {}
    for page_number, text in enumerate(page_texts, start=1):
        keys: set[str] = set()
        lines = text.splitlines()
        for index, line in enumerate(lines):
            keys |= heading_items(line)
            # A long numbered heading wraps onto the next line.
            if index + 1 < len(lines) and _NUMBERING.match(squeeze(line)):
                keys |= heading_items(line + lines[index + 1], 2 * MAX_HEADING_CHARS)
        for key in keys:
            hits.setdefault(key, []).append(page_number)
    per_page: dict[int, int] = {}
    for pages in hits.values():
        for page in pages:
            per_page[page] = per_page.get(page, 0) + 1
    toc_pages = {page for page, count in per_page.items() if count >= TOC_THRESHOLD}
    found = {}
    for key in ITEM_PATTERNS:  # checklist order, whatever order the pages gave
        if key not in hits:
            continue
        pages = hits[key]
        content_pages = [p for p in pages if p not in toc_pages]
        found[key] = (content_pages or pages)[0]
    return found


# A line that is only a page number (— 3 —, - 3 -, 第3页, 3).
_PAGE_NUMBER = re.compile(r"^[—\-－–\s]*(第\s*)?\d{1,4}(\s*页)?[—\-－–\s]*$")
# A top-level heading (一、 第二部分 附件3): the end of any section.
_TOP_HEADING = re.compile(
    r"^(第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]+[、.．]|附件\d)"
)
MAX_SECTION_PAGES = 3


def _running_lines(page_texts: Sequence[str]) -> set[str]:
    """The lines every page carries (a running header or footer), squeezed."""
    if len(page_texts) < 2:
        return set()
    pages = [{squeeze(line) for line in text.splitlines()} - {""} for text in page_texts]
    return set.intersection(*pages)


def section_text(page_texts: Sequence[str], key: str, page: int) -> str:
    """The text of the checklist item ``key`` whose heading is on ``page`` (1-based): its
    lines after the heading up to the next item's heading or a top-level heading,
    across at most :data:`MAX_SECTION_PAGES` pages, page numbers left out; '' when the
    heading is not found there."""
    lines: list[str] = []
    started = False
    running = _running_lines(page_texts)
    for text in page_texts[page - 1 : page - 1 + MAX_SECTION_PAGES]:
        for line in text.splitlines():
            if squeeze(line) in running:
                continue
            if not started:
                started = key in heading_items(line)
                continue
            items = heading_items(line)
            if (items and key not in items) or _TOP_HEADING.match(squeeze(line)):
                return "\n".join(lines)
            if squeeze(line) and not _PAGE_NUMBER.match(line):
                lines.append(line)
        if not started:
            return ""
    return "\n".join(lines)
