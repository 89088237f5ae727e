"""Every chart kind renders for the demo and for an empty project, with Chinese drawn
from a real font (a missing-glyph warning fails the test), and is written as PNG and
SVG, and all of them into one PDF album; marks know the dossier they stand for."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from review_desk.charts import DEFAULT_DPI, DPI_VARIABLE, KINDS, export_dpi, kind_title
from review_desk.charts.album import save_charts
from review_desk.charts.data import chart_data
from review_desk.charts.figures import build_chart
from review_desk.charts.fonts import chinese_font
from review_desk.progress import Cancelled
from review_desk.project import Project
from review_desk.results.source import results_ranking
from tests.small_project import cli
from tests.support import run_cli


@pytest.fixture(scope="module")
def demo_data(demo_source: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.conftest import copy_project

    path = copy_project(demo_source, tmp_path_factory.mktemp("charts") / "demo.rdp")
    with Project(path) as project:
        return chart_data(project, results_ranking(project, resamples=100))


def test_a_chinese_font_is_resolved() -> None:
    from matplotlib import font_manager

    family = chinese_font()
    path = font_manager.findfont(family, fallback_to_default=False)
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in charmap for ch in "评审排名省级市县基地")


@pytest.mark.parametrize("kind", KINDS)
def test_each_chart_renders_for_the_demo(kind: str, demo_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a warning
        chart = build_chart(kind, demo_data)
        chart.figure.canvas.draw()  # the files: every kind in the album's test below
    assert chart.hits, "a chart of the demo has marks to point at"


def test_cancelling_the_album_writes_no_album(demo_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The album itself is checked page by page by the 导出 page's test."""
    steps: list[tuple[int, int, str]] = []

    def cancel_at_the_second(done: int, total: int, message: str) -> None:
        steps.append((done, total, message))
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        save_charts(demo_data, tmp_path, cancel_at_the_second)
    assert len(list(tmp_path.glob("*.png"))) == 1 and not list(tmp_path.glob("*.pdf*"))
    assert steps == [(1, len(KINDS) + 2, "综合排名"), (2, len(KINDS) + 2, kind_title(KINDS[1]))]


@pytest.mark.parametrize("kind", KINDS)
def test_each_chart_renders_for_an_empty_project(kind: str, tmp_path: Path) -> None:
    project = Project.create(tmp_path / "empty.rdp", name="空项目")
    try:
        data = chart_data(project)
    finally:
        project.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart = build_chart(kind, data)
        chart.save(tmp_path / f"{kind}.png", dpi=60)
    assert chart.hits == []


def test_marks_name_their_dossier(demo_data) -> None:  # type: ignore[no-untyped-def]
    chart = build_chart("ranking", demo_data)
    chart.figure.canvas.draw()
    top = demo_data.table.sort_values("score", ascending=False).iloc[0]
    bar = chart.hits[0].artist
    x, y = bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2
    px, py = bar.axes.transData.transform((x, y))
    event = SimpleNamespace(x=px, y=py, inaxes=bar.axes, canvas=chart.figure.canvas)
    dossier_id, text = chart.item_at(event)
    assert dossier_id == top["dossier_id"] and top["code"] in text


def test_radar_of_a_chosen_dossier(demo_data) -> None:  # type: ignore[no-untyped-def]
    chosen = demo_data.table.dropna(subset=["score"]).iloc[-1]
    chart = build_chart("radar", demo_data, dossier_id=int(chosen["dossier_id"]))
    assert chosen["code"] in chart.figure.get_suptitle()


def test_chart_command(
    demo_readonly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "ranking.png"
    done = run_cli(
        "chart", str(demo_readonly), "--kind", "ranking", "--out", str(target), module="review_desk"
    )
    assert done.returncode == 0, done.stderr
    from PIL import Image

    with Image.open(target) as image:  # the test run's resolution (tests/conftest.py)
        assert image.info.get("dpi", (0, 0))[0] == pytest.approx(export_dpi(), abs=1)
    # The refusal in-process (the entry point has run above).
    status, _out, err = cli(
        capsys, "chart", str(demo_readonly), "--kind", "radar", "--dossier", "NOPE",
        "--out", str(tmp_path / "r.svg"),
    )  # fmt: skip
    assert status == 2 and "NOPE" in err
    assert not (tmp_path / "r.svg").exists()


def test_radar_of_a_dossier_without_scores_says_so(demo_data) -> None:  # type: ignore[no-untyped-def]
    unscored = demo_data.table[demo_data.table["score"].isna()].iloc[0]
    chart = build_chart("radar", demo_data, dossier_id=int(unscored["dossier_id"]))
    texts = [t.get_text() for t in chart.figure.axes[0].texts]
    assert any(unscored["code"] in t and "暂无评分" in t for t in texts)


def test_charts_are_written_at_300_dpi_unless_told_otherwise(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(DPI_VARIABLE, raising=False)
    assert export_dpi() == DEFAULT_DPI == 300
    for wrong in ("", "0", "-5", "many"):
        monkeypatch.setenv(DPI_VARIABLE, wrong)
        assert export_dpi() == DEFAULT_DPI
    monkeypatch.setenv(DPI_VARIABLE, "72")
    assert export_dpi() == 72
    project = Project.create(tmp_path / "empty.rdp", name="空项目")
    try:
        data = chart_data(project)
    finally:
        project.close()
    build_chart("ranking", data).save(tmp_path / "at72.png")
    from PIL import Image

    with Image.open(tmp_path / "at72.png") as image:
        assert image.info.get("dpi", (0, 0))[0] == pytest.approx(72, abs=1)
