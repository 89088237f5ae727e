"""形式审查: the checklist of 附件3 and the eligibility conditions every dossier is
checked against."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from review_desk import reference
from review_desk.domain import ApplicantKind
from review_desk.i18n import _

from ui.models.row_table import Column
from ui.pages.base import Page, card, planned_card
from ui.widgets.data_table import DataTable


def _applies_to(rule: reference.EligibilityRule) -> str:
    if "all" in rule.applies_to:
        return _("All applicants")
    return "、".join(ApplicantKind(kind).label for kind in rule.applies_to)


class FormalReviewPage(Page):
    """Reference for the formal review; the review itself comes with dossier intake."""

    key = "formal_review"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Completeness against the checklist of 附件3 and the eligibility conditions of "
                "三、揭榜参考条件, with a verdict and reasons for each dossier."
            ),
            parent,
        )
        self.body.addWidget(
            planned_card(
                _("Coming with the dossier intake feature"),
                [
                    _(
                        "Per dossier: each checklist item found (with its page) or missing; a PDF "
                        "without a text layer is marked for a manual check."
                    ),
                    _(
                        "Machine checks of the eligibility rules below from the register's facts, "
                        "and a verdict (passed / to be supplemented / rejected) with reasons."
                    ),
                    _("Supplements (补正) with every earlier version kept."),
                ],
                self,
            )
        )
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        checklist_card, checklist_layout = card(_("Dossier checklist (附件3)"), splitter)
        checklist = DataTable(
            [
                Column(_("Section"), lambda r: r.section),
                Column(_("No."), lambda r: r.number),
                Column(_("Item"), lambda r: r.short_title, tooltip=lambda r: r.title),
            ],
            searchable=False,
            stretch_column=2,
            parent=checklist_card,
        )
        checklist.set_rows(reference.checklist())
        checklist_layout.addWidget(checklist)
        rules_card, rules_layout = card(_("Eligibility conditions (三、揭榜参考条件)"), splitter)
        rules = DataTable(
            [
                Column(_("Clause"), lambda r: r.clause),
                Column(_("Applies to"), _applies_to),
                Column(
                    _("Checked by"),
                    lambda r: (
                        (_("Preference") + " · " if r.preference else "")
                        + (_("Machine") if r.check == "machine" else _("Experts"))
                    ),
                ),
                Column(_("Condition"), lambda r: r.text, tooltip=lambda r: r.text),
            ],
            searchable=False,
            stretch_column=3,
            parent=rules_card,
        )
        rules.set_rows(reference.eligibility_rules())
        rules_layout.addWidget(rules)
        splitter.addWidget(checklist_card)
        splitter.addWidget(rules_card)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.body.addWidget(splitter, 1)
