"""A formal-review check (形式审查的一项检查) as a typed value, and its one codec: how a
project stores it as JSON and how ``review --json`` shows it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from review_desk.domain import CheckResult, Severity
from review_desk.reasons import Reason, decode, encode, render


@dataclass(frozen=True)
class Check:
    """One check of a dossier: what it is about (``label``), its result and why
    (``reason``), both records (:class:`Reason`) or the text an older version stored;
    the page and file where the item was found. ``automatic`` is the result the checks
    gave when a reviewer decided otherwise (the reason then says who and why)."""

    id: str
    label: Reason | str
    result: CheckResult
    reason: Reason | str
    severity: Severity = Severity.SOFT
    page: int | None = None
    material_id: int | None = None
    automatic: CheckResult | None = None

    @property
    def overridden(self) -> bool:
        """Whether a reviewer decided this check by hand."""
        return self.automatic is not None

    @property
    def label_text(self) -> str:
        """What the check is about, in the current language."""
        return render(self.label)

    @property
    def reason_text(self) -> str:
        """Why the check has its result, in the current language."""
        return render(self.reason)

    @property
    def open(self) -> bool:
        """Whether the check is not met or needs a reviewer."""
        return self.result in (CheckResult.FAIL, CheckResult.MANUAL)


def encode_check(check: Check) -> dict[str, Any]:
    """A check as a project stores it (JSON): key for key what earlier versions wrote,
    so that running the checks again does not rewrite an unchanged review."""
    data: dict[str, Any] = {
        "id": check.id,
        "label": encode(check.label),
        "result": check.result.value,
        "reason": encode(check.reason),
        "severity": check.severity.value,
        "page": check.page,
        "material_id": check.material_id,
    }
    if check.automatic is not None:
        data["automatic"] = check.automatic.value
        data["overridden"] = True
    return data


def decode_check(data: Mapping[str, Any]) -> Check:
    """A check from what a project stores (any version: text labels and reasons of old
    projects are kept as text)."""
    automatic = data.get("automatic")
    # Lookups rather than enum calls: a national round's export decodes a million checks.
    return Check(
        id=str(data["id"]),
        label=decode(data.get("label")) or "",
        result=_RESULTS[data["result"]],
        reason=decode(data.get("reason")) or "",
        severity=_SEVERITIES[data.get("severity") or Severity.SOFT],
        page=data.get("page"),
        material_id=data.get("material_id"),
        automatic=_RESULTS[automatic] if automatic is not None else None,
    )


_RESULTS = {r.value: r for r in CheckResult}
_SEVERITIES = {s.value: s for s in Severity}


def encode_checks(checks: Iterable[Check]) -> list[dict[str, Any]]:
    """The checks as a project stores them (see :func:`encode_check`)."""
    return [encode_check(c) for c in checks]


def render_check(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored check as ``review --json`` shows it: its label and reason as text in the
    current language (``reason_record`` keeps the record, None for text an older
    version stored)."""
    reason = decode(stored.get("reason"))
    return {
        **stored,
        "label": render(decode(stored.get("label"))),
        "reason": render(reason),
        "reason_record": encode(reason) if isinstance(reason, Reason) else None,
    }
