"""The chart data carries each dossier's platform name, so the charts page shows it
beside a chart without querying storage itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk import queries
from review_desk.charts.data import chart_data
from review_desk.project import Project
from review_desk.results.source import results_ranking
from tests.small_project import make_project


def test_chart_data_names_each_dossier_s_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_project(tmp_path, capsys)
    with Project(path) as project:
        data = chart_data(project, results_ranking(project, resamples=0))
        (dossier,) = queries.dossiers(project)
    assert data.platforms == {dossier.id: dossier.platform_name}
    assert dossier.platform_name
