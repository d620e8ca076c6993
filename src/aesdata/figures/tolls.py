"""The tolls: people killed (and wounded) per year and country, as the sources report them.

Several sources often give figures for one event, so adding up rows would count the same dead
several times. Per event, kind of count and group of victims, the *low* is the lowest figure
any source gives and the *high* the highest (a source that gives only "at least N" counts as
N); the event's are their sums over the groups, or a source's overall total when larger. The
bars are the sums of those lows and highs over the events of a year and country: the span
between them says how far the sources disagree, and is labelled so, never as a confidence
interval.

Everything is aggregated in polars; matplotlib sees a few dozen bars whatever the size of the
data: a handful of countries (the member states first, then the busiest, the rest together)
and at most :data:`MOST_YEARS` years.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aesdata.figures.common import INK, PALETTE, Frames, axes, legend_below, names

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIZE = (11.0, 7.0)
#: The tables ``prepare`` reads: the tolls, their events' years and countries, the countries' names.
TABLES = ("tolls", "events", "entities")
MARGINS = {"left": 0.9, "right": 0.2, "top": 0.35, "bottom": 1.5}
COUNTED = ("killed", "wounded", "abducted", "missing", "displaced")
PANELS = 2  # kinds of count drawn as panels; the others are totalled in the footnote
MEMBER_STATES = ("mali", "burkina-faso", "niger")
MOST_SERIES = 4  # countries drawn on their own; the rest are one "other countries" series
MOST_YEARS = 30
OTHERS, UNKNOWN = "other countries", "country not recorded"
SERIES_COLOURS = (PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[0], PALETTE[4])
GREY = "#9a9a9a"


@dataclass
class Tolls:
    """Sums of the events' lows and highs per kind of count, year and country."""

    series: list[str] = field(default_factory=list)  # country ids, then OTHERS / UNKNOWN
    labels: dict[str, str] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    sums: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    totals: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # counted: low, high, n
    at_least: int = 0  # events whose highest figure is only a lower bound
    earlier: int = 0  # events before the years shown

    @property
    def panels(self) -> list[str]:
        return [c for c in COUNTED if c in self.totals][:PANELS]


def per_event(tolls: pl.DataFrame) -> pl.LazyFrame:
    """One low and one high per event and kind of count, from all its sources' figures.

    Per group of victims, the lowest figure any source gives and the highest; the event's are
    their sums over the groups, or the total a source gives without groups when that is larger.
    """
    import polars as pl

    named = pl.col("victims") != "unspecified"
    by_group = (
        tolls.lazy()
        .select(
            "event_id",
            pl.col("counted").cast(pl.String),
            pl.col("victims").cast(pl.String),
            "low",
            high=pl.col("high").fill_null(pl.col("low")),
            open=pl.col("high").is_null(),
        )
        .group_by("event_id", "counted", "victims")
        .agg(
            pl.col("low").min(),
            pl.col("high").max(),
            open=pl.col("open").sort_by("high").last(),
        )
    )
    return by_group.group_by("event_id", "counted").agg(
        low=pl.max_horizontal(
            pl.col("low").filter(named).sum(), pl.col("low").filter(~named).max()
        ),
        high=pl.max_horizontal(
            pl.col("high").filter(named).sum(), pl.col("high").filter(~named).max()
        ),
        open=pl.col("open").any(),
    )


def prepare(frames: Frames) -> Tolls:
    import polars as pl

    plan = Tolls()
    if "tolls" not in frames or frames["tolls"].is_empty():
        return plan
    events = (
        frames["events"]
        .lazy()
        .select(
            "event_id",
            year=pl.col("start_earliest").dt.year(),
            country=pl.col("country_id").cast(pl.String).fill_null(UNKNOWN),
        )
    )
    tolls = per_event(frames["tolls"]).join(events, on="event_id")
    sums = (
        tolls.group_by("counted", "country", "year")
        .agg(
            low=pl.col("low").sum(),
            high=pl.col("high").sum(),
            n=pl.len(),
            open=pl.col("open").sum(),
        )
        .collect()
    )
    if sums.is_empty():
        return plan
    last = sums["year"].max()
    assert isinstance(last, int)
    earliest = sums["year"].min()
    first = max(earliest if isinstance(earliest, int) else last, last - MOST_YEARS + 1)
    plan.years = list(range(first, last + 1))
    plan.earlier = int(sums.filter(pl.col("year") < first)["n"].sum())
    plan.at_least = int(sums["open"].sum())
    for counted, low, high, n in (
        sums.group_by("counted").agg(pl.col("low", "high", "n").sum()).sort("counted").iter_rows()
    ):
        plan.totals[counted] = (low, high, n)
    plan.series = _series(sums, plan.panels[0] if plan.panels else "killed")
    drawn = set(plan.series) - {OTHERS}
    country = pl.when(pl.col("country").is_in(drawn)).then("country").otherwise(pl.lit(OTHERS))
    kept = sums.filter(pl.col("year") >= first, pl.col("counted").is_in(plan.panels))
    kept = kept.group_by("counted", country.alias("series"), "year").agg(
        pl.col("low", "high").sum()
    )
    for counted, series, year, low, high in kept.sort("counted", "series", "year").iter_rows():
        plan.sums[(counted, series, year)] = (low, high)
    plan.labels = names(frames["entities"], plan.series)
    plan.labels.update({OTHERS: OTHERS, UNKNOWN: UNKNOWN})
    return plan


def _series(sums: pl.DataFrame, counted: str) -> list[str]:
    """The member states present, then the countries with the highest tolls, then the rest."""
    import polars as pl

    ranked = (
        sums.group_by("country")
        .agg(low=pl.col("low").filter(pl.col("counted") == counted).sum(), all=pl.col("low").sum())
        .sort(["low", "all", "country"], descending=[True, True, False])["country"]
        .to_list()
    )
    series = [c for c in MEMBER_STATES if c in ranked]
    series += [c for c in ranked if c not in series][: max(0, MOST_SERIES - len(series))]
    return series + ([OTHERS] if len(ranked) > len(series) else [])


def draw(fig: Figure, plan: Tolls) -> str:
    """One panel per kind of count: grouped bars per year, a solid low and a pale high."""
    panels = plan.panels or ["killed"]
    height = SIZE[1]
    top, bottom, gap = MARGINS["top"], MARGINS["bottom"], 0.45
    each = (height - top - bottom - gap * (len(panels) - 1)) / len(panels)
    for i, counted in enumerate(panels):
        ax = axes(
            fig,
            left=MARGINS["left"],
            right=MARGINS["right"],
            top=top + i * (each + gap),
            bottom=height - top - (i + 1) * each - i * gap,
        )
        _panel(ax, plan, counted)
        if i == 0:
            first = ax
    if not plan.totals:
        first.text(0.5, 0.5, "no tolls recorded", transform=first.transAxes, ha="center")
    handles = _handles(plan)
    legend_below(fig, handles, ncols=len(handles) if len(handles) <= 5 else 4)
    foot = "\n".join(textwrap.wrap(_foot(plan), 190))
    fig.text(0.5, 1.08 / height, foot, ha="center", va="top", fontsize=7, color="#555555")
    low, high, _ = plan.totals.get("killed", (0, 0, 0))
    return f"Casualties as sources report them: {low:,} to {high:,} killed (sums of lows and highs)"


def _panel(ax: Axes, plan: Tolls, counted: str) -> None:
    years, series = plan.years, plan.series
    spread = 0.8 / max(len(series), 1)
    tallest = 0
    for j, name in enumerate(series):
        colour = _colour(j, name)
        xs = [y + (j - (len(series) - 1) / 2) * spread for y in years]
        lows = [plan.sums.get((counted, name, y), (0, 0))[0] for y in years]
        highs = [plan.sums.get((counted, name, y), (0, 0))[1] for y in years]
        _bars(ax, xs, highs, spread * 0.92, colour, alpha=0.35, zorder=2)
        _bars(ax, xs, lows, spread * 0.92, colour, alpha=1.0, zorder=3)
        tallest = max([tallest, *highs])
    ax.set_ylim(0, tallest * 1.05 or 1)
    ax.set_xticks(years, [str(y) for y in years], fontsize=8 if len(years) <= 15 else 6)
    ax.set_xlim((years[0] - 0.6, years[-1] + 0.6) if years else (0, 1))
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    low, high, n = plan.totals.get(counted, (0, 0, 0))
    ax.set_ylabel(f"{counted} (sum over events)")
    ax.text(
        0.01,
        0.97,
        f"{counted}: {low:,} to {high:,} over {n:,} events",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        fontweight="bold",
    )


def _bars(
    ax: Axes,
    xs: list[float],
    heights: list[int],
    width: float,
    colour: str,
    alpha: float,
    zorder: float,
) -> None:
    """Bars from 0 as one collection: a patch per bar (``ax.bar``) cost a tenth of the figures."""
    from matplotlib.collections import PolyCollection

    half = width / 2
    boxes = [
        [(x - half, 0), (x - half, h), (x + half, h), (x + half, 0)]
        for x, h in zip(xs, heights, strict=True)
    ]
    bars = PolyCollection(boxes, facecolors=colour, linewidths=0, alpha=alpha, zorder=zorder)
    ax.add_collection(bars, autolim=False)


def _colour(j: int, name: str) -> str:
    return GREY if name in (OTHERS, UNKNOWN) else SERIES_COLOURS[j % len(SERIES_COLOURS)]


def _handles(plan: Tolls) -> list[Any]:
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Patch(color=_colour(j, s), label=plan.labels.get(s, s)) for j, s in enumerate(plan.series)
    ]
    handles.append(Patch(color=INK, label="solid: sum of the events' lowest reported figures"))
    handles.append(
        Patch(color=INK, alpha=0.3, label="pale: up to the sum of their highest reported figures")
    )
    return handles


def _foot(plan: Tolls) -> str:
    """How the sums are made, and what the figure leaves out."""
    text = (
        "Per event and group of victims (attackers included), the lowest and the highest figure "
        "any source gives, added up over the groups (or a source's overall total, if larger); "
        "'at least N' counts as N. The pale span shows how far sources disagree: it is not a "
        "confidence interval."
    )
    if plan.at_least:
        text += f" {plan.at_least:,} events have an 'at least' figure."
    rest = [c for c in COUNTED if c in plan.totals and c not in plan.panels]
    if rest:
        parts = [f"{c} {plan.totals[c][0]:,} to {plan.totals[c][1]:,}" for c in rest]
        text += " Also reported: " + ", ".join(parts) + "."
    if plan.earlier:
        text += f" {plan.earlier:,} events before {plan.years[0]} are not shown."
    return text
