"""Release figures: a timeline of events, a map of their places, and the member states' memberships.

Each figure is written as PNG (for pages) and SVG (for print), byte-identical for the same data
and library versions: matplotlib is driven without pyplot (no global backend or state), with fixed
sizes, a fixed SVG hash salt, no timestamps in the file metadata and sorted inputs. matplotlib is
imported only inside :func:`render`, so ``import aesdata.figures`` stays as light as the rest of
the package. The helpers that pick what is drawn (:func:`timeline_marks`, :func:`map_points`,
:func:`membership_bars`) return plain data, so tests can check content without reading pixels.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Frames = Mapping[str, "pl.DataFrame"]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in degrees

#: Event types grouped into the families the timeline has one lane each for (top to bottom).
FAMILIES: dict[str, tuple[str, ...]] = {
    family: tuple(kinds.split())
    for family, kinds in {
        "Coups & leadership": "coup coup_attempt appointment presidency_assumed election referendum",
        "Diplomacy & meetings": "summit ministerial_meeting statement threat diplomatic_rupture "
        "diplomatic_incident",
        "Withdrawals & sanctions": "withdrawal_announced withdrawal_effective membership_suspended "
        "membership_restored sanction_imposed sanction_lifted ultimatum",
        "Institutions & instruments": "agreement_signed treaty_ratified institution_created "
        "instrument_adopted instrument_launched organisation_dissolved decision",
        "Military & forces": "force_announced force_launched force_deployed military_withdrawal "
        "base_handover mission_ended",
        "Violence": "attack armed_clash blockade",
    }.items()
}
OTHER = "Other"
FAMILY_OF = {kind: family for family, kinds in FAMILIES.items() for kind in kinds}
#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#CC79A7", "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#777777")
COLOURS = dict(zip([*FAMILIES, OTHER], PALETTE, strict=True))

#: Milestones labelled on the timeline; an id missing from the data is skipped, not an error.
MILESTONES: dict[str, str] = {
    "2020-08-18-mali-coup": "Mali coup",
    "2022-09-30-burkina-faso-coup": "Burkina Faso coup",
    "2023-07-26-niger-coup": "Niger coup",
    "2023-09-16-liptako-gourma-charter-signed": "Liptako-Gourma Charter (AES)",
    "2024-01-28-aes-states-announce-ecowas-withdrawal": "ECOWAS exit announced",
    "2024-07-06-aes-confederation-treaty-adopted": "Confederation treaty",
    "2025-01-29-aes-withdrawal-from-ecowas-takes-effect": "ECOWAS exit effective",
    "2025-12-20-fu-aes-officially-launched-bamako": "Unified force launched",
}
TIMELINE_START = dt.date(2020, 1, 1)

MEMBER_STATES = ("mali", "burkina-faso", "niger")
ORGS = ("ecowas", "g5-sahel", "oif", "icc", "aes")
ORG_COLOURS = dict(zip(ORGS, [PALETTE[i] for i in (1, 2, 3, 0, 5)], strict=True))
MEMBERSHIP = ("member_of", "founding_member_of")
CLIP = dt.date(2010, 1, 1)
INK = "#1a1a1a"
HATCHED: dict[str, Any] = {"facecolor": "none", "edgecolor": INK, "hatch": "////", "lw": 0.6}

AES_ISO3 = ("MLI", "BFA", "NER")
NEIGHBOUR_ISO3 = ("SEN", "MRT", "DZA", "LBY", "TCD", "NGA", "BEN", "TGO", "GHA", "CIV", "GIN")
MAP_EXTENT = (-18.5, 25.5, 3.5, 27.5)  # lon min, lon max, lat min, lat max
#: Where a country's name goes when its centroid would sit on markers or off the map.
LABEL_AT = {
    "MLI": (-4.5, 20.0),
    "BFA": (-3.2, 12.9),
    "NER": (11.0, 17.5),
    "DZA": (2.0, 25.5),
    "LBY": (18.0, 25.5),
    "MRT": (-11.0, 21.5),
    "TGO": (1.0, 7.0),
    "BEN": (2.9, 10.4),
    "GHA": (-1.4, 7.6),
    "SEN": (-14.8, 15.0),
    "GIN": (-10.6, 10.3),
    "CIV": (-5.6, 7.4),
    "NGA": (9.5, 11.3),
}
AES_TEXT: dict[str, Any] = {"fontsize": 10, "color": "#4a3b1a", "fontweight": "bold"}
NEIGHBOUR_TEXT: dict[str, Any] = {"fontsize": 7.5, "color": "#777777", "style": "italic"}
PLACE_MARKER: dict[str, Any] = {
    "color": "#D55E00",
    "alpha": 0.8,
    "edgecolors": "black",
    "linewidths": 0.6,
}
#: Rough size of map text in degrees per point of font size, to keep place labels apart.
DEG_PER_PT = 0.062

DPI = 150
SIZES = {"timeline": (12.0, 6.5), "map": (11.0, 6.9), "memberships": (11.0, 6.5)}
STYLE: dict[Any, Any] = {  # rcParams by name (the stubs list every one)
    "svg.hashsalt": "aesdata",  # stable ids for clip paths and markers
    "svg.fonttype": "none",  # real <text>: searchable, accessible, smaller
    "font.family": "DejaVu Sans",  # ships with matplotlib, so no machine-dependent font lookup
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.8,
}
LEGEND_BELOW: dict[str, Any] = {"loc": "outside lower center", "fontsize": 8, "frameon": False}


@dataclass(frozen=True)
class Mark:
    """One event on the timeline: ``slot`` shifts it off its lane's centre when crowded."""

    event_id: str
    day: dt.date
    family: str
    slot: int
    exact: bool


@dataclass(frozen=True)
class Place:
    """One map marker: a place with coordinates and how many events happened there."""

    place_id: str
    name: str
    lon: float
    lat: float
    events: int


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


def render(frames: Frames, out: Path, *, note: str | None = None) -> list[str]:
    """Write the six figure files into ``out`` and return their names, sorted.

    ``frames`` are the typed release tables (events, entities, relations). ``note`` is printed in
    each figure's top-right corner; by default "Source: aesdata v<installed version>".
    """
    import matplotlib

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    note = _default_note() if note is None else note
    drawers: dict[str, Callable[[Figure, Frames], str]] = {
        "timeline": _draw_timeline,
        "map": _draw_map,
        "memberships": _draw_memberships,
    }
    written: list[str] = []
    with matplotlib.rc_context(STYLE):
        for name, draw in drawers.items():
            fig = _figure(SIZES[name])
            title = draw(fig, frames)
            fig.axes[0].set_title(note, loc="right", fontsize=7, color="#666666")
            written += _save(fig, out / name, title)
    return sorted(written)


def _default_note() -> str:
    """The installed aesdata version, so a figure says which release drew it."""
    from importlib import metadata

    try:
        return f"Source: aesdata v{metadata.version('aesdata')}"
    except metadata.PackageNotFoundError:
        return "Source: aesdata"


def _figure(size: tuple[float, float]) -> Figure:
    """A pyplot-free figure on an Agg canvas: no global state, nothing left open."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, stem: Path, title: str) -> list[str]:
    """PNG and SVG without the timestamps and version strings that would break reproducibility."""
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, dpi=DPI, metadata={"Software": None, "Title": title})
    fig.savefig(svg, metadata={"Date": None, "Creator": None, "Title": title})
    return [png.name, svg.name]


def latest_date(frames: Frames) -> dt.date:
    """The latest date anywhere in events and relations: where open-ended spans stop."""
    days = [
        frames[table][column].max()
        for table in ("events", "relations")
        for column in ("start_latest", "end_latest")
    ]
    return max((day for day in days if isinstance(day, dt.date)), default=TIMELINE_START)


def _when(text: str | None) -> str:
    """A recorded partial date as a label: "2014", "Jul 2025" or "16 Sep 2023"."""
    if not text:
        return "date unknown"
    parts = [int(p) for p in text.split("-")]
    day = dt.date(*parts, *[1] * (3 - len(parts)))
    return [f"{day.year}", f"{day:%b %Y}", f"{day.day} {day:%b %Y}"][len(parts) - 1]


def _on_dates(value: dt.date | list[dt.date]) -> Any:
    """A date (or dates) where Matplotlib takes them: it converts them itself, as units; its type
    stubs only list the numbers they become."""
    return value


def _date_axis(ax: Axes, start: dt.date, end: dt.date, years: int = 1) -> None:
    """Every ``years``-th year as a major tick between ``start`` and ``end``."""
    from matplotlib import dates as mdates

    ax.xaxis_date()
    ax.set_xlim(_on_dates(start), _on_dates(end))
    ax.xaxis.set_major_locator(mdates.YearLocator(years))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    minor = mdates.YearLocator() if years > 1 else mdates.MonthLocator((1, 4, 7, 10))
    ax.xaxis.set_minor_locator(minor)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)


# --- timeline ---------------------------------------------------------------------------------


def family_of(event_type: str) -> str:
    """The timeline family of an event type; unknown types get their own "Other" lane."""
    return FAMILY_OF.get(event_type, OTHER)


def _offsets() -> Iterator[int]:
    """0, 1, -1, 2, -2, …: the slots tried in turn for a crowded event."""
    yield 0
    for step in itertools.count(1):
        yield from (step, -step)


def _slots(days: list[dt.date], gap: int = 21, most: int = 12) -> list[int]:
    """Give each event (sorted by day) the first slot free for ``gap`` days, so none hide.

    At most ``most`` slots each side: past that (thousands of events a month) markers share
    slots in turn, and the figure shows density rather than single events.
    """
    last: dict[int, dt.date] = {}
    slots = []
    tried = list(itertools.islice(_offsets(), 2 * most + 1))
    for i, day in enumerate(days):
        free = (s for s in tried if s not in last or (day - last[s]).days >= gap)
        slot = next(free, tried[i % len(tried)])
        last[slot] = day
        slots.append(slot)
    return slots


def timeline_marks(events: pl.DataFrame) -> list[Mark]:
    """Events from 2020 on, one mark each at its earliest start, sorted by family then day."""
    import polars as pl

    kind = pl.col("event_type").cast(str)
    rows = (
        events.filter(pl.col("start_earliest") >= TIMELINE_START)
        .select("event_id", "start_earliest", "start_precision", kind=kind)
        .sort("start_earliest", "event_id")
        .to_dicts()
    )
    marks: list[Mark] = []
    for family in [*FAMILIES, OTHER]:
        mine = [r for r in rows if family_of(r["kind"]) == family]
        for row, slot in zip(mine, _slots([r["start_earliest"] for r in mine]), strict=True):
            exact = row["start_precision"] == "day"
            marks.append(Mark(row["event_id"], row["start_earliest"], family, slot, exact))
    return marks


def _draw_timeline(fig: Figure, frames: Frames) -> str:
    """Lanes by family, one marker per event, milestones labelled in a band above the lanes."""
    marks = timeline_marks(frames["events"])
    lanes = [f for f in [*FAMILIES, OTHER] if f != OTHER or any(m.family == OTHER for m in marks)]
    step = min(0.15, 0.42 / max([abs(m.slot) for m in marks] + [1]))
    ys = {m.event_id: lanes.index(m.family) + m.slot * step for m in marks}
    ax = fig.add_subplot()
    for family in lanes:
        _scatter_family(ax, [m for m in marks if m.family == family], ys, COLOURS[family])
    _label_milestones(ax, marks, ys)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -2.9)
    ax.axhline(-0.55, color="#bbbbbb", lw=0.6)
    _date_axis(ax, TIMELINE_START, latest_date(frames) + dt.timedelta(days=45))
    ax.set_xlabel("Start date (earliest possible day)")
    fig.legend(handles=_family_handles(lanes, marks), ncols=4, **LEGEND_BELOW)
    days = sorted(m.day for m in marks)
    span = f", {days[0]:%b %Y} to {days[-1]:%b %Y}" if days else ""
    title = f"AES timeline: {len(marks)} events{span}"
    ax.set_title(title, loc="left", fontweight="bold")
    return title


def _scatter_family(ax: Axes, marks: list[Mark], ys: dict[str, float], colour: str) -> None:
    """Filled markers for events dated to the day, hollow ones for month or year precision."""
    for exact in (True, False):
        chosen = [m for m in marks if m.exact is exact]
        face = colour if exact else "white"
        xs, y = [m.day for m in chosen], [ys[m.event_id] for m in chosen]
        ax.scatter(_on_dates(xs), y, s=34, zorder=3, color=face, edgecolors=colour, linewidths=1.0)


def _label_milestones(ax: Axes, marks: list[Mark], ys: dict[str, float]) -> None:
    """Label each milestone present in the data on one of three levels, with a leader line."""
    present = sorted((m.day, m.event_id) for m in marks if m.event_id in MILESTONES)
    lo, hi = TIMELINE_START, max([m.day for m in marks], default=TIMELINE_START)
    for i, (day, event_id) in enumerate(present):
        level, y = -0.8 - 0.7 * (i % 3), ys[event_id]
        ax.plot(_on_dates([day, day]), [level, y], color="#555555", lw=0.7, ls=":", zorder=2)
        ax.scatter(_on_dates([day]), [y], s=70, facecolors="none", edgecolors="black", zorder=4)
        ha = "right" if (day - lo).days > 0.85 * max((hi - lo).days, 1) else "left"
        text = f"{MILESTONES[event_id]}\n{day.day} {day:%b %Y}"
        ax.text(
            _on_dates(day), level, text, ha=ha, va="bottom", fontsize=8, gid=f"milestone-{event_id}"
        )


def _family_handles(lanes: list[str], marks: list[Mark]) -> list[Any]:
    """Legend: each family with its count, what a hollow marker means, and a milestone."""
    from matplotlib.lines import Line2D

    def dot(colour: str, face: str, label: str, size: float = 6) -> Line2D:
        return Line2D([], [], ls="", marker="o", ms=size, color=colour, mfc=face, label=label)

    counts = {f: sum(m.family == f for m in marks) for f in lanes}
    handles = [dot(COLOURS[f], COLOURS[f], f"{f} ({counts[f]})") for f in lanes]
    handles.append(dot("#555555", "white", "date known to the month or year only"))
    handles.append(dot("black", "none", "milestone", size=9))
    return handles


# --- map --------------------------------------------------------------------------------------


def map_points(frames: Frames) -> list[Place]:
    """Each place that has events and coordinates, with its event count, sorted by place id."""
    import polars as pl

    counts = frames["events"].drop_nulls("place_id").group_by("place_id").agg(n=pl.len())
    places = frames["entities"].drop_nulls(["latitude", "longitude"])
    rows = counts.join(places, left_on="place_id", right_on="entity_id").sort("place_id")
    return [
        Place(r["place_id"], r["name_en"] or r["place_id"], r["longitude"], r["latitude"], r["n"])
        for r in rows.iter_rows(named=True)
    ]


def load_boundaries() -> list[dict[str, Any]]:
    """The committed Natural Earth subset (see ``boundaries/README.md``): never fetched."""
    path = resources.files("aesdata").joinpath("boundaries", "west_africa.geojson")
    return json.loads(path.read_text("utf-8"))["features"]


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a Polygon or MultiPolygon (no holes in this region at 1:110m)."""
    multi = geometry["type"] == "MultiPolygon"
    polygons = geometry["coordinates"] if multi else [geometry["coordinates"]]
    return [polygon[0] for polygon in polygons]


def _centroid(ring: list[list[float]]) -> tuple[float, float]:
    """Area centroid of a ring (shoelace), for countries without a placed label."""
    pairs = list(itertools.pairwise(ring))
    cross = [x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs]
    area = sum(cross) / 2 or 1e-9
    cx = sum((x0 + x1) * c for ((x0, _), (x1, _)), c in zip(pairs, cross, strict=True))
    cy = sum((y0 + y1) * c for ((_, y0), (_, y1)), c in zip(pairs, cross, strict=True))
    return cx / (6 * area), cy / (6 * area)


def _draw_countries(ax: Axes) -> list[Box]:
    """AES states in sand, named neighbours in grey, the rest faint; returns the AES name boxes.

    Place labels must not cover those names, so their extents go back to the caller.
    """
    from matplotlib.patches import Polygon

    boxes = []
    for feature in load_boundaries():
        iso3, name = feature["properties"]["iso3"], feature["properties"]["name"]
        aes, near = iso3 in AES_ISO3, iso3 in NEIGHBOUR_ISO3
        face = "#f2dfb5" if aes else "#e9e9e9" if near else "#f5f5f5"
        for ring in _rings(feature["geometry"]):
            ax.add_patch(Polygon(ring, facecolor=face, edgecolor="#8a8a8a", lw=1.0 if aes else 0.5))
        if not (aes or near):
            continue
        x, y = LABEL_AT.get(iso3) or _centroid(max(_rings(feature["geometry"]), key=len))
        label = name.upper().replace(" ", "\n") if aes else name
        style = AES_TEXT if aes else NEIGHBOUR_TEXT
        ax.text(x, y, label, ha="center", va="center", linespacing=1.0, zorder=2, **style)
        if aes:
            boxes.append(_text_box(x, y, label, AES_TEXT["fontsize"]))
    return boxes


def _draw_map(fig: Figure, frames: Frames) -> str:
    """Event places sized by event count over the outlines of the AES states and neighbours."""
    places = map_points(frames)
    ax = fig.add_subplot()
    ax.set_facecolor("#dcecf7")  # sea, where no country is drawn
    avoid = _draw_countries(ax)
    lons, lats = [p.lon for p in places], [p.lat for p in places]
    sizes = [_area(p.events) for p in places]
    ax.scatter(lons, lats, s=sizes, zorder=3, gid="event-places", **PLACE_MARKER)
    for p, (offset, ha, va) in _place_labels(places, avoid).items():
        where = {"xytext": offset, "textcoords": "offset points", "ha": ha, "va": va}
        ax.annotate(p.name, (p.lon, p.lat), fontsize=7, zorder=4, **where)
    x0, x1, y0, y1 = MAP_EXTENT
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.set(xlabel="Longitude (°E)", ylabel="Latitude (°N)")
    legend = {"title": "Events at the place", "title_fontsize": 8, "labelspacing": 1.2}
    ax.legend(handles=_size_handles(), loc="lower right", fontsize=8, borderpad=0.9, **legend)
    unplaced = frames["events"]["place_id"].null_count()
    foot = f"{unplaced} events without a recorded place are not shown. "
    foot += "Boundaries: Natural Earth 1:110m."
    ax.text(0.01, 0.01, foot, transform=ax.transAxes, fontsize=7, color="#555555")
    count = sum(p.events for p in places)
    title = f"Where AES events happened: {count} events at {len(places)} places"
    ax.set_title(title, loc="left", fontweight="bold")
    return title


def _place_labels(places: list[Place], avoid: list[Box]) -> dict[Place, tuple[Any, str, str]]:
    """Put each name right, left, above or below its marker, where it hits no earlier box.

    Greedy, biggest places first, with text sizes estimated in degrees: good enough to keep a
    dozen names apart without a layout engine, and deterministic.
    """
    sides = [(1, 0, "left", "center"), (-1, 0, "right", "center")]
    sides += [(0, 1, "center", "bottom"), (0, -1, "center", "top")]
    boxes = [*avoid, *(_marker_box(p) for p in places)]
    labels = {}
    for p in sorted(places, key=lambda p: (-p.events, p.place_id)):
        gap = _area(p.events) ** 0.5 / 2 + 2  # points from the centre to the text
        w, h = 0.6 * 7 * DEG_PER_PT * len(p.name), 1.2 * 7 * DEG_PER_PT
        tries = [(*side, _beside(p, *side[:2], w, h, gap * DEG_PER_PT)) for side in sides]
        free = [t for t in tries if not any(_hits(t[4], b) for b in boxes)]
        dx, dy, ha, va, box = (free or tries)[0]
        labels[p] = ((dx * gap, dy * gap), ha, va)
        boxes.append(box)
    return dict(sorted(labels.items(), key=lambda item: item[0].place_id))


def _beside(p: Place, dx: int, dy: int, w: float, h: float, gap: float) -> Box:
    """The box of a w by h label put ``gap`` degrees from ``p`` in direction (dx, dy)."""
    cx, cy = p.lon + dx * (gap + w / 2), p.lat + dy * (gap + h / 2)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _text_box(x: float, y: float, text: str, points: float) -> Box:
    """Estimated extent in degrees of centred text: ~0.62 em a character, 1.2 em a line."""
    lines = text.split("\n")
    half_w = 0.31 * points * DEG_PER_PT * max(map(len, lines))
    half_h = 0.6 * points * DEG_PER_PT * len(lines)
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def _marker_box(p: Place) -> Box:
    """A marker's extent in degrees."""
    r = _area(p.events) ** 0.5 / 2 * DEG_PER_PT
    return (p.lon - r, p.lat - r, p.lon + r, p.lat + r)


def _hits(a: Box, b: Box) -> bool:
    """True when two (x0, y0, x1, y1) boxes overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _area(events: int) -> float:
    """Marker area in pt², proportional to the number of events."""
    return 18.0 * events


def _size_handles() -> list[Any]:
    """Legend markers for 1, 5 and 20 events, drawn at the scatter's sizes."""
    from matplotlib.lines import Line2D

    style: dict[str, Any] = {"mfc": PLACE_MARKER["color"], "mec": "black", "mew": 0.6, "alpha": 0.8}
    return [
        Line2D([], [], ls="", marker="o", ms=_area(n) ** 0.5, label=str(n), **style)
        for n in (1, 5, 20)
    ]


# --- memberships ------------------------------------------------------------------------------


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
        start, end, start_text, end_text = (r[k] for k in keys[2:])
        bars.append(
            Bar(
                r["subject_id"],
                r["object_id"],
                start,
                end,
                start_text,
                end_text,
                founding,
                suspended,
            )
        )
    order = {key: i for i, key in enumerate(itertools.product(MEMBER_STATES, ORGS))}
    return sorted(bars, key=lambda b: (order[(b.state, b.org)], b.start or dt.date.min))


def _within(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    """True when a suspension starting on ``day`` falls within a membership spell."""
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def _names(entities: pl.DataFrame) -> dict[str, str]:
    """Short display names: the acronym when there is one, else the English name."""
    rows = entities.select("entity_id", "name_en", "acronym_en").to_dicts()
    return {r["entity_id"]: r["acronym_en"] or r["name_en"] for r in rows}


def _draw_memberships(fig: Figure, frames: Frames) -> str:
    """One row per state and organisation, bars clipped at 2010, exits and suspensions marked."""
    from matplotlib import dates as mdates

    bars, latest = membership_bars(frames["relations"]), latest_date(frames)
    names = _names(frames["entities"])
    rows = list(dict.fromkeys((b.state, b.org) for b in bars))
    ax = fig.add_subplot()
    _date_axis(ax, CLIP - dt.timedelta(days=120), latest + dt.timedelta(days=560), years=2)
    end = mdates.date2num(latest)
    for bar in bars:
        _draw_bar(ax, bar, rows.index((bar.state, bar.org)), end)
    ax.set_yticks(range(len(rows)), [names.get(org, org) for _, org in rows])
    _state_names(ax, rows, names)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.axvline(end, color="#555555", ls="--", lw=0.8, zorder=1)
    ax.set_xlabel("Year")
    fig.legend(handles=_membership_handles(latest), ncols=5, **LEGEND_BELOW)
    title = f"Memberships of Mali, Burkina Faso and Niger since {CLIP.year}"
    ax.set_title(title, loc="left", fontweight="bold")
    return title


def _draw_bar(ax: Axes, bar: Bar, y: int, latest: float) -> None:
    """A spell from its start (or 2010, with a ◀ and the start date) to its end or ``latest``."""
    from matplotlib import dates as mdates

    gid = f"{bar.state}-{bar.org}-{bar.start_text}"
    clipped = bar.start is None or bar.start < CLIP
    x0 = mdates.date2num(CLIP if clipped else bar.start)
    x1 = mdates.date2num(bar.end) if bar.end else latest
    ax.barh(y, x1 - x0, left=x0, height=0.62, color=ORG_COLOURS[bar.org], zorder=2)
    for i, (start, end) in enumerate(bar.suspensions):
        s0 = mdates.date2num(max(start, CLIP))
        s1 = min(mdates.date2num(end), x1) if end else x1
        ax.barh(y, s1 - s0, left=s0, height=0.62, zorder=3, gid=f"suspension-{gid}-{i}", **HATCHED)
    if clipped:
        ax.plot([x0], [y], marker="<", ms=7, color=INK, zorder=4, clip_on=False)
        since = f"since {_when(bar.start_text)}"
        ax.text(x0 + 60, y, since, va="center", fontsize=7, color="white", fontweight="bold")
    else:
        since = ("founding member, " if bar.founding else "") + _when(bar.start_text)
        ax.text(x0 - 45, y, since, va="center", ha="right", fontsize=7)
    if bar.end:
        ax.plot([x1], [y], marker="X", ms=9, color=INK, mec="white", zorder=5, gid=f"exit-{gid}")
        box = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}
        ax.text(x1 + 45, y, f"left {_when(bar.end_text)}", va="center", fontsize=7, bbox=box)


def _state_names(ax: Axes, rows: list[tuple[str, str]], names: dict[str, str]) -> None:
    """Each state's name left of its rows, with a rule between states."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transAxes, ax.transData)
    for state in dict.fromkeys(s for s, _ in rows):
        ys = [i for i, (s, _) in enumerate(rows) if s == state]
        style: dict[str, Any] = {
            "rotation": 90,
            "ha": "center",
            "va": "center",
            "fontweight": "bold",
        }
        ax.text(-0.075, sum(ys) / len(ys), names.get(state, state), transform=trans, **style)
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
        Line2D([], [], color="#555555", ls="--", lw=0.8, label=line),
    ]
