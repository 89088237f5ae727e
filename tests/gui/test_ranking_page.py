"""The ranking page: computed off the UI thread, parameters and what-if, the committee's
adjustment with a required reason, deviation explanations."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog

from review_desk.domain import Tier


def _page(window, demo_project: Path, role: str = "committee"):  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    window.set_role(role)
    window.show_page("ranking")
    page = window.pages["ranking"]
    page.wait()
    return page


def test_the_list_appears_with_tiers_and_what_if(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    from review_desk import ranking
    from review_desk.project import Project

    with Project(demo_project) as project:
        expected = ranking.compute(project, resamples=0).table
    provincial = int((expected["tier"] == Tier.PROVINCIAL).sum())
    page = _page(window, demo_project)
    assert page.table.proxy.rowCount() == len(expected) > 0
    assert page.table.proxy.index(0, 7).data() == "省级基地"
    assert f"省级 {provincial}" in page.summary.text() and provincial > 8
    assert page.what_if.model.rowCount() == 0
    page.target.setValue(8)
    page.recompute()
    page.wait()
    assert "省级 8" in page.summary.text()
    # A target of 8: the provincial candidates beyond the eighth change.
    assert page.what_if.model.rowCount() == provincial - 8
    assert f"{provincial - 8} 个申报" in page.what_if_label.text()
    assert page.directions.model.rowCount() > 10


def test_agency_cannot_adjust_or_finalise(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(window, demo_project, role="agency")
    assert not page.adjust_button.isEnabled() and not page.finalise_button.isEnabled()
    assert page.explain_button.isEnabled()


def test_committee_adjusts_with_a_reason(window, demo_project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ui.pages import ranking as ranking_page

    page = _page(window, demo_project)
    # The best-ranked candidate below the provincial places.
    assert page.result is not None
    table = page.result.table
    first_below = int(table.loc[table["tier"] == Tier.MUNICIPAL, "rank"].min())
    provincial = int((table["tier"] == Tier.PROVINCIAL).sum())
    assert page.table.select_where(lambda r: r.rank == first_below)

    def accept(dialog):  # type: ignore[no-untyped-def]
        assert not dialog.ok.isEnabled()
        dialog.tier.setCurrentIndex(dialog.tier.findData("provincial"))
        dialog.text.setPlainText("联席会议认定其示范作用突出")
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ranking_page.ReasonDialog, "exec", accept)
    page.adjust()
    page.wait()
    row = page.table.selected_row()
    assert row.rank == first_below and row.adjusted_tier == Tier.PROVINCIAL
    assert row.adjustment_reason == "联席会议认定其示范作用突出"
    assert f"省级 {provincial + 1}" in page.summary.text()


def test_a_deviation_is_explained_from_its_row(window, demo_project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ui.pages import ranking as ranking_page

    page = _page(window, demo_project, role="agency")
    flag = page.deviations.model.row_at(0)
    assert not flag.explained and flag.note == ""
    assert page.deviations.select_where(
        lambda r: (r.dossier_id, r.expert_id) == (flag.dossier_id, flag.expert_id)
    )
    prompts = []

    def accept(dialog):  # type: ignore[no-untyped-def]
        prompts.append(dialog.findChild(ranking_page.QLabel).text())
        dialog.text.setPlainText("专家书面说明：已复核材料")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ranking_page.ReasonDialog, "exec", accept)
    page.explain()
    page.wait()
    assert flag.code in prompts[0] and flag.expert in prompts[0]
    explained = next(
        page.deviations.model.row_at(r)
        for r in range(page.deviations.model.rowCount())
        if (page.deviations.model.row_at(r).dossier_id, page.deviations.model.row_at(r).expert_id)
        == (flag.dossier_id, flag.expert_id)
    )
    assert explained.explained and explained.note == "专家书面说明：已复核材料"
