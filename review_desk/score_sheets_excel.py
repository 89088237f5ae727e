"""Score sheets as Excel workbooks, for experts who do not use the app.

Export: one workbook per expert, one row per assigned dossier (recusals left out), one
column per criterion with Excel data validation (range and step), cells that do not
apply greyed and locked, the structure protected, and a hidden sheet naming the
project, the expert and the rubric version. Import: the same checks as the app, a report
per cell, and nothing stored unless the whole workbook is valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.intake.bounded_read import FileRefused, named_sheets_rows, run_limited
from review_desk.project import Project
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.scoring import Change, Field, ScoringError, SheetBusy, Source
from review_desk.scoring.service import apply_in_session
from review_desk.scoring.state import SUBMITTED, current_sheet, missing_for_submit, state_of
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy
from scoring_models.rubric import Rubric

SHEET, META, NOTES = "评分表", "_meta", "填写说明"
FIRST_ROW = 3  # title in row 1, headers in row 2
FIXED = ["申报编号", "牵头申报主体", "平台载体名称", "产业方向"]
_GREY = "D9D9D9"


class SheetsError(UserError):
    """The workbook cannot be used at all; the message is for the user."""


@dataclass(frozen=True)
class CellIssue:
    """A problem with one cell of an imported score workbook."""

    cell: str
    value: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        """Return the issue as plain JSON-ready data."""
        return {"cell": self.cell, "value": self.value, "problem": self.problem}


@dataclass(frozen=True)
class DraftRow:
    """A row of an imported workbook that stays a draft when submitting, and why."""

    code: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the row as plain JSON-ready data."""
        return {"code": self.code, "reasons": list(self.reasons)}


@dataclass
class SheetsImport:
    """The outcome of importing a score workbook."""

    expert_id: int
    issues: list[CellIssue]
    sheets: int = 0
    values: int = 0
    stored: bool = False
    submitted: int = 0
    already_submitted: int = 0
    drafts: list[DraftRow] = field(default_factory=list)
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as plain JSON-ready data."""
        return {
            "expert_id": self.expert_id,
            "stored": self.stored,
            "sheets": self.sheets,
            "values": self.values,
            "submitted": self.submitted,
            "already_submitted": self.already_submitted,
            "drafts": [d.as_dict() for d in self.drafts],
            "sha256": self.sha256,
            "issues": [i.as_dict() for i in self.issues],
        }


def _criterion_header(c: Any) -> str:
    return f"{c.id} {c.name}（满分 {c.max:g}，步长 {c.step:g}）"


def _step_formula(cell: str, maximum: float, step: float) -> str:
    return (
        f"AND(ISNUMBER({cell}),{cell}>=0,{cell}<={maximum:g},"
        f"ABS({cell}/{step:g}-ROUND({cell}/{step:g},0))<0.000001)"
    )


def export_sheets(project: Project, expert_id: int, target: Path) -> int:
    """Write the expert's score workbook; return the number of dossiers in it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rubric = active_rubric(project)
    with project.reading() as session:
        expert = session.get(m.Expert, expert_id)
        if expert is None:
            raise SheetsError(tr("No expert with id {id}.", id=expert_id))
        info = session.scalars(select(m.ReviewProject)).one()
        recused = set(
            session.scalars(select(m.Recusal.dossier_id).where(m.Recusal.expert_id == expert_id))
        )
        assignments = session.scalars(
            select(m.Assignment)
            .where(m.Assignment.expert_id == expert_id)
            .options(
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.lead_applicant),
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.direction),
            )
        ).all()
        dossiers = sorted(
            (a.dossier for a in assignments if a.dossier_id not in recused), key=lambda d: d.code
        )
        existing = {
            s.dossier_id: s
            for s in session.scalars(
                select(m.ScoreSheet)
                .where(m.ScoreSheet.expert_id == expert_id)
                .options(selectinload(m.ScoreSheet.scores))
            )
        }
        rows = [
            (
                d.code,
                d.lead_applicant.name,
                d.platform_name,
                d.direction.short_name,
                d.lead_applicant.kind,
                existing.get(d.id),
            )
            for d in dossiers
        ]
        project_id, expert_name, min_opinion = info.id, expert.name, info.min_opinion_length

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    criteria = list(rubric.criteria)
    headers = (
        FIXED + [_criterion_header(c) for c in criteria] + ["评审意见", "否决项（编号：理由）"]
    )
    last = get_column_letter(len(headers))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = f"{rubric.name}（{rubric.version}） 专家评分表 — {expert_name}"
    sheet["A1"].font = Font(name="宋体", size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F2")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = 14 if index > len(FIXED) else 18
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 30
    opinion_col, veto_col = len(headers) - 1, len(headers)
    sheet.column_dimensions[get_column_letter(opinion_col)].width = 50
    sheet.column_dimensions[get_column_letter(veto_col)].width = 30
    sheet.row_dimensions[2].height = 60
    end = FIRST_ROW + max(len(rows), 1) - 1
    for offset, c in enumerate(criteria):
        col = get_column_letter(len(FIXED) + 1 + offset)
        validation = DataValidation(
            type="custom",
            formula1=_step_formula(f"{col}{FIRST_ROW}", c.max, c.step),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=c.name,
            error=f"请填写 0 到 {c.max:g} 之间、{c.step:g} 的整数倍的分数。",
        )
        sheet.add_data_validation(validation)
        validation.add(f"{col}{FIRST_ROW}:{col}{end}")
    opinion_validation = DataValidation(
        type="textLength",
        operator="greaterThanOrEqual",
        formula1=str(min_opinion),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="评审意见",
        error=f"评审意见至少 {min_opinion} 字。",
    )
    sheet.add_data_validation(opinion_validation)
    opinion_validation.add(
        f"{get_column_letter(opinion_col)}{FIRST_ROW}:{get_column_letter(opinion_col)}{end}"
    )
    for r, (code, applicant, platform, direction, kind, existing_sheet) in enumerate(
        rows, start=FIRST_ROW
    ):
        scores = {
            s.criterion_id: s.points for s in (existing_sheet.scores if existing_sheet else [])
        }
        for index, value in enumerate((code, applicant, platform, direction), start=1):
            sheet.cell(row=r, column=index, value=value)
        for offset, c in enumerate(criteria):
            cell = sheet.cell(row=r, column=len(FIXED) + 1 + offset)
            if c.applies(kind):
                cell.value = scores.get(c.id)
                cell.protection = Protection(locked=False)
                cell.number_format = "0.0"
            else:
                cell.value = "—"
                cell.fill = PatternFill("solid", fgColor=_GREY)
        opinion = sheet.cell(
            row=r, column=opinion_col, value=existing_sheet.opinion if existing_sheet else None
        )
        opinion.protection = Protection(locked=False)
        opinion.alignment = Alignment(wrap_text=True, vertical="top")
        veto = sheet.cell(row=r, column=veto_col)
        veto.protection = Protection(locked=False)
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=len(FIXED) + 1)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    notes = workbook.create_sheet(NOTES, 0)
    notes.column_dimensions["A"].width = 110
    for line in (
        "专家评分表填写说明",
        "1. 只在白色单元格中填写分数；灰色单元格（—）表示该指标不适用于该申报主体。",
        "2. 分数须在 0 到满分之间，且为步长的整数倍（如 0.5）；Excel 会拒绝不合规的数值。",
        f"3. 评审意见至少 {min_opinion} 字。如需否决，在最后一列填写“否决项编号：理由”，"
        "多项用分号分隔。",
        "4. 请勿修改表格结构、申报编号和隐藏的 _meta 工作表；填写完成后原文件交回第三方机构导入。",
        f"5. 指导标准：{rubric.name}（{rubric.version}），内容哈希 {rubric.content_hash[:16]}。",
    ):
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=13)
    notes.protection.sheet = True
    meta = workbook.create_sheet(META)
    meta_rows: tuple[tuple[str, object], ...] = (
        ("format", "review-desk-score-sheets/1"),
        ("project_id", project_id),
        ("expert_id", expert_id),
        ("expert_name", expert_name),
        ("rubric_hash", rubric.content_hash),
        ("exported_at", datetime.now().astimezone().isoformat(timespec="seconds")),
    )
    for meta_row in meta_rows:
        meta.append(list(meta_row))
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    workbook.active = 1
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return len(rows)


def _number(value: Any) -> float | str | None:
    """Return a cell's number, None when blank, or the text when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return float(value)
    import unicodedata

    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return str(value)


def import_sheets(
    project: Project,
    source: Path,
    *,
    actor: str = "agency",
    submit: bool = False,
    on_busy: Callable[[int], None] | None = None,
    clock: Clock = utc_now,
) -> SheetsImport:
    """Check a filled score workbook cell by cell and store it when it is all valid.

    With ``submit``, every complete row (all applicable criteria, an opinion of the
    minimum length, a reason for each veto) is submitted: the expert who returned the
    workbook has finished. Rows that are not complete stay drafts and are reported with
    what they lack. Each sheet records the workbook's SHA-256 and who imported it.
    """
    from openpyxl.utils import get_column_letter

    workbook = _read_workbook(source)
    if META not in workbook or SHEET not in workbook:
        raise SheetsError(
            tr("{file} is not a score workbook exported by Review Desk.", file=source.name)
        )
    meta = {str(row[0]): row[1] if len(row) > 1 else None for row in workbook[META] if row[0]}
    with project.reading() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        if meta.get("project_id") != info.id:
            raise SheetsError(_("The workbook belongs to another project."))
        try:
            expert_id = int(meta.get("expert_id") or 0)
        except (TypeError, ValueError) as error:
            raise SheetsError(_("The workbook does not say which expert it is for.")) from error
        if session.get(m.Expert, expert_id) is None:
            raise SheetsError(tr("No expert with id {id}.", id=expert_id))
        dossiers = {
            d.code: (d.id, d.lead_applicant.kind)
            for d in session.scalars(
                select(m.Dossier).options(selectinload(m.Dossier.lead_applicant))
            )
        }
    rubric = rubric_by_hash(project, str(meta.get("rubric_hash", "")))
    if rubric is None:
        raise SheetsError(
            _("The workbook was made for a rubric version this project does not have.")
        )
    result = SheetsImport(expert_id=expert_id, issues=[])
    sheet = workbook[SHEET]
    headers = sheet[1] if len(sheet) > 1 else []
    criteria = list(rubric.criteria)
    expected = (
        FIXED + [_criterion_header(c) for c in criteria] + ["评审意见", "否决项（编号：理由）"]
    )
    if [str(h) if h is not None else "" for h in headers[: len(expected)]] != expected:
        raise SheetsError(_("The workbook's columns were changed; export a fresh one."))
    result.sha256 = _sha256(source)
    planned: list[tuple[int, dict[str, float], str, dict[str, str]]] = []
    for r, row in enumerate(sheet[FIRST_ROW - 1 :], start=FIRST_ROW):
        code = row[0]
        if code is None or not str(code).strip():
            continue
        if str(code) not in dossiers:
            result.issues.append(CellIssue(f"A{r}", str(code), _("no such dossier in the project")))
            continue
        dossier_id, kind = dossiers[str(code)]
        values: dict[str, float] = {}
        for offset, c in enumerate(criteria):
            column = len(FIXED) + offset
            ref = f"{get_column_letter(column + 1)}{r}"
            raw = row[column]
            if not c.applies(kind):
                if raw not in (None, "—", ""):
                    result.issues.append(
                        CellIssue(ref, str(raw), _("this criterion does not apply here"))
                    )
                continue
            number = _number(raw)
            if number is None:
                continue
            if isinstance(number, str):
                result.issues.append(CellIssue(ref, number, _("not a number")))
                continue
            problem = c.check(number)
            if problem is not None:
                result.issues.append(CellIssue(ref, f"{number:g}", tr(problem[0], **problem[1])))
                continue
            values[c.id] = number
        opinion_index = len(FIXED) + len(criteria)
        opinion = str(row[opinion_index] or "").strip()
        # A short opinion is a draft's opinion, not an error: it keeps the row from
        # being submitted, and the report says so (as on the desk).
        vetoes: dict[str, str] = {}
        veto_text = str(row[opinion_index + 1] or "").strip()
        known = {v.id for v in rubric.vetoes}
        for part in [p for p in veto_text.replace("；", ";").split(";") if p.strip()]:
            veto_id, _sep, reason = part.replace("：", ":").partition(":")
            if veto_id.strip() not in known or not reason.strip():
                result.issues.append(
                    CellIssue(
                        f"{get_column_letter(opinion_index + 2)}{r}",
                        part,
                        _("write a veto as its number and reason, e.g. V1：理由"),
                    )
                )
            else:
                vetoes[veto_id.strip()] = reason.strip()
        planned.append((dossier_id, values, opinion, vetoes))
    if result.issues:
        return result
    _store(project, expert_id, rubric, planned, result, actor, submit, on_busy, clock)
    return result


def _read_workbook(source: Path) -> dict[str, list[list[Any]]]:
    """Read the values of the score and meta sheets in a worker process limited in time
    and memory, each row padded to its sheet's used width (see ``bounded_read``)."""
    if not source.is_file():
        raise SheetsError(tr("File not found: {path}", path=source))
    try:
        return run_limited(named_sheets_rows, source, [SHEET, META], file=source.name)
    except FileRefused as error:
        raise SheetsError(str(error)) from error


def _sha256(source: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _store(
    project: Project,
    expert_id: int,
    rubric: Rubric,
    planned: list[tuple[int, dict[str, float], str, dict[str, str]]],
    result: SheetsImport,
    actor: str,
    submit: bool,
    on_busy: Callable[[int], None] | None,
    clock: Clock,
) -> None:
    def work(session: Session) -> None:
        _write(session, expert_id, rubric, planned, result, actor, submit, clock)

    try:
        project.write(work, key=f"expert:{expert_id}", on_busy=on_busy)
    except _Refused:
        result.sheets = result.values = result.submitted = result.already_submitted = 0
        result.drafts.clear()
        return
    except ProjectBusy as busy:
        raise SheetBusy(busy) from busy
    result.stored = True


class _Refused(Exception):
    """A sheet could not take the values: the whole import is rolled back."""


def _write(
    session: Session,
    expert_id: int,
    rubric: Rubric,
    planned: list[tuple[int, dict[str, float], str, dict[str, str]]],
    result: SheetsImport,
    actor: str,
    submit: bool,
    clock: Clock,
) -> None:
    info = session.scalars(select(m.ReviewProject)).one()
    for dossier_id, values, opinion, vetoes in planned:
        if not values and not opinion and not vetoes:
            continue
        dossier = session.get(m.Dossier, dossier_id)
        assert dossier is not None
        existing = current_sheet(session, expert_id, dossier_id)
        if existing is not None and existing.status == SUBMITTED:
            state = state_of(existing)
            same = {k: state.scores.get(k) for k in values} == values
            same = same and (not opinion or opinion == state.opinion)
            if same and all(state.vetoes.get(k) == v for k, v in vetoes.items()):
                result.already_submitted += 1
                continue  # the workbook repeats what was submitted
        changes = [Change(Field.SCORE, k, v) for k, v in values.items()]
        if opinion:
            changes.append(Change(Field.OPINION, "", opinion))
        changes += [Change(Field.VETO, k, v) for k, v in vetoes.items()]
        try:
            applied = apply_in_session(
                session,
                expert_id,
                dossier_id,
                changes,
                actor=actor,
                source=Source.EXCEL,
                source_sha256=result.sha256,
                rubric_hash=rubric.content_hash,
                clock=clock,
            )
            if submit:
                missing = missing_for_submit(
                    applied.state, rubric, dossier.lead_applicant.kind, info.min_opinion_length
                )
                if missing:
                    result.drafts.append(DraftRow(dossier.code, tuple(missing)))
                else:
                    apply_in_session(
                        session,
                        expert_id,
                        dossier_id,
                        (),
                        actor=actor,
                        source=Source.EXCEL,
                        source_sha256=result.sha256,
                        submit=True,
                        clock=clock,
                    )
                    result.submitted += 1
        except ScoringError as error:
            result.issues.append(CellIssue(dossier.code, "", str(error)))
            continue
        result.sheets += 1
        result.values += len(values)
    if result.issues:
        raise _Refused
    audit.record(
        session,
        actor=actor,
        action="sheets.import",
        entity="expert",
        entity_id=expert_id,
        after={
            "sheets": result.sheets,
            "values": result.values,
            "submitted": result.submitted,
            "drafts": [d.code for d in result.drafts],
            "rubric_hash": rubric.content_hash,
            "workbook_sha256": result.sha256,
        },
        clock=clock,
    )
