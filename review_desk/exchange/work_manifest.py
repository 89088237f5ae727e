"""The manifest of a work package, checked whole before anything is written: the type of
every field the expert's side uses, ids that refer to each other, and every value a path
is made from (SHA-256 digests: 64 lowercase hex digits; file names: one plain name), so
that a manifest can name neither ``../x`` nor an absolute path. The members it lists must
be exactly the package's rubrics and files."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from review_desk import reference
from review_desk.errors import UserError
from review_desk.i18n import tr

HEX64 = re.compile(r"[0-9a-f]{64}")
SHEET_STATUSES = ("draft", "submitted")
MAX_ID_TEXT = 50  # package and project ids end up in 50-character columns


class ManifestError(UserError):
    """The manifest is malformed; the message is for the user."""


def _malformed(where: str) -> ManifestError:
    return ManifestError(tr("The work package's manifest is malformed at {where}.", where=where))


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _malformed(where)
    return value


def _text(
    obj: dict[str, Any], key: str, where: str, *, optional: bool = False, limit: int = 0
) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str) or (limit and not 0 < len(value) <= limit):
        raise _malformed(f"{where}.{key}")


def _int(
    obj: dict[str, Any], key: str, where: str, *, minimum: int = 0, optional: bool = False
) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    # bool is an int to Python, not to the manifest
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _malformed(f"{where}.{key}")


def _bool(obj: dict[str, Any], key: str, where: str) -> None:
    if not isinstance(obj.get(key), bool):
        raise _malformed(f"{where}.{key}")


def _when(obj: dict[str, Any], key: str, where: str, *, optional: bool = True) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    try:
        datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise _malformed(f"{where}.{key}") from error


def is_sha256(value: Any) -> bool:
    """Return True for a SHA-256 hex digest as our writers spell it (nothing else is
    allowed where a path is made from the value)."""
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


def _hash(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    if not is_sha256(value):
        raise _malformed(f"{where}.{key}")


def _plain_name(obj: dict[str, Any], key: str, where: str) -> None:
    """A file name shown to the user and offered when saving: one name, no folders."""
    value = obj.get(key)
    if (
        not isinstance(value, str)
        or not value.strip()
        or value in (".", "..")
        or any(c in value for c in "/\\:")
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise _malformed(f"{where}.{key}")


def _mapping(value: Any, where: str, *, numbers: bool) -> None:
    for key, item in _obj(value, where).items():
        if numbers:
            ok = (
                isinstance(item, int | float) and not isinstance(item, bool) and math.isfinite(item)
            )
        else:
            ok = isinstance(item, str)
        if not key or not ok:
            raise _malformed(f"{where}.{key}")


def _applicant(value: Any, where: str) -> None:
    data = _obj(value, where)
    _text(data, "name", where)
    _text(data, "credit_code", where, optional=True)
    _text(data, "kind", where)
    _text(data, "city", where, optional=True)


def _material(value: Any, where: str) -> None:
    data = _obj(value, where)
    _hash(data, "sha256", where)
    _plain_name(data, "filename", where)
    _int(data, "size", where)
    _int(data, "page_count", where, optional=True)
    _int(data, "version", where, minimum=1)
    _when(data, "received_at", where)
    if data.get("found_items") is not None:
        _obj(data["found_items"], f"{where}.found_items")
    _text(data, "text_status", where, optional=True)
    _text(data, "problem", where, optional=True)


def validate(manifest: dict[str, Any]) -> None:
    """Check a work package's manifest (its format already known); raise ManifestError
    naming the first thing wrong."""
    _text(manifest, "package_id", "manifest", limit=MAX_ID_TEXT)
    project = _obj(manifest.get("project"), "project")
    _text(project, "id", "project", limit=MAX_ID_TEXT)
    for key in ("name", "round_name", "organiser", "agency"):
        _text(project, key, "project")
    _when(project, "deadline", "project")
    _int(project, "min_opinion_length", "project")
    _hash(project, "active_rubric_hash", "project", optional=True)
    expert = _obj(manifest.get("expert"), "expert")
    _int(expert, "id", "expert", minimum=1)
    for key in ("name", "organisation", "field"):
        _text(expert, key, "expert")

    rubrics = _list(manifest.get("rubrics"), "rubrics")
    for number, content_hash in enumerate(rubrics):
        if not is_sha256(content_hash):
            raise _malformed(f"rubrics[{number}]")
    if len(set(rubrics)) != len(rubrics):
        raise _malformed("rubrics")
    active = project.get("active_rubric_hash")
    if active is not None and active not in rubrics:
        raise _malformed("project.active_rubric_hash")

    directions = {d.number for d in reference.directions()}
    dossier_ids: set[int] = set()
    codes: set[str] = set()
    files: dict[str, int] = {}
    for number, value in enumerate(_list(manifest.get("dossiers"), "dossiers")):
        where = f"dossiers[{number}]"
        dossier = _obj(value, where)
        _int(dossier, "id", where, minimum=1)
        _text(dossier, "code", where, limit=MAX_ID_TEXT)
        if dossier["id"] in dossier_ids or dossier["code"] in codes:
            raise _malformed(f"{where}.id")
        dossier_ids.add(dossier["id"])
        codes.add(dossier["code"])
        _text(dossier, "platform_name", where)
        _int(dossier, "direction_id", where)
        if dossier["direction_id"] not in directions:
            raise _malformed(f"{where}.direction_id")
        _text(dossier, "requested_level", where)
        _bool(dossier, "has_policy_list", where)
        _when(dossier, "received_at", where)
        _applicant(dossier.get("lead"), f"{where}.lead")
        for index, partner in enumerate(_list(dossier.get("partners"), f"{where}.partners")):
            _applicant(partner, f"{where}.partners[{index}]")
        for index, material in enumerate(_list(dossier.get("materials"), f"{where}.materials")):
            _material(material, f"{where}.materials[{index}]")
            sha, size = material["sha256"], material["size"]
            if files.setdefault(sha, size) != size:
                raise _malformed(f"{where}.materials[{index}].size")

    for number, value in enumerate(_list(manifest.get("recusals", []), "recusals")):
        _obj(value, f"recusals[{number}]")  # carried for the record, not used here

    sheets: set[tuple[int, str]] = set()
    for number, value in enumerate(_list(manifest.get("sheets"), "sheets")):
        where = f"sheets[{number}]"
        sheet = _obj(value, where)
        _int(sheet, "dossier_id", where, minimum=1)
        _hash(sheet, "rubric_hash", where)
        pair = (sheet["dossier_id"], sheet["rubric_hash"])
        if sheet["dossier_id"] not in dossier_ids or pair in sheets:
            raise _malformed(f"{where}.dossier_id")
        if sheet["rubric_hash"] not in rubrics:
            raise _malformed(f"{where}.rubric_hash")
        sheets.add(pair)
        if sheet.get("status") not in SHEET_STATUSES:
            raise _malformed(f"{where}.status")
        _text(sheet, "opinion", where)
        _when(sheet, "updated_at", where)
        _when(sheet, "submitted_at", where)
        _mapping(sheet.get("scores"), f"{where}.scores", numbers=True)
        _mapping(sheet.get("comments"), f"{where}.comments", numbers=False)
        _mapping(sheet.get("vetoes"), f"{where}.vetoes", numbers=False)

    session_ids: set[int] = set()
    for number, value in enumerate(_list(manifest.get("defense_sessions"), "defense_sessions")):
        where = f"defense_sessions[{number}]"
        session = _obj(value, where)
        _int(session, "id", where, minimum=1)
        if session["id"] in session_ids:
            raise _malformed(f"{where}.id")
        session_ids.add(session["id"])
        for key in ("name", "mode", "platform", "meeting_id", "room"):
            _text(session, key, where)
        _when(session, "starts_at", where, optional=False)
        _int(session, "presentation_minutes", where)
        _int(session, "qa_minutes", where)
        for index, record in enumerate(_list(session.get("records"), f"{where}.records")):
            at = f"{where}.records[{index}]"
            _int(_obj(record, at), "dossier_id", at)
            _int(record, "order_index", at)
            if record["dossier_id"] not in dossier_ids:
                raise _malformed(f"{at}.dossier_id")

    members = _obj(manifest.get("members"), "members")
    expected = {f"rubrics/{h}.toml" for h in rubrics} | {f"files/{sha}.pdf" for sha in files}
    if set(members) != expected:
        raise ManifestError(
            tr(
                "The work package's manifest lists other members than it should: {names}",
                names=", ".join(sorted(set(members) ^ expected)[:5]),
            )
        )
    for name, digest in members.items():
        if not is_sha256(digest):
            raise _malformed(f"members.{name}")
    for sha in files:
        if members[f"files/{sha}.pdf"] != sha:
            raise _malformed(f"members.files/{sha}.pdf")


def files_of(manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """The package's files of a validated manifest: SHA-256 -> (size, a file name)."""
    return {
        x["sha256"]: (x["size"], x["filename"])
        for d in manifest["dossiers"]
        for x in d["materials"]
    }
