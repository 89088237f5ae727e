"""The verification bundle (核验包): the finalised list with everything needed to compute
it again on any machine, as plain JSON in a zip (layout in ``verification_read`` and
docs/results.md): the list and its published content hash, every criterion score of
every submitted score sheet with the experts pseudonymised (专家01, 专家02, … in the
order of their ids; never a name, id or contact), the rubric versions, the ranking's
parameters, the committee's adjustments and the deviation explanations with their
reasons, and the head of the audit chain.

A bundle is made only of a finalised list, and only when it verifies
(``verification_check.verify`` on the very bytes written): one that would not give
the published hash is refused, naming what differs."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import __version__, audit
from review_desk.atomic_file import replacing
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.ranking_steps import DOSSIER_COLUMNS, raw_rows, read_inputs
from review_desk.rubrics import load_rubric, rubric_text
from review_desk.storage import models as m
from review_desk.verification_check import Verification, verify
from review_desk.verification_read import (
    AUDIT_HEAD,
    DECISIONS,
    DOSSIERS,
    FINAL_LIST,
    FORMAT,
    MANIFEST,
    MEMBERS,
    PARAMETERS,
    README,
    RUBRIC,
    SCORES,
    VERSION,
    parse_bundle,
)

# How many differences a refusal names.
_NAMED = 5
# How many scores are read at a time.
_BATCH = 100_000


class BundleRefused(UserError):
    """No bundle can be made (the list is not finalised, or it would not verify)."""


@dataclass(frozen=True)
class BundleSummary:
    """What a written bundle holds."""

    path: Path
    content_hash: str
    dossiers: int
    sheets: int
    scores: int
    experts: int

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON data (``bundle --json``)."""
        return {
            "path": str(self.path),
            "content_hash": self.content_hash,
            "dossiers": self.dossiers,
            "sheets": self.sheets,
            "scores": self.scores,
            "experts": self.experts,
        }


def pseudonym(number: int, width: int = 2) -> str:
    """The pseudonym of the ``number``-th expert of a bundle (专家01)."""
    return tr("Expert {number}", number=f"{number:0{width}d}")


def write_bundle(project: Project, target: Path) -> BundleSummary:
    """Write the verification bundle of the project's finalised list to ``target``
    (whole or not at all); raise :class:`BundleRefused`."""
    members = bundle_members(project)
    bundle = parse_bundle(members)
    verification = verify(bundle)
    if not verification.matches:
        raise BundleRefused(refusal(verification))
    with (
        replacing(Path(target)) as partial,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name in MEMBERS:
            archive.writestr(name, members[name])
    return BundleSummary(
        Path(target),
        verification.published_hash,
        verification.dossiers,
        verification.sheets,
        verification.scores,
        len(bundle.experts),
    )


def refusal(verification: Verification) -> str:
    """Why a bundle of today's data is refused: what differs from the finalised list."""
    named = list(verification.differences[:_NAMED])
    more = len(verification.differences) - len(named)
    if more > 0:
        named.append(tr("and {count} more", count=more))
    return tr(
        "The project's data no longer give the finalised list (hash {hash}), so no bundle "
        "can verify it: {differences}",
        hash=verification.published_hash[:16],
        differences="；".join(named) or _("the hash differs"),
    )


def bundle_members(project: Project) -> dict[str, bytes]:
    """The bundle's members (name -> bytes) from the project's finalised list."""
    with project.reading() as session:
        final = session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()
        if final is None:
            raise BundleRefused(
                _(
                    "The list is not finalised: a verification bundle is made of the "
                    "committee's finalised list only."
                )
            )
        info = session.scalars(select(m.ReviewProject)).one()
        versions = _rubric_versions(session, str(final.config.get("rubric_hash", "")))
        sheets = raw_rows(
            session,
            select(
                m.ScoreSheet.id,
                m.ScoreSheet.dossier_id,
                m.ScoreSheet.expert_id,
                m.ScoreSheet.rubric_hash,
            )
            .where(
                m.ScoreSheet.status == "submitted",
                m.ScoreSheet.rubric_hash.in_(list(versions)),
            )
            .order_by(m.ScoreSheet.id),
        )
        counted = {int(row[0]) for row in sheets}
        scores = _scores(session, counted)
        vetoes: dict[int, list[str]] = {}
        for sheet_id, veto in raw_rows(
            session, select(m.VetoFlag.sheet_id, m.VetoFlag.veto_id).order_by(m.VetoFlag.id)
        ):
            if sheet_id in counted:
                vetoes.setdefault(int(sheet_id), []).append(str(veto))
        adjustments = raw_rows(
            session,
            select(
                m.CommitteeAdjustment.dossier_id,
                m.CommitteeAdjustment.from_tier,
                m.CommitteeAdjustment.to_tier,
                m.CommitteeAdjustment.reason,
                m.CommitteeAdjustment.decided_at,
                m.CommitteeAdjustment.decided_by,
            ).order_by(m.CommitteeAdjustment.id),
        )
        notes = raw_rows(
            session,
            select(
                m.DeviationNote.dossier_id,
                m.DeviationNote.expert_id,
                m.DeviationNote.text,
                m.DeviationNote.source,
            ).order_by(m.DeviationNote.dossier_id, m.DeviationNote.expert_id),
        )
        contacts = raw_rows(
            session, select(m.Expert.id, m.Expert.name, m.Expert.phone, m.Expert.email)
        )
        head = audit.chain_head(session)
        chain = audit.verify_chain(session)
        final_doc = {
            "content_hash": final.content_hash,
            "finalised_at": _time(final.finalised_at),
            "finalised_by": final.finalised_by,
            "config": final.config,
            "rows": final.rows,
        }
        round_name = info.round_name or info.name
    inputs = read_inputs(project, load_rubric(versions[str(final.config.get("rubric_hash"))]))
    experts = sorted({int(row[2]) for row in sheets})
    width = max(2, len(str(len(experts))))
    names = {expert: pseudonym(n, width) for n, expert in enumerate(experts, start=1)}
    codes = inputs.codes
    documents: dict[str, Any] = {
        MANIFEST: {
            "format": FORMAT,
            "version": VERSION,
            "round": round_name,
            "created_at": _time(datetime.now(UTC)),
            "created_with": f"Review Desk {__version__}",
            "content_hash": final.content_hash,
        },
        FINAL_LIST: final_doc,
        PARAMETERS: {"config": final.config},
        RUBRIC: {
            "versions": [
                {"content_hash": content_hash, "source": _source(text)}
                for content_hash, text in versions.items()
            ]
        },
        DOSSIERS: {
            "formal_review_run": bool(inputs.verdicts),
            "dossiers": [_dossier(row, inputs.verdicts) for row in inputs.dossiers],
        },
        SCORES: {
            "experts": [{"expert": names[e], "panel": inputs.panels.get(e)} for e in experts],
            "sheets": [
                {
                    "sheet": number,
                    "dossier_id": int(dossier),
                    "dossier": codes.get(int(dossier), ""),
                    "expert": names[int(expert)],
                    "rubric": content_hash,
                    "scores": scores.get(int(sheet), {}),
                    "vetoes": vetoes.get(int(sheet), []),
                }
                for number, (sheet, dossier, expert, content_hash) in enumerate(sheets, start=1)
            ],
        },
        DECISIONS: {
            "adjustments": [
                {
                    "dossier_id": int(dossier),
                    "code": codes.get(int(dossier), ""),
                    "from_tier": from_tier,
                    "to_tier": to_tier,
                    "reason": reason,
                    "decided_at": _time(at),
                    "decided_by": by,
                }
                for dossier, from_tier, to_tier, reason, at, by in adjustments
            ],
            "explanations": [
                {
                    "dossier_id": int(dossier),
                    "code": codes.get(int(dossier), ""),
                    "expert": names.get(int(expert), _("[expert]")),
                    "text": _scrubbed(str(text), contacts, names),
                    "source": source,
                }
                for dossier, expert, text, source in notes
            ],
        },
        AUDIT_HEAD: {
            "entries": chain.entries,
            "intact": chain.intact,
            "last_id": head[0] if head else None,
            "last_hash": head[1] if head else None,
        },
    }
    members = {name: _encoded(value) for name, value in documents.items()}
    members[README] = readme(final.content_hash, round_name).encode("utf-8")
    return members


def _scores(session: Session, counted: set[int]) -> dict[int, dict[str, float]]:
    """The points of the counted sheets, by sheet and criterion, read in batches (a
    national round has millions)."""
    scores: dict[int, dict[str, float]] = {}
    statement = (
        select(m.Score.sheet_id, m.Score.criterion_id, m.Score.points)
        .where(m.Score.points.is_not(None))
        .order_by(m.Score.sheet_id, m.Score.criterion_id)
    )
    result = session.connection().execute(statement)
    cursor = result.cursor
    try:
        while cursor is not None and (batch := cursor.fetchmany(_BATCH)):
            for sheet_id, criterion, points in batch:
                if sheet_id in counted:
                    scores.setdefault(int(sheet_id), {})[str(criterion)] = float(points)
    finally:
        result.close()
    return scores


def _encoded(document: Mapping[str, Any]) -> bytes:
    """A member's JSON: an object one field per line, each list one element per line,
    every element compact (readable, diffable, and encoded by the json module's C
    encoder: an indented dump of a national round's scores takes the pure-Python one)."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    lines = ["{"]
    for i, (key, value) in enumerate(document.items()):
        comma = "," if i < len(document) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f" {encode(key)}: [")
            lines += [f"  {encode(item)}," for item in value[:-1]]
            lines.append(f"  {encode(value[-1])}")
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {encode(key)}: {encode(value)}{comma}")
    lines.append("}\n")
    return "\n".join(lines).encode("utf-8")


def _rubric_versions(session: Session, active: str) -> dict[str, str]:
    """The text of every rubric version a submitted sheet uses, the one the list was
    finalised with first."""
    hashes = set(
        session.scalars(
            select(m.ScoreSheet.rubric_hash).where(m.ScoreSheet.status == "submitted").distinct()
        )
    )
    found = {}
    for content_hash in [active, *sorted(hashes - {active})]:
        text = rubric_text(session, content_hash)
        if text is not None:
            found[content_hash] = text
    if active not in found:
        raise BundleRefused(_("The rubric the list was finalised with is not in the project."))
    return found


def _source(text: str) -> dict[str, Any]:
    """A rubric version's content as JSON (its content hash is computed over it)."""
    from scoring_models.rubric import parse_source

    return parse_source(text)


def _dossier(row: tuple[Any, ...], verdicts: Mapping[int, str | None]) -> dict[str, Any]:
    """A dossier of ``read_inputs`` as the bundle writes it."""
    values = dict(zip(DOSSIER_COLUMNS, row, strict=True))
    return {
        "id": int(values["id"]),
        "code": values["code"],
        "applicant_id": int(values["lead_applicant_id"]),
        "direction_id": int(values["direction_id"]),
        "direction": values["direction"],
        "requested_level": values["requested_level"],
        "applicant": values["applicant"],
        "city": values["city"],
        "kind": values["kind"],
        "double_high": values["double_high"],
        "major_tech_transfer": bool(values["major_tech_transfer"]),
        "pilot_enterprise_status": values["pilot_enterprise_status"],
        "local_presence": values["local_presence"],
        "formal_review": verdicts.get(int(values["id"])),
    }


def _time(value: datetime | str) -> str:
    """A stored time as ISO text (a raw row gives it as the database's text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.isoformat(timespec="seconds")


def _scrubbed(text: str, contacts: list[tuple[Any, ...]], names: Mapping[int, str]) -> str:
    """``text`` with every expert's name, telephone and e-mail replaced by that expert's
    pseudonym (a placeholder for an expert without one), the longest first."""
    words = {
        str(value).strip(): names.get(int(expert), _("[expert]"))
        for expert, *values in contacts
        for value in values
        if value and len(str(value).strip()) >= 2
    }
    for word in sorted(words, key=len, reverse=True):
        if word in text:
            text = text.replace(word, words[word])
    return text


def readme(content_hash: str, round_name: str) -> str:
    """The bundle's README.txt: what it is and how to verify it."""
    return (
        "\n\n".join(
            [
                tr("Verification bundle of the finalised list: {round}", round=round_name),
                tr("Published content hash of the list (SHA-256): {hash}", hash=content_hash),
                _(
                    "This bundle holds everything needed to compute the finalised list again: "
                    "the list itself, every criterion score of every submitted score sheet "
                    "(the experts are pseudonymised), the rubric, the ranking's parameters, the "
                    "committee's adjustments with their reasons and the head of the audit chain. "
                    "It holds no expert's name, identity or contact."
                ),
                _(
                    "To verify it, run: review-desk verify THIS_FILE.zip (add --hash with the "
                    "hash printed on the published list to check against that one). The list is "
                    "computed again from this bundle alone, by the same ranking code as the "
                    "application, and its content hash is compared with the published one; any "
                    "changed score, parameter or adjustment is named."
                ),
                _(
                    "Files: final_list.json (the finalised list: rows, configuration, hash); "
                    "parameters.json (the ranking's parameters); rubric.json (each rubric "
                    "version used, as parsed, with its content hash); dossiers.json (each "
                    "dossier's applicant facts, direction and formal-review verdict); "
                    "scores.json (the experts' pseudonyms and panels, each submitted score sheet "
                    "with its criterion scores and vetoes); decisions.json (the committee's "
                    "adjustments and the explanations of deviating scores); audit_head.json "
                    "(the number of audit entries, the last entry's id and hash)."
                ),
                _("The format is described in Review Desk's documentation: docs/results.md."),
            ]
        )
        + "\n"
    )
