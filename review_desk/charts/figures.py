"""The figure builders: each takes the chart data and returns a ``Chart`` (a matplotlib
``Figure`` plus what its marks stand for, so the UI can show details on hover and open
the dossier on click). The same builders serve the 图表 page and ``review-desk chart``.

Figures are made with ``matplotlib.figure.Figure`` directly, never pyplot: no global
figure registry, safe off the UI thread."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from review_desk.charts import KINDS, export_dpi, kind_title
from review_desk.charts.data import ChartData
from review_desk.charts.fonts import font_rc
from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.ranking import tier_label

TIER_COLOURS: dict[str, str] = {
    Tier.PROVINCIAL: "#2E7D32",
    Tier.MUNICIPAL: "#4F81BD",
    Tier.NOT_RECOMMENDED: "#A6A6A6",
    Tier.INELIGIBLE: "#C0504D",
    Tier.TIED: "#E0A100",
}
ACCENT = "#C0392B"
TOP = 40  # bars in the ranking chart; more would not be readable on a projector


@dataclass
class Hit:
    """A mark of the chart and what it stands for: a dossier (or None) and a text."""

    artist: Artist
    items: list[tuple[int | None, str]]


@dataclass
class Chart:
    """A built chart."""

    kind: str
    title: str
    figure: Figure
    hits: list[Hit] = field(default_factory=list)

    def item_at(self, event: Any) -> tuple[int | None, str] | None:
        """The dossier and text under a mouse event, if any."""
        for hit in self.hits:
            inside, info = hit.artist.contains(event)
            if inside:
                indices = info.get("ind", [0]) if isinstance(info, dict) else [0]
                index = int(indices[0]) if len(indices) else 0
                if index < len(hit.items):
                    return hit.items[index]
        return None

    def save(self, target: Path, dpi: int | None = None) -> None:
        """Write the chart as PNG, SVG or PDF (by the file's suffix), at ``dpi`` or
        else at :func:`~review_desk.charts.export_dpi`."""
        target = Path(target)
        dpi = export_dpi() if dpi is None else dpi
        target.parent.mkdir(parents=True, exist_ok=True)
        with rc_context(font_rc()):
            self.figure.savefig(target, dpi=dpi, format=target.suffix.lstrip(".").lower())


def _figure(size: tuple[float, float] = (11, 6.2)) -> Figure:
    return Figure(figsize=size, layout="constrained", facecolor="white")


def _empty(kind: str, title: str, message: str) -> Chart:
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=16, color="#666666")
    figure.suptitle(title, fontsize=16, fontweight="bold")
    return Chart(kind, title, figure)


def _scored(data: ChartData) -> pd.DataFrame:
    """The scored dossiers, best first; equal scores in rank order (the tie-breaks)."""
    table = data.table[data.table["score"].notna()]
    return table.assign(_r=table["rank"].astype(float).fillna(np.inf)).sort_values(
        ["score", "_r", "code"], ascending=[False, True, True], kind="stable"
    )


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(axes: Any, tiers: list[str], **options: Any) -> None:
    handles = [Patch(color=TIER_COLOURS[t], label=tier_label(t)) for t in tiers]
    axes.legend(handles=handles, frameon=False, **options)


def ranking_bars(data: ChartData, top: int = TOP) -> Chart:
    """Scores of the best candidates, coloured by (adjusted) tier, the cutoff marked."""
    title = _("Ranking")
    if data.empty:
        return _empty("ranking", title, _("No scores yet."))
    table = _scored(data).head(top)
    figure = _figure((11, max(5.5, 0.24 * len(table) + 1.6)))
    axes = figure.add_subplot()
    positions = np.arange(len(table))
    tiers = list(table["adjusted_tier"])
    bars = axes.barh(
        positions, table["score"], color=[TIER_COLOURS.get(t, "#999999") for t in tiers]
    )
    axes.set_yticks(
        positions,
        [f"{c} {_short(a)}" for c, a in zip(table["code"], table["applicant"], strict=True)],
        fontsize=8,
    )
    axes.invert_yaxis()
    for bar, score in zip(bars, table["score"], strict=True):
        axes.text(
            bar.get_width() + 0.3,
            bar.get_y() + bar.get_height() / 2,
            f"{score:.2f}",
            va="center",
            fontsize=7,
            color="#333333",
        )
    provincial = data.table[data.table["adjusted_tier"] == Tier.PROVINCIAL]["score"].dropna()
    if len(provincial):
        cutoff = float(provincial.min())
        axes.axvline(cutoff, color=ACCENT, linestyle="--", linewidth=1.2)
        axes.text(
            cutoff,
            -0.9,
            tr("provincial cutoff {score:.2f}", score=cutoff),
            color=ACCENT,
            ha="center",
            va="bottom",
            fontsize=9,
        )
    low = float(table["score"].min())
    axes.set_xlim(max(0.0, math.floor(low / 10) * 10 - 10), float(table["score"].max()) + 6)
    axes.set_xlabel(_("Overall score"))
    axes.spines[["top", "right"]].set_visible(False)
    shown = [t for t in TIER_COLOURS if t in set(tiers)]
    _legend(axes, shown, loc="lower right")
    more = len(_scored(data)) - len(table)
    suffix = tr(" (top {count})", count=len(table)) if more > 0 else ""
    figure.suptitle(title + suffix, fontsize=16, fontweight="bold")
    hits = [
        Hit(bar, [(int(d), _hover(data, int(d)))])
        for bar, d in zip(bars, table["dossier_id"], strict=True)
    ]
    return Chart("ranking", title, figure, hits)


def _hover(data: ChartData, dossier_id: int) -> str:
    row = data.table[data.table["dossier_id"] == dossier_id].iloc[0]
    score = "" if pd.isna(row["score"]) else f"{row['score']:.2f}"
    return "\n".join(
        [
            f"{row['code']} {row['applicant']}",
            f"{int(row['direction_id']):02d} {row['direction']}",
            tr("score {score}, {tier}", score=score, tier=tier_label(row["adjusted_tier"])),
        ]
    )


def direction_multiples(data: ChartData) -> Chart:
    """One small panel per direction: its candidates' scores and the cap of provincial
    places per direction."""
    title = _("Directions and the per-direction cap")
    if data.empty:
        return _empty("directions", title, _("No scores yet."))
    table = _scored(data)
    groups: list[tuple[Any, pd.DataFrame]] = list(table.groupby("direction_id", sort=True))
    cap = int(data.config.direction_cap or 2)
    caps = {int(k): int(v) for k, v in data.config.direction_caps.items()}
    columns = 6
    rows = math.ceil(len(groups) / columns)
    figure = _figure((13, 2.0 * rows + 1.2))
    grid = figure.subplots(rows, columns, squeeze=False, sharey=True)
    hits: list[Hit] = []
    top = float(table["score"].max())
    for axes in grid.flat[len(groups) :]:
        axes.set_axis_off()
    for axes, (direction, part) in zip(grid.flat, groups, strict=False):
        limit = caps.get(int(direction), cap)
        chosen = int((part["adjusted_tier"] == Tier.PROVINCIAL).sum())
        positions = np.arange(len(part))
        axes.axvspan(-0.5, limit - 0.5, color="#E8F5E9", zorder=0)
        bars = axes.bar(
            positions,
            part["score"],
            color=[TIER_COLOURS.get(t, "#999999") for t in part["adjusted_tier"]],
            width=0.7,
            zorder=2,
        )
        axes.set_xlim(-0.5, max(len(part), limit) - 0.5)
        axes.set_ylim(0, top * 1.1)
        axes.set_xticks([])
        axes.tick_params(labelsize=7)
        name = data.directions.get(int(direction), str(direction))
        colour = ACCENT if chosen > limit else "#222222"
        axes.set_title(
            f"{int(direction):02d} {_short(name, 8)}  {chosen}/{limit}", fontsize=9, color=colour
        )
        axes.spines[["top", "right"]].set_visible(False)
        hits += [
            Hit(bar, [(int(d), _hover(data, int(d)))])
            for bar, d in zip(bars, part["dossier_id"], strict=True)
        ]
    _legend(
        figure,
        [t for t in TIER_COLOURS if t in set(table["adjusted_tier"])],
        loc="outside lower center",
        ncols=5,
    )
    figure.suptitle(
        title + tr(" (green band: the {cap} provincial places)", cap=cap),
        fontsize=15,
        fontweight="bold",
    )
    return Chart("directions", title, figure, hits)


def dispersion(data: ChartData) -> Chart:
    """Each expert's total as a dot over a box, per dossier; the consolidated score as
    a diamond."""
    title = _("Score dispersion per dossier")
    if data.empty or data.totals.empty:
        return _empty("dispersion", title, _("No scores yet."))
    table = _scored(data).head(30)
    figure = _figure((13, 6.2))
    axes = figure.add_subplot()
    groups = [data.totals[data.totals["dossier_id"] == d] for d in table["dossier_id"]]
    values = [g["total"].to_numpy(dtype=float) for g in groups]
    positions = np.arange(1, len(table) + 1)
    axes.boxplot(
        values,
        positions=positions,
        widths=0.55,
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#DCE6F2", "edgecolor": "#4F6D8C"},
        medianprops={"color": "#1F4E79"},
        whiskerprops={"color": "#4F6D8C"},
        capprops={"color": "#4F6D8C"},
    )
    rng = np.random.default_rng(7)
    hits: list[Hit] = []
    for position, group, dossier_id in zip(positions, groups, table["dossier_id"], strict=True):
        jitter = rng.uniform(-0.12, 0.12, len(group))
        colours = np.where(group["flagged"].to_numpy(dtype=bool), ACCENT, "#333333")
        dots = axes.scatter(position + jitter, group["total"], s=16, c=colours, zorder=3)
        hits.append(
            Hit(
                dots,
                [
                    (int(dossier_id), f"{data.dossier_label(int(dossier_id))}\n{e}: {t:.2f}")
                    for e, t in zip(group["expert"], group["total"], strict=True)
                ],
            )
        )
    diamonds = axes.scatter(
        positions,
        table["score"],
        marker="D",
        s=30,
        color="#E0A100",
        zorder=4,
        label=_("consolidated score"),
    )
    hits.append(Hit(diamonds, [(int(d), _hover(data, int(d))) for d in table["dossier_id"]]))
    axes.scatter([], [], s=16, color="#333333", label=_("an expert's total"))
    axes.scatter([], [], s=16, color=ACCENT, label=_("flagged as deviating"))
    axes.set_xticks(positions, list(table["code"]), rotation=60, ha="right", fontsize=8)
    axes.set_ylabel(_("Expert's weighted total"))
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, loc="lower left", ncols=3)
    figure.suptitle(title, fontsize=16, fontweight="bold")
    return Chart("dispersion", title, figure, hits)


def leniency(data: ChartData) -> Chart:
    """Each expert's mean gap to the dossiers' means: who scores high, who low."""
    title = _("Expert leniency")
    frame = data.leniency.dropna(subset=["leniency"]) if len(data.leniency) else data.leniency
    if frame is None or frame.empty:
        return _empty("leniency", title, _("No scores yet."))
    frame = frame.sort_values("leniency")
    figure = _figure((11, max(4.5, 0.35 * len(frame) + 1.8)))
    axes = figure.add_subplot()
    percent = frame["leniency"].to_numpy(dtype=float) * 100
    positions = np.arange(len(frame))
    bars = axes.barh(positions, percent, color=np.where(percent >= 0, "#C0504D", "#4F81BD"))
    axes.set_yticks(
        positions,
        [f"{e}（{int(n)}）" for e, n in zip(frame["expert"], frame["dossiers"], strict=True)],
    )
    axes.set_ylabel(_("Expert (dossiers scored)"))
    axes.axvline(0, color="#333333", linewidth=0.8)
    for bar, value in zip(bars, percent, strict=True):
        axes.text(
            value + (0.2 if value >= 0 else -0.2),
            bar.get_y() + bar.get_height() / 2,
            f"{value + 0.0 if abs(value) >= 0.05 else 0.0:+.1f}%",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=8,
        )
    span = max(5.0, float(np.abs(percent).max()) * 1.3)
    axes.set_xlim(-span, span)
    axes.set_xlabel(_("Mean gap to the other scores of the same dossiers (%)"))
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, fontsize=16, fontweight="bold")
    hits = [
        Hit(
            bar,
            [
                (
                    None,
                    tr(
                        "{expert}: {value:+.1f}% over {count} dossiers",
                        expert=e,
                        value=v,
                        count=int(n),
                    ),
                )
            ],
        )
        for bar, e, v, n in zip(bars, frame["expert"], percent, frame["dossiers"], strict=True)
    ]
    return Chart("leniency", title, figure, hits)


def radar(data: ChartData, dossier_id: int | None = None) -> Chart:
    """One dossier's criterion scores (share of each maximum) against the mean of its
    direction's dossiers."""
    title = _("Criterion profile")
    means = data.criterion_means
    if data.empty or means.empty or not data.criteria:
        return _empty("radar", title, _("No scores yet."))
    if dossier_id is not None and dossier_id not in means.index:
        # Asked for this dossier: say it has no scores rather than show another one.
        return _empty(
            "radar", title, tr("{dossier}: no scores yet.", dossier=data.dossier_label(dossier_id))
        )
    if dossier_id is None:
        ranked = [d for d in _scored(data)["dossier_id"] if d in means.index]
        if not ranked:
            return _empty("radar", title, _("No scores yet."))
        dossier_id = int(ranked[0])
    row = data.table[data.table["dossier_id"] == dossier_id].iloc[0]
    peers = data.table[data.table["direction_id"] == row["direction_id"]]["dossier_id"]
    peer_means = means.loc[[d for d in peers if d in means.index]].mean()
    criteria = [c for c in data.criteria if c.id in means.columns]
    angles = np.linspace(0, 2 * np.pi, len(criteria), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])

    def shares(series: pd.Series) -> np.ndarray:
        values = np.array([series.get(c.id, np.nan) / c.max for c in criteria], dtype=float)
        values = np.nan_to_num(values, nan=0.0) * 100
        return np.concatenate([values, values[:1]])

    figure = _figure((10, 7.2))
    axes: Any = figure.add_subplot(projection="polar")  # PolarAxes
    mine, peer = shares(pd.Series(means.loc[dossier_id])), shares(peer_means)
    (line,) = axes.plot(closed, mine, color="#1F4E79", linewidth=2, label=row["code"])
    axes.fill(closed, mine, color="#1F4E79", alpha=0.18)
    axes.plot(
        closed,
        peer,
        color="#E0A100",
        linewidth=1.6,
        linestyle="--",
        label=tr("mean of {direction}", direction=row["direction"]),
    )
    axes.set_xticks(angles, [f"{c.id} {_short(c.name, 9)}" for c in criteria], fontsize=8)
    axes.set_ylim(0, 100)
    axes.tick_params(axis="x", pad=14)
    axes.set_rlabel_position(90 / max(len(criteria), 1))
    axes.set_yticks([25, 50, 75, 100], ["25%", "50%", "75%", "100%"], fontsize=7)
    axes.legend(loc="upper right", bbox_to_anchor=(1.32, 1.12), frameon=False)
    figure.suptitle(f"{title}：{row['code']} {row['applicant']}", fontsize=15, fontweight="bold")
    markers = axes.scatter(angles, mine[:-1], s=18, color="#1F4E79", zorder=3)
    hits = [
        Hit(
            markers,
            [
                (
                    int(dossier_id),
                    tr(
                        "{criterion}: {mine:.0f}% (direction mean {peer:.0f}%)",
                        criterion=f"{c.id} {c.name}",
                        mine=a,
                        peer=b,
                    ),
                )
                for c, a, b in zip(criteria, mine[:-1], peer[:-1], strict=True)
            ],
        ),
        Hit(line, [(int(dossier_id), _hover(data, int(dossier_id)))]),
    ]
    return Chart("radar", title, figure, hits)


def stability_chart(data: ChartData, top: int = TOP) -> Chart:
    """How often each candidate is a provincial base when the experts are resampled."""
    title = _("Selection probability (stability analysis)")
    table = data.table
    if data.empty or "p_provincial" not in table or not table["p_provincial"].notna().any():
        return _empty("stability", title, _("No stability analysis: no scores yet."))
    frame = (
        table[table["p_provincial"] > 0]
        .sort_values(["p_provincial", "score"], ascending=[False, False])
        .head(top)
    )
    figure = _figure((11, max(5.0, 0.26 * len(frame) + 1.8)))
    axes = figure.add_subplot()
    positions = np.arange(len(frame))
    bars = axes.barh(
        positions,
        frame["p_provincial"] * 100,
        color=[TIER_COLOURS.get(t, "#999999") for t in frame["adjusted_tier"]],
        hatch=["//" if f else "" for f in frame["fragile"]],
        edgecolor="white",
    )
    axes.set_yticks(
        positions,
        [f"{c} {_short(a)}" for c, a in zip(frame["code"], frame["applicant"], strict=True)],
        fontsize=8,
    )
    axes.invert_yaxis()
    axes.axvline(50, color=ACCENT, linestyle="--", linewidth=1)
    axes.set_xlim(0, 105)
    axes.set_xlabel(_("Share of resamples in which the candidate is a provincial base (%)"))
    axes.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(color=TIER_COLOURS[t], label=tier_label(t))
        for t in TIER_COLOURS
        if t in set(frame["adjusted_tier"])
    ]
    handles.append(
        Patch(facecolor="#999999", hatch="//", edgecolor="white", label=_("fragile selection"))
    )
    axes.legend(handles=handles, frameon=False, loc="lower right")
    resamples = data.config.stability.resamples
    figure.suptitle(
        title + tr(" ({resamples} resamples)", resamples=resamples),
        fontsize=16,
        fontweight="bold",
    )
    hits = [
        Hit(bar, [(int(d), _hover(data, int(d)) + "\n" + tr("probability {p:.0%}", p=p))])
        for bar, d, p in zip(bars, frame["dossier_id"], frame["p_provincial"], strict=True)
    ]
    return Chart("stability", title, figure, hits)


Builder = Callable[..., Chart]
BUILDERS: dict[str, Builder] = {
    "ranking": ranking_bars,
    "directions": direction_multiples,
    "dispersion": dispersion,
    "leniency": leniency,
    "radar": radar,
    "stability": stability_chart,
}
assert tuple(BUILDERS) == KINDS
__all__ = ["KINDS", "Chart", "Hit", "build_chart", "kind_title"]


def build_chart(
    kind: str, data: ChartData, *, dossier_id: int | None = None, top: int | None = None
) -> Chart:
    """Build the chart of ``kind`` (one of ``KINDS``), its texts in a Chinese font.
    ``top`` limits the bars of the ranking and stability charts (fewer, larger bars
    for the meeting room)."""
    with rc_context(font_rc()):
        if kind == "radar":
            return radar(data, dossier_id)
        if top is not None and kind in ("ranking", "stability"):
            return BUILDERS[kind](data, top)
        return BUILDERS[kind](data)
