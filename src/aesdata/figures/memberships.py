"""The memberships: one bar per spell of a member state in a tracked organisation since 2010.

Its input is a handful of relations (three states, five organisations) at any size of the
data, so it is drawn as it always was: exits crossed, suspensions hatched, spells that began
before 2010 clipped with an arrow and their real start written on them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aesdata.figures.common import (
    INK,
    MUTED,
    PALETTE,
    Frames,
    axes,
    day_number,
    latest_date,
    legend_below,
    names,
    when,
    year_axis,
)

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MEMBER_STATES = ("mali", "burkina-faso", "niger")
ORGS = ("ecowas", "g5-sahel", "oif", "icc", "aes")
ORG_COLOURS = dict(zip(ORGS, [PALETTE[i] for i in (1, 2, 3, 0, 5)], strict=True))
MEMBERSHIP = ("member_of", "founding_member_of")
CLIP = dt.date(2010, 1, 1)
HATCHED: dict[str, Any] = {"facecolor": "none", "edgecolor": INK, "hatch": "////", "lw": 0.6}
SIZE = (11.0, 6.5)
#: The tables ``prepare`` reads: the memberships, their names, and where open spans stop.
TABLES = ("relations", "entities", "events")
MARGINS = {"left": 1.5, "right": 0.2, "top": 0.35, "bottom": 0.85}
STATE_AT = 0.22  # inches from the left edge: where the states' names are centred


@dataclass(frozen=True)
class Bar:
    """One membership spell of a state in an organisation; ``end`` None means ongoing.

    The ``*_text`` fields keep the partial dates as recorded ("2014"), so labels claim no more
    precision than the data has.
    """

    state: str
    org: str
    start: dt.date | None
    end: dt.date | None
    start_text: str | None
    end_text: str | None
    founding: bool = False
    suspensions: tuple[tuple[dt.date, dt.date | None], ...] = ()


@dataclass
class Memberships:
    bars: list[Bar]
    names: dict[str, str]
    latest: dt.date


def prepare(frames: Frames) -> Memberships:
    bars = membership_bars(frames["relations"])
    return Memberships(
        bars, names(frames["entities"], [*MEMBER_STATES, *ORGS]), latest_date(frames)
    )


def membership_bars(relations: pl.DataFrame) -> list[Bar]:
    """Membership spells of the AES states in the tracked organisations, with suspensions."""
    import polars as pl

    rows = (
        relations.with_columns(pl.col("predicate").cast(str))
        .filter(pl.col("subject_id").is_in(MEMBER_STATES), pl.col("object_id").is_in(ORGS))
        .sort("subject_id", "object_id", "start_earliest", "relation_id", nulls_last=False)
        .to_dicts()
    )
    keys = ("subject_id", "object_id", "start_earliest", "end_latest", "start_date", "end_date")
    bars = []
    for r in (r for r in rows if r["predicate"] in MEMBERSHIP):
        suspended = tuple(
            (s["start_earliest"], s["end_latest"])
            for s in rows
            if s["predicate"] == "suspended_from"
            and (s["subject_id"], s["object_id"]) == (r["subject_id"], r["object_id"])
            and _within(s["start_earliest"], r["start_earliest"], r["end_latest"])
        )
        founding = r["predicate"] == "founding_member_of"
        state, org, start, end, start_text, end_text = (r[k] for k in keys)
        bars.append(Bar(state, org, start, end, start_text, end_text, founding, suspended))
    order = {key: i for i, key in enumerate(itertools.product(MEMBER_STATES, ORGS))}
    return sorted(bars, key=lambda b: (order[(b.state, b.org)], b.start or dt.date.min))


def _within(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    """True when a suspension starting on ``day`` falls within a membership spell."""
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def draw(fig: Figure, plan: Memberships) -> str:
    """One row per state and organisation, bars clipped at 2010, exits and suspensions marked."""
    bars, latest, names = plan.bars, plan.latest, plan.names
    rows = list(dict.fromkeys((b.state, b.org) for b in bars))
    ax = axes(fig, **MARGINS)
    year_axis(ax, CLIP - dt.timedelta(days=120), latest + dt.timedelta(days=560), every=2)
    end = day_number(latest)
    for bar in bars:
        _draw_bar(ax, bar, rows.index((bar.state, bar.org)), end)
    ax.set_yticks(range(len(rows)), [names.get(org, org) for _, org in rows])
    _state_names(ax, rows, names)
    ax.set_ylim(max(len(rows), 1) - 0.4, -0.6)
    ax.axvline(end, color=MUTED, ls="--", lw=0.8, zorder=1)
    if not rows:
        ax.text(0.5, 0.5, "no memberships recorded", transform=ax.transAxes, ha="center")
    ax.set_xlabel("Year")
    legend_below(fig, _membership_handles(latest), ncols=5)
    return f"Memberships of Mali, Burkina Faso and Niger since {CLIP.year}"


def _draw_bar(ax: Axes, bar: Bar, y: int, latest: float) -> None:
    """A spell from its start (or 2010, with a ◀ and the start date) to its end or ``latest``."""
    gid = f"{bar.state}-{bar.org}-{bar.start_text}"
    clipped = bar.start is None or bar.start < CLIP
    x0 = day_number(CLIP if clipped or bar.start is None else bar.start)
    x1 = day_number(bar.end) if bar.end else latest
    ax.barh(y, x1 - x0, left=x0, height=0.62, color=ORG_COLOURS[bar.org], zorder=2)
    for i, (start, end) in enumerate(bar.suspensions):
        s0 = day_number(max(start, CLIP))
        s1 = min(day_number(end), x1) if end else x1
        ax.barh(y, s1 - s0, left=s0, height=0.62, zorder=3, gid=f"suspension-{gid}-{i}", **HATCHED)
    if clipped:
        ax.plot([x0], [y], marker="<", ms=7, color=INK, zorder=4, clip_on=False)
        since = f"since {when(bar.start_text)}"
        ax.text(x0 + 60, y, since, va="center", fontsize=7, color="white", fontweight="bold")
    else:
        since = ("founding member, " if bar.founding else "") + when(bar.start_text)
        ax.text(x0 - 45, y, since, va="center", ha="right", fontsize=7)
    if bar.end:
        ax.plot([x1], [y], marker="X", ms=9, color=INK, mec="white", zorder=5, gid=f"exit-{gid}")
        box = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}
        ax.text(x1 + 45, y, f"left {when(bar.end_text)}", va="center", fontsize=7, bbox=box)


def _state_names(ax: Axes, rows: list[tuple[str, str]], names: dict[str, str]) -> None:
    """Each state's name left of its rows, with a rule between states."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transAxes, ax.transData)
    at = -(MARGINS["left"] - STATE_AT) / (SIZE[0] - MARGINS["left"] - MARGINS["right"])
    for state in dict.fromkeys(s for s, _ in rows):
        ys = [i for i, (s, _) in enumerate(rows) if s == state]
        style: dict[str, Any] = {
            "rotation": 90,
            "ha": "center",
            "va": "center",
            "fontweight": "bold",
        }
        ax.text(at, sum(ys) / len(ys), names.get(state, state), transform=trans, **style)
        if ys[0] > 0:
            ax.axhline(ys[0] - 0.5, color="#bbbbbb", lw=0.8)


def _membership_handles(latest: dt.date) -> list[Any]:
    """Legend: how to read a bar, a hatch, a cross, a left arrow and the dashed line."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def mark(marker: str, label: str) -> Line2D:
        return Line2D([], [], ls="", marker=marker, ms=8, color=INK, mec="white", label=label)

    line = f"latest date in the data ({latest.day} {latest:%b %Y})"
    return [
        Patch(facecolor="#999999", label="member (colour: organisation)"),
        Patch(label="suspended", **HATCHED),
        mark("X", "left (membership ended)"),
        mark("<", f"member since before {CLIP.year}"),
        Line2D([], [], color=MUTED, ls="--", lw=0.8, label=line),
    ]
