"""The results workbook (评审结果汇总表): one .xlsx holding the provincial list, the
ranking by direction, the municipal recommendations, the score summary and detail,
the deviation flags, the formal review, the defense and inspection records, the
reliability analysis, the committee's adjustments and the parameters, with the
finalised list's content hash on every printed page.

The file is written beside the target and moved into place when complete, so an
interrupted or cancelled export never leaves a half-written workbook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from review_desk import __version__, defense, formal_review, list_versions
from review_desk.atomic_file import replacing
from review_desk.audit import utc_now
from review_desk.domain import Tier
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.progress import Progress, report
from review_desk.project import Project
from review_desk.ranking import RankResult, tier_label
from review_desk.results import workbook_sheets as sheets
from review_desk.results.criterion_scores import (
    rubric_versions,
    scored_rubric_hashes,
    sheet_scores,
)
from review_desk.results.source import results_ranking
from review_desk.results.xlsx_tables import TIER_FILLS, discard, write_table
from review_desk.rubrics import active_rubric
from review_desk.storage import models as m


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    path: Path
    sheets: list[str]
    rows: dict[str, int]
    content_hash: str | None
    changed_since: list[str]


def hash_note(result: RankResult) -> str:
    """What every printed page says about the list: its content hash, or that it is
    not finalised."""
    if result.finalised is None:
        return _("List not finalised")
    short = result.finalised.content_hash[:16]
    if result.finalised.changed_since:
        # Today's scores give another list than the one locked: these pages are not it.
        return tr("Working list, differs from the finalised list {hash}", hash=short)
    return tr("List hash {hash}", hash=short)


def export_workbook(
    project: Project,
    target: Path,
    *,
    result: RankResult | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ExportSummary:
    """Write the results workbook to ``target``; return what was written."""
    from openpyxl import Workbook

    def step(done: int, total: int, what: str) -> None:
        # A cancelling caller raises Cancelled here; the earlier file stays in place.
        report(progress, done, total, what)

    # Steps: the ranking, the records, one per sheet, saving.
    total = 2 + len(sheets.sheet_titles()) + 1
    step(0, total, _("Computing the ranking"))
    result = result or results_ranking(project)
    step(1, total, _("Reading the records"))
    rubric = active_rubric(project)
    table = result.table
    with project.reading() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        platforms = dict(session.execute(select(m.Dossier.id, m.Dossier.platform_name)).all())
        panel_names = dict(session.execute(select(m.Panel.id, m.Panel.name)).all())
        codes = dict(
            session.execute(
                select(m.Dossier.id, m.Dossier.code).where(
                    m.Dossier.id.in_(select(m.CommitteeAdjustment.dossier_id))
                )
            ).all()
        )
        applicants = dict(zip(table["dossier_id"], table["applicant"], strict=True))
        adjustment_records = [
            {
                "decided_at": a.decided_at,
                "code": codes.get(a.dossier_id, ""),
                "applicant": applicants.get(a.dossier_id, ""),
                "from_tier": a.from_tier,
                "to_tier": a.to_tier,
                "reason": a.reason,
                "decided_by": a.decided_by,
            }
            for a in session.scalars(
                select(m.CommitteeAdjustment).order_by(m.CommitteeAdjustment.id)
            )
        ]
        chain = project.verify_audit()
        head = session.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first()
    generated = clock()
    title = info.round_name or info.name
    builders: list[Callable[[], sheets.Sheet]] = [
        lambda: sheets.provincial_list(table, platforms),
        lambda: sheets.direction_ranking(table),
        lambda: sheets.municipal_list(table, platforms),
        lambda: sheets.score_summary(result),
        lambda: sheets.criterion_detail(
            sheet_scores(project),
            rubric_versions(project, scored_rubric_hashes(project)),
            table,
            result,
        ),
        lambda: sheets.deviations(result, table),
        lambda: sheets.formal_reviews(formal_review.iter_reviews(project)),
        lambda: sheets.defense_records(
            defense.sessions(project),
            defense.inspections(project, recorded_only=True),
            defense.expert_notes(project),
        ),
        lambda: sheets.reliability(result, panel_names),
        lambda: sheets.adjustments(adjustment_records),
    ]
    note = hash_note(result)
    workbook = Workbook(write_only=True)
    written: list[str] = []
    counts: dict[str, int] = {}
    try:
        for index, build in enumerate(builders, start=2):
            sheet = build()
            step(index, total, sheet.title)
            counts[sheet.title] = write_table(
                workbook,
                sheet.title,
                sheet.columns,
                sheet.rows,
                print_title=f"{title}　{sheet.title}",
                footer_note=note,
                freeze_columns=sheet.freeze_columns,
            )
            written.append(sheet.title)
        params = sheets.parameters(
            _parameter_items(project, info, rubric, result, generated, chain, head)
        )
        counts[params.title] = write_table(
            workbook,
            params.title,
            params.columns,
            params.rows,
            print_title=f"{title}　{params.title}",
            footer_note=note,
        )
        written.append(params.title)
        _properties(workbook, title, info.agency, result, generated)
        step(total - 1, total, _("Saving the workbook"))
    except BaseException:
        discard(workbook)
        raise
    _save(workbook, target)  # not cancellable from here: the file is complete
    final = result.finalised
    return ExportSummary(
        target,
        written,
        counts,
        final.content_hash if final else None,
        list(final.changed_since) if final else [],
    )


def _parameter_items(
    project: Project,
    info: m.ReviewProject,
    rubric: Any,
    result: RankResult,
    generated: datetime,
    chain: Any,
    head: m.AuditLog | None,
) -> list[tuple[str, Any]]:
    config = result.config
    method = {
        "mean": _("mean"),
        "median": _("median"),
        "trimmed": _("trimmed mean (drop the highest and lowest)"),
    }.get(config.method, config.method)
    final = result.finalised
    caps = config.direction_caps
    items: list[tuple[str, Any]] = [
        (_("Project"), info.name),
        (_("Round"), info.round_name),
        (_("Organiser"), info.organiser),
        (_("Third-party agency"), info.agency),
        (_("Rubric"), f"{rubric.name}（{rubric.version}）"),
        (_("Rubric content hash"), rubric.content_hash),
        (
            _("Stage weights"),
            "；".join(f"{s.name} {s.weight:g}" for s in rubric.stages),
        ),
        (_("Consolidation method"), method),
        (_("Experts needed to trim"), config.trim_min_experts),
        (_("Scores normalised per expert"), _("yes") if config.normalise else _("no")),
        (
            _("Deviation flag thresholds"),
            tr(
                "{percent:g}% from the others' mean, or {sd:g} standard deviations",
                percent=config.consolidation.deviation_percent,
                sd=config.consolidation.deviation_sd,
            ),
        ),
        (
            _("Provincial places"),
            tr(
                "about {target} (±{tolerance})",
                target=config.provincial_target,
                tolerance=info.provincial_tolerance,
            ),
        ),
        (_("Provincial places per direction"), config.direction_cap),
        (
            _("Directions with their own cap"),
            "；".join(f"{k}: {v}" for k, v in caps.items()) or _("none"),
        ),
        (
            _("Lowest score to recommend"),
            config.min_score if config.min_score is not None else _("none"),
        ),
        (
            _("Tie-breaks"),
            "；".join(
                {
                    "double_high_rank": _("double-high institution"),
                    "tech_transfer": _("major technology transfer"),
                }.get(t, t)
                for t in config.tie_breaks
            ),
        ),
        (
            _("Stability analysis"),
            tr(
                "{resamples} bootstrap resamples over the experts, seed {seed}",
                resamples=config.stability.resamples,
                seed=config.stability.seed,
            ),
        ),
        (
            _("Provincial bases in the list"),
            int((result.table["adjusted_tier"] == Tier.PROVINCIAL).sum()),
        ),
        (
            _("Municipal/county bases in the list"),
            int((result.table["adjusted_tier"] == Tier.MUNICIPAL).sum()),
        ),
        (_("Generated at"), generated),
        (_("Generated by"), f"Review Desk {__version__}"),
        (_("Finalised"), _("yes") if final else _("no (this is a working list)")),
    ]
    if final:
        items += [
            (_("Finalised at"), final.finalised_at),
            (_("Finalised by"), sheets.actor_label(final.finalised_by)),
            (_("List content hash (SHA-256)"), final.content_hash),
            (
                _("Changed since finalising"),
                "、".join(final.changed_since) or _("nothing"),
            ),
        ]
        items += version_items(list_versions.versions(project))
    items += [
        (_("Audit log entries"), chain.entries),
        (_("Audit chain intact"), _("yes") if chain.intact else f"{_('no')}：{chain.reason}"),
        (_("Audit chain head (SHA-256)"), head.entry_hash if head else ""),
        (
            _("How to check"),
            _(
                "review-desk audit verify PROJECT checks the audit chain; the list hash is "
                "printed in the footer of every page and must equal the finalised list's."
            ),
        ),
        (_("Tier colours"), "；".join(tier_label(t) for t in TIER_FILLS)),
    ]
    return items


def version_items(history: list[list_versions.ListVersion]) -> list[tuple[str, str]]:
    """参数与说明's line for each version of the finalised list: its content hash, when
    and by whom it was finalised or revised, the reason (the objection and the
    committee's decision) and which dossiers changed tier or rank."""
    items = []
    for entry in history:
        when = local_time(datetime.fromisoformat(entry.finalised_at))
        who = sheets.actor_label(entry.finalised_by)
        parts = [
            tr("content hash {hash}", hash=entry.content_hash),
            tr("finalised {time} by {who}", time=when, who=who)
            if entry.version == 1
            else tr("revised {time} by {who}", time=when, who=who),
        ]
        if entry.reason:
            parts.append(tr("reason: {reason}", reason=entry.reason))
        if entry.version > 1:
            changes = "、".join(list_versions.change_text(change) for change in entry.diff) or _(
                "nothing"
            )
            parts.append(tr("changed: {changes}", changes=changes))
        items.append((tr("List version {version}", version=entry.version), "；".join(parts)))
    return items


def _properties(
    workbook: Any, title: str, agency: str, result: RankResult, generated: datetime
) -> None:
    """Document properties shown by File › Info in Excel and WPS."""
    props = workbook.properties
    props.title = f"{title} {_('results')}"
    props.subject = _("Expert review results")
    props.creator = agency or "Review Desk"
    props.lastModifiedBy = props.creator
    props.keywords = hash_note(result)
    props.description = (
        result.finalised.content_hash
        if result.finalised and not result.finalised.changed_since
        else hash_note(result)
    )
    props.category = _("Review results")
    # openpyxl writes these as UTC ("Z"), so hand it UTC, not local time.
    utc = generated.astimezone(UTC).replace(tzinfo=None) if generated.tzinfo else generated
    props.created = props.modified = utc


def _save(workbook: Any, target: Path) -> None:
    """Write the workbook whole or not at all."""
    with replacing(target) as partial:
        workbook.save(partial)
