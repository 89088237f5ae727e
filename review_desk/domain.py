"""Vocabularies of the domain: applicant kinds, levels, tiers, formal-review results and
verdicts, statuses and their labels."""

from __future__ import annotations

from enum import StrEnum

from review_desk.i18n import _
from review_desk.reasons import RESULT_LABELS


class ApplicantKind(StrEnum):
    """The kinds of applicant (揭榜主体) the notice admits."""

    CITY_GOVERNMENT = "city_government"
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    APPLIED_UNIVERSITY = "applied_university"
    VOCATIONAL_COLLEGE = "vocational_college"
    DEVELOPMENT_ZONE = "development_zone"
    SERVICE_PROVIDER = "service_provider"

    @property
    def label(self) -> str:
        """The name shown to users."""
        return {
            "city_government": _("City government"),
            "enterprise": _("Leading enterprise"),
            "university": _("Regular university"),
            "applied_university": _("Applied university"),
            "vocational_college": _("Vocational college"),
            "development_zone": _("Development zone"),
            "service_provider": _("Professional service provider"),
        }[self.value]


class Level(StrEnum):
    """The level a dossier applies for (申报级别)."""

    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"

    @property
    def label(self) -> str:
        """The name shown to users."""
        return {
            "provincial": _("Provincial"),
            "municipal": _("Municipal"),
            "county": _("County"),
        }[self.value]


class TextStatus(StrEnum):
    """What reading a dossier file's PDF found (``Material.text_status``)."""

    OK = "ok"  # pages and a text layer
    NO_TEXT = "no_text"  # pages but no text: a scan, checked by hand
    UNREAD = "unread"  # pages counted, the text layer not searched
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"
    TOO_COSTLY = "too_costly"  # beyond the reader's time or memory

    @property
    def readable(self) -> bool:
        """Whether the file could be opened and its pages counted."""
        return self in (TextStatus.OK, TextStatus.NO_TEXT, TextStatus.UNREAD)


class SheetStatus(StrEnum):
    """The state of an expert's score sheet."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        """The name shown to users."""
        return {
            "not_started": _("Not started"),
            "draft": _("Scoring"),
            "submitted": _("Submitted"),
        }[self.value]


class DefenseMode(StrEnum):
    """How a defense session is held."""

    ONLINE = "online"
    ON_SITE = "on_site"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        """The name shown to users."""
        return {"online": _("Online"), "on_site": _("On site"), "hybrid": _("Online and on site")}[
            self.value
        ]


class Tier(StrEnum):
    """Where a dossier ends up in the allocation (``TIED``: the last places are tied
    and the committee decides)."""

    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    NOT_RECOMMENDED = "not_recommended"
    INELIGIBLE = "ineligible"
    TIED = "tied"

    @property
    def label(self) -> str:
        """The name shown to users."""
        return {
            "provincial": _("provincial base"),
            "municipal": _("municipal/county base"),
            "not_recommended": _("not recommended"),
            "ineligible": _("ineligible"),
            "tied": _("tied: committee decides"),
        }[self.value]

    @classmethod
    def decisions(cls) -> tuple[Tier, ...]:
        """The tiers the committee may move a candidate to."""
        return (cls.PROVINCIAL, cls.MUNICIPAL, cls.NOT_RECOMMENDED, cls.INELIGIBLE)


class CheckResult(StrEnum):
    """The result of one formal-review check: met, not met, to be checked by hand, or
    shown to the experts only (a condition they judge, a preference)."""

    PASS = "pass"
    FAIL = "fail"
    MANUAL = "manual"
    INFO = "info"

    @property
    def label(self) -> str:
        """The result as shown."""
        return _(RESULT_LABELS[self.value])


class Severity(StrEnum):
    """What a formal-review check that is not met leads to: ``HARD`` fails the dossier,
    ``SOFT`` asks for a supplement."""

    HARD = "hard"
    SOFT = "soft"


class Verdict(StrEnum):
    """The formal review's verdict on a dossier (None where it is kept: a reviewer
    still has to look)."""

    PASSED = "passed"
    FAILED = "failed"
    SUPPLEMENT = "supplement"

    @property
    def label(self) -> str:
        """The verdict as shown."""
        return {
            "passed": _("Passed"),
            "failed": _("Not passed"),
            "supplement": _("To be supplemented"),
        }[self.value]


class RecusalSource(StrEnum):
    """Who raised a conflict of interest."""

    EXPERT = "expert"
    AGENCY = "agency"
    DETECTED = "detected"
