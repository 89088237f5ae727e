"""全程记录 from the dossiers page: the selected dossier's whole history read in the
background and shown (scores, the list's versions, objections, pilot year,
recognition); the experts do not have the button."""

from __future__ import annotations

from pathlib import Path

from review_desk import objections, publicity
from review_desk.project import Project


def test_the_whole_history_of_a_dossier(window, finalised_project: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    with Project(finalised_project) as project:
        today = publicity.today()
        publicity.open_period(
            project, starts_on=today, ends_on=today + timedelta(days=6), contact="0351-1234567"
        )
        dossier_id, label = objections.dossier_choices(project)[0]
        objections.add_objection(
            project, dossier_id=dossier_id, grounds="合作企业已注销", anonymous=True
        )
    code = label.split()[0]
    assert window.open_project(str(finalised_project))
    window.set_role("agency")
    window.show_page("materials")
    page = window.pages["materials"]
    assert page.select_dossier(dossier_id)
    page.history_button.click()
    page.wait()
    text = page.history_dialog.text.toPlainText()
    assert code in text
    for heading in ("专家评分", "定稿名单", "异议", "试点培育", "认定验收"):
        assert heading in text, heading
    assert "合作企业已注销" in text and "第1版" in text
    page.history_dialog.close()
    window.set_role("expert")
    assert not page.history_button.isVisible()
