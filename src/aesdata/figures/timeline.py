"""The timeline: one lane per family of event types, milestones labelled above the lanes.

While the events fit, each is a marker (filled when dated to the day, hollow otherwise), shifted
off its lane's centre when crowded. "Fit" is worked out from the picture itself: a marker is
:data:`MARKER_PT` wide, so two events closer than the days that width covers need two slots,
and a lane has room for as many slots as its height holds. When some lane would need more, the
whole figure switches to counts per month and family (one filled step line per lane, on one
shared scale), which reads the same at 10,000 events as at a million. Everything up to that
choice is a polars group-by or a sort of the events that are drawn, never a loop over them all.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aesdata.figures.common import (
    MUTED,
    TIMELINE_START,
    Frames,
    axes,
    day_number,
    latest_date,
    legend_below,
    year_axis,
)
from aesdata.figures.families import COLOURS, FAMILIES, FAMILY_OF, MILESTONES, OTHER

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIZE = (12.0, 6.5)
#: The tables ``prepare`` reads: the events, and the relations for where open spans stop.
TABLES = ("events", "relations")
MARGINS = {"left": 2.05, "right": 0.25, "top": 0.35, "bottom": 1.05}  # inches
BAND = 2.4  # lane units above the first lane for the milestone labels
MARKER_PT = 6.6  # marker diameter (s=34 pt²)
SLOT_STEP = 0.65  # slots this many marker widths apart: crowded markers overlap a third
LANE_FILL = 0.84  # share of a lane's height the slots (or a month's bar) may use


@dataclass(frozen=True)
class Mark:
    """One event on the timeline: ``slot`` shifts it off its lane's centre when crowded."""

    event_id: str
    day: dt.date
    family: str
    slot: int
    exact: bool


@dataclass
class Timeline:
    """What the timeline draws: marks while they fit, else monthly counts per family."""

    lanes: list[str]
    counts: dict[str, int]
    end: dt.date
    first: dt.date | None = None
    last: dt.date | None = None
    marks: list[Mark] = field(default_factory=list)
    months: dict[str, tuple[list[float], list[int]]] = field(default_factory=dict)
    milestones: list[tuple[dt.date, str, str]] = field(default_factory=list)  # day, id, family
    band: float = BAND

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def by_month(self) -> bool:
        return bool(self.months)


def geometry(lanes: int, band: float, start: dt.date, end: dt.date) -> tuple[int, int]:
    """Slots each lane holds and the days one marker covers, from the figure's own size."""
    width, height = SIZE
    lane_pt = 72 * (height - MARGINS["top"] - MARGINS["bottom"]) / (lanes + band)
    pt_per_day = 72 * (width - MARGINS["left"] - MARGINS["right"]) / max((end - start).days, 1)
    each_side = int(LANE_FILL * lane_pt / 2 // (SLOT_STEP * MARKER_PT))
    return 2 * each_side + 1, max(1, round(MARKER_PT / pt_per_day))


def _shown(events: pl.DataFrame) -> pl.LazyFrame:
    import polars as pl

    family = pl.col("event_type").cast(pl.String).replace_strict(FAMILY_OF, default=OTHER)
    return (
        events.lazy()
        .filter(pl.col("start_earliest") >= TIMELINE_START)
        .select(
            "event_id",
            day="start_earliest",
            exact=pl.col("start_precision") == "day",
            family=family,
        )
    )


def prepare(frames: Frames) -> Timeline:
    """Count, choose markers or months, and pick the milestones present."""
    import polars as pl

    shown = _shown(frames["events"])
    month = pl.col("day").dt.truncate("1mo").alias("month")
    by_month = shown.group_by("family", month).agg(
        n=pl.len(), first=pl.col("day").min(), last=pl.col("day").max()
    )
    wanted = pl.col("event_id").is_in(list(MILESTONES))
    milestones = shown.filter(wanted).select("day", "event_id", "family").sort("day", "event_id")
    counts, present = pl.collect_all([by_month, milestones])  # the events are scanned once
    totals = dict(counts.group_by("family").agg(pl.col("n").sum()).iter_rows())
    lanes = [f for f in [*FAMILIES, OTHER] if f != OTHER or f in totals]
    end = latest_date(frames) + dt.timedelta(days=45)
    plan = Timeline(lanes, {f: totals.get(f, 0) for f in lanes}, end)
    first, last = counts["first"].min(), counts["last"].max()
    plan.first = first if isinstance(first, dt.date) else None
    plan.last = last if isinstance(last, dt.date) else None
    plan.milestones = [(day, event_id, family) for day, event_id, family in present.iter_rows()]
    plan.band = BAND if plan.milestones else 0.0
    slots, gap = geometry(len(lanes), plan.band, TIMELINE_START, end)
    capacity = slots * ((end - TIMELINE_START).days // gap + 1)
    if max(plan.counts.values(), default=0) <= capacity:
        rows = shown.sort("family", "day", "event_id").collect()
        if _fits(rows, slots, gap):
            plan.marks = _marks(rows, slots, gap)
            return plan
    plan.months = _months(counts, lanes)
    return plan


def _fits(rows: pl.DataFrame, slots: int, gap: int) -> bool:
    """True when no lane has more than ``slots`` events within ``gap`` days of each other.

    Giving each event (in order of day) the first slot free for ``gap`` days is first-fit
    colouring of intervals sorted by their start, which needs exactly as many slots as the most
    intervals that overlap: so this one vectorised test says whether :func:`_slots` runs out.
    """
    import polars as pl

    behind = pl.col("day").shift(slots).over("family")
    crowded = rows.select(((pl.col("day") - behind).dt.total_days() < gap).any()).item()
    return not crowded


def _offsets() -> Iterator[int]:
    """0, 1, -1, 2, -2, …: the slots tried in turn for a crowded event."""
    yield 0
    for step in itertools.count(1):
        yield from (step, -step)


def _slots(days: list[dt.date], slots: int, gap: int) -> list[int]:
    """Give each event (sorted by day) the first slot free for ``gap`` days, so none hide."""
    last: dict[int, dt.date] = {}
    chosen = []
    tried = list(itertools.islice(_offsets(), slots))
    for i, day in enumerate(days):
        free = (s for s in tried if s not in last or (day - last[s]).days >= gap)
        slot = next(free, tried[i % len(tried)])
        last[slot] = day
        chosen.append(slot)
    return chosen


def _marks(rows: pl.DataFrame, slots: int, gap: int) -> list[Mark]:
    marks: list[Mark] = []
    for (family,), part in rows.group_by("family", maintain_order=True):
        days = part["day"].to_list()
        for (event_id, day, exact), slot in zip(
            part.select("event_id", "day", "exact").iter_rows(),
            _slots(days, slots, gap),
            strict=True,
        ):
            marks.append(Mark(event_id, day, str(family), slot, exact))
    return marks


def _months(counts: pl.DataFrame, lanes: list[str]) -> dict[str, tuple[list[float], list[int]]]:
    """Per family, the edges of every month from the first to the last, and its counts."""
    import polars as pl

    if counts.is_empty():
        return {}
    first, last = counts["month"].min(), counts["month"].max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    edges = pl.date_range(first, last, "1mo", eager=True)
    out: dict[str, tuple[list[float], list[int]]] = {}
    for family in lanes:
        mine = counts.filter(pl.col("family") == family).select("month", "n")
        full = pl.DataFrame({"month": edges}).join(mine, on="month", how="left").fill_null(0)
        xs = [day_number(d) for d in full["month"].to_list()]
        following = last.replace(month=last.month % 12 + 1, year=last.year + last.month // 12)
        out[family] = ([*xs, day_number(following)], full["n"].to_list())
    return out


def draw(fig: Figure, plan: Timeline) -> str:
    """Lanes by family, single events or monthly counts, milestones in a band above."""
    ax = axes(fig, **MARGINS)
    lanes = plan.lanes
    ys = _draw_months(ax, plan) if plan.by_month else _draw_marks(ax, plan)
    _label_milestones(ax, plan, ys)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -plan.band - 0.5)
    if plan.milestones:
        ax.axhline(-0.55, color="#bbbbbb", lw=0.6)
    year_axis(ax, TIMELINE_START, plan.end)
    ax.set_xlabel("Start date (earliest possible day)")
    legend_below(fig, _handles(plan), ncols=4)
    span = f", {plan.first:%b %Y} to {plan.last:%b %Y}" if plan.first and plan.last else ""
    return f"AES timeline: {plan.total:,} events{span}"


def _draw_marks(ax: Axes, plan: Timeline) -> dict[str, float]:
    """Filled markers for events dated to the day, hollow ones for month or year precision."""
    step = min(0.15, LANE_FILL / 2 / max([abs(m.slot) for m in plan.marks] + [1]))
    ys = {m.event_id: plan.lanes.index(m.family) + m.slot * step for m in plan.marks}
    for family in plan.lanes:
        colour = COLOURS[family]
        for exact in (True, False):
            chosen = [m for m in plan.marks if m.family == family and m.exact is exact]
            xs = [day_number(m.day) for m in chosen]
            y = [ys[m.event_id] for m in chosen]
            face = colour if exact else "white"
            ax.scatter(xs, y, s=34, zorder=3, color=face, edgecolors=colour, linewidths=1.0)
    return ys


def _draw_months(ax: Axes, plan: Timeline) -> dict[str, float]:
    """One filled step line per lane, every lane on the scale of the busiest month."""
    tallest = max((max(n, default=0) for _, n in plan.months.values()), default=0) or 1
    for i, family in enumerate(plan.lanes):
        edges, counts = plan.months.get(family, ([], []))
        if not counts:
            continue
        base = i + LANE_FILL / 2
        tops = [base - LANE_FILL * n / tallest for n in counts]
        colour = COLOURS[family]
        ax.stairs(tops, edges, baseline=base, fill=True, color=colour, alpha=0.85, zorder=3)
        ax.axhline(base, color="#cccccc", lw=0.5, zorder=2)
    return {event_id: plan.lanes.index(family) for _, event_id, family in plan.milestones}


def _label_milestones(ax: Axes, plan: Timeline, ys: dict[str, float]) -> None:
    """Label each milestone present in the data on one of three levels, with a leader line."""
    lo, hi = TIMELINE_START, plan.last or TIMELINE_START
    for i, (day, event_id, _family) in enumerate(plan.milestones):
        level, y, x = -0.8 - 0.7 * (i % 3), ys[event_id], day_number(day)
        ax.plot([x, x], [level, y], color=MUTED, lw=0.7, ls=":", zorder=2)
        ax.scatter([x], [y], s=70, facecolors="none", edgecolors="black", zorder=4)
        ha = "right" if (day - lo).days > 0.85 * max((hi - lo).days, 1) else "left"
        text = f"{MILESTONES[event_id]}\n{day.day} {day:%b %Y}"
        ax.text(x, level, text, ha=ha, va="bottom", fontsize=8, gid=f"milestone-{event_id}")


def _handles(plan: Timeline) -> list[Any]:
    """Legend: each family with its count, how to read a marker or a bar, and a milestone."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def dot(colour: str, face: str, label: str, size: float = 6) -> Line2D:
        return Line2D([], [], ls="", marker="o", ms=size, color=colour, mfc=face, label=label)

    def label(family: str) -> str:
        return f"{family} ({plan.counts[family]:,})"

    if plan.by_month:
        handles: list[Any] = [Patch(color=COLOURS[f], label=label(f)) for f in plan.lanes]
        tallest = max((max(n, default=0) for _, n in plan.months.values()), default=0)
        handles.append(
            Patch(color="none", label=f"bar height: events a month (tallest {tallest:,})")
        )
        handles.append(Patch(color="none", label="an event dated to the year counts in January"))
    else:
        handles = [dot(COLOURS[f], COLOURS[f], label(f)) for f in plan.lanes]
        handles.append(dot(MUTED, "white", "date known to the month or year only"))
    if plan.milestones:
        handles.append(dot("black", "none", "milestone", size=9))
    return handles
