"""Matching material PDFs to applications.

The rule, also in docs/intake.md:
1. When the register has a 材料文件 column, each name in it is looked up in the files
   folder (and its subfolders), ignoring upper/lower case.
2. Otherwise a PDF belongs to an application when its file name contains the lead
   applicant's credit code or full name; when the applicant applies in several
   directions, the name must also contain the direction's name (新能源) or its number
   written as 方向7 / 方向07.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from review_desk import reference
from review_desk.intake.register_rows import Application
from review_desk.intake.text_normalize import fold


@dataclass
class FileMatch:
    """The files found for each application (by index) and the ones left over."""

    files: dict[int, list[Path]] = field(default_factory=dict)
    missing: dict[int, list[str]] = field(default_factory=dict)
    unmatched: list[Path] = field(default_factory=list)


def list_pdfs(folder: Path) -> list[Path]:
    """Return every PDF under ``folder``, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")


def _names_applicant(pdf: Path, application: Application) -> bool:
    stem = fold(pdf.stem).lower()
    return application.credit_code.lower() in stem or fold(application.applicant).lower() in stem


def _named_direction(
    pdf: Path, application: Application, applications: list[Application]
) -> int | None:
    """Return which of the applicant's directions the file name names: the longest
    name wins, so 智能网联新能源汽车 is not taken for 新能源."""
    stem = fold(pdf.stem).lower()
    own = {a.direction for a in applications if a.credit_code == application.credit_code}
    best: tuple[int, int] | None = None
    for d in reference.directions():
        if d.number not in own:
            continue
        short = fold(d.short_name).lower()
        if short in stem or re.search(rf"方向0?{d.number}(?!\d)", stem):
            length = len(short) if short in stem else 0
            if best is None or length > best[0]:
                best = (length, d.number)
    return best[1] if best else None


def match_files(applications: list[Application], folder: Path | None) -> FileMatch:
    """Match the PDFs in ``folder`` to the applications."""
    result = FileMatch()
    pdfs = list_pdfs(folder) if folder is not None and folder.is_dir() else []
    by_name: dict[str, list[Path]] = defaultdict(list)
    for pdf in pdfs:
        by_name[pdf.name.lower()].append(pdf)
    used: set[Path] = set()
    per_applicant: dict[str, int] = defaultdict(int)
    for application in applications:
        per_applicant[application.credit_code] += 1

    def several(application: Application) -> bool:
        return per_applicant[application.credit_code] > 1

    for index, application in enumerate(applications):
        if application.files:
            found, missing = [], []
            for name in application.files:
                candidates = by_name.get(name.lower(), [])
                if candidates:
                    found.append(candidates[0])
                else:
                    missing.append(name)
            result.files[index] = found
            if missing:
                result.missing[index] = missing
            used.update(found)
            continue
        matched = [
            pdf
            for pdf in pdfs
            if _names_applicant(pdf, application)
            and (
                not several(application)
                or _named_direction(pdf, application, applications) == application.direction
            )
        ]
        result.files[index] = matched
        if not matched:
            result.missing[index] = []
        used.update(matched)
    result.unmatched = [p for p in pdfs if p not in used]
    return result
