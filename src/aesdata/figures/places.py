"""The map: where events happened, over the outlines of the AES states and their neighbours.

Each place is a marker whose area is proportional to its events, while the markers together
cover little of the map (:data:`INK_SHARE`). Past that they would only pile up, so the map
shows every event as a density of ½-degree cells instead, and keeps markers for the places
with the most events, as many as fit in a smaller share of the map. Names go to the biggest
places first, beside their marker where they cover no other name or marker; a name that finds
no free side is left out rather than drawn over another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aesdata.figures.common import Frames, axes
from aesdata.figures.geo import (
    DEG_PER_PT,
    MAP_EXTENT,
    Box,
    draw_countries,
    inside,
    name_boxes,
)

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIZE = (11.0, 6.9)
#: The tables ``prepare`` reads: the events' places, and the places' coordinates.
TABLES = ("events", "entities")
MARGINS = {"left": 0.75, "right": 0.2, "top": 0.35, "bottom": 0.6}
MAX_AREA = 900.0  # pt²: the biggest marker, so one busy place cannot cover a country
CELLS_MAX_AREA = 200.0  # pt²: over the cells, markers stay small enough to let them show
MIN_AREA = 10.0  # pt²: the smallest, still visible
MOST_AREA_PER_EVENT = 18.0  # pt² an event adds while few events are shown
INK_SHARE = 0.12  # markers may cover this much of the map before the map switches to cells
SINGLED_SHARE = 0.05  # ... and then the busiest places may still cover this much
MOST_MARKERS = 1500  # a bound on the SVG, whatever the shares say
LABEL_TRIES, MOST_LABELS, LABEL_PT = 120, 30, 7.0
CELLS = (0.25, 0.5, 1.0, 2.0)  # degrees, finest first
PLACES_PER_CELL = 4
CELLS_ALPHA = 0.7  # the cells' opacity, over the countries
PLACE_MARKER: dict[str, Any] = {
    "color": "#D55E00",
    "alpha": 0.8,
    "edgecolors": "black",
    "linewidths": 0.6,
}
SIDES = (
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (0.7, 0.7, "left", "bottom"),
    (-0.7, 0.7, "right", "bottom"),
    (0.7, -0.7, "left", "top"),
    (-0.7, -0.7, "right", "top"),
)


@dataclass(frozen=True)
class Place:
    """One map marker: a place with coordinates and how many events happened there."""

    place_id: str
    name: str
    lon: float
    lat: float
    events: int


@dataclass
class Map:
    """What the map draws, decided before matplotlib is asked for anything."""

    places: list[Place]  # drawn one by one, sorted by place id
    scale: float  # marker area in pt² per event
    labels: dict[str, tuple[tuple[float, float], str, str]] = field(default_factory=dict)
    cells: Any = None  # events per cell (numpy, rows from the south) when shown as density
    placed: int = 0  # events at a place with coordinates
    place_count: int = 0
    unplaced: int = 0  # events without a recorded place
    uncharted: int = 0  # events at a place without coordinates

    def area(self, events: int) -> float:
        return min(MAX_AREA, max(MIN_AREA, self.scale * events))


def map_points(frames: Frames) -> list[Place]:
    """Each place that has events and coordinates, with its event count, busiest first."""
    import polars as pl

    counts = frames["events"].lazy().drop_nulls("place_id").group_by("place_id").agg(n=pl.len())
    coords = frames["entities"].lazy().drop_nulls(["latitude", "longitude"])
    coords = coords.select("entity_id", "name_en", "longitude", "latitude")
    rows = counts.join(coords, left_on="place_id", right_on="entity_id").sort(
        ["n", "place_id"], descending=[True, False]
    )
    return [
        Place(pid, name or pid, lon, lat, n)
        for pid, n, name, lon, lat in rows.collect().iter_rows()
    ]


def _map_area() -> float:
    """The map's area in pt², from the figure size and the extent drawn at equal aspect."""
    x0, x1, y0, y1 = MAP_EXTENT
    width = 72 * (SIZE[0] - MARGINS["left"] - MARGINS["right"])
    return width * width * (y1 - y0) / (x1 - x0)


def prepare(frames: Frames) -> Map:
    """Count events per place, choose markers or cells, and place the names."""
    places = map_points(frames)
    busiest = places[0].events if places else 1
    plan = Map([], min(MOST_AREA_PER_EVENT, MAX_AREA / busiest))
    plan.placed, plan.place_count = sum(p.events for p in places), len(places)
    events = frames["events"]["place_id"]
    plan.unplaced = events.null_count()
    plan.uncharted = len(events) - plan.unplaced - plan.placed
    room, inked = _map_area(), 0.0
    chosen: list[Place] = []
    for p in places:
        inked += plan.area(p.events)
        if len(chosen) >= MOST_MARKERS or inked > INK_SHARE * room:
            break
        chosen.append(p)
    if len(chosen) < len(places):
        plan.cells = _cells(places)
        plan.scale = min(MOST_AREA_PER_EVENT, CELLS_MAX_AREA / busiest)
        chosen, inked = [], 0.0
        for p in places:
            inked += plan.area(p.events)
            if inked > SINGLED_SHARE * room:
                break
            chosen.append(p)
    plan.labels = _labels(plan, chosen, name_boxes())
    if plan.cells is not None:  # over the cells, only the places that are named
        chosen = [p for p in chosen if p.place_id in plan.labels]
    plan.places = sorted(chosen, key=lambda p: p.place_id)
    return plan


def _cells(places: list[Place]) -> np.ndarray:
    """Events per cell of the map (rows from the south), in the finest of :data:`CELLS`
    whose typical occupied cell gathers a few places, so the density is not just noise."""
    import numpy as np

    x0, x1, y0, y1 = MAP_EXTENT
    lons = np.array([p.lon for p in places])
    lats = np.array([p.lat for p in places])
    weights = np.array([p.events for p in places], dtype=float)
    for cell in CELLS:
        bins = (round((y1 - y0) / cell), round((x1 - x0) / cell))
        extent = ((y0, y1), (x0, x1))
        counts, _, _ = np.histogram2d(lats, lons, bins=bins, range=extent)
        if np.median(counts[counts > 0]) >= PLACES_PER_CELL or cell == CELLS[-1]:
            return np.histogram2d(lats, lons, bins=bins, range=extent, weights=weights)[0]
    raise AssertionError("unreachable")


def _labels(plan: Map, places: list[Place], avoid: list[Box]) -> dict[str, Any]:
    """Put each name right, left, above or below its marker where it covers nothing drawn yet.

    Greedy, busiest places first, tested against every box at once with numpy.
    """
    import numpy as np

    def radius(p: Place) -> float:
        return plan.area(p.events) ** 0.5 / 2 * DEG_PER_PT

    markers = [
        (p.lon - radius(p), p.lat - radius(p), p.lon + radius(p), p.lat + radius(p)) for p in places
    ]
    boxes = np.array([*avoid, *markers] or [(0.0, 0.0, 0.0, 0.0)]).reshape(-1, 4)
    labels: dict[str, Any] = {}
    for i, p in enumerate(places[:LABEL_TRIES]):
        gap = plan.area(p.events) ** 0.5 / 2 + 2  # points from the centre to the text
        w, h = 0.6 * LABEL_PT * DEG_PER_PT * len(p.name), 1.2 * LABEL_PT * DEG_PER_PT
        own = len(avoid) + i
        for dx, dy, ha, va in SIDES:
            ox, oy = p.lon + dx * gap * DEG_PER_PT, p.lat + dy * gap * DEG_PER_PT
            x0 = {"left": ox, "right": ox - w, "center": ox - w / 2}[ha]
            y0 = {"bottom": oy, "top": oy - h, "center": oy - h / 2}[va]
            box = (x0, y0, x0 + w, y0 + h)
            hit = (box[0] < boxes[:, 2]) & (boxes[:, 0] < box[2])
            hit &= (box[1] < boxes[:, 3]) & (boxes[:, 1] < box[3])
            hit[own] = False
            if inside(box) and not hit.any():
                labels[p.place_id] = ((dx * gap, dy * gap), ha, va)
                boxes = np.vstack([boxes, box])
                break
        if len(labels) >= MOST_LABELS:
            break
    return labels


def draw(fig: Figure, plan: Map) -> str:
    """Country outlines, then cells or markers sized by events, then names and legends."""
    ax = axes(fig, **MARGINS)
    ax.set_facecolor("#dcecf7")  # sea, where no country is drawn
    draw_countries(ax)
    if plan.cells is not None:
        _draw_cells(fig, ax, plan.cells)
    ps = plan.places
    sizes = [plan.area(p.events) for p in ps]
    ax.scatter(
        [p.lon for p in ps],
        [p.lat for p in ps],
        s=sizes,
        zorder=3,
        gid="event-places",
        **PLACE_MARKER,
    )
    boxed = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
    for p in ps:
        if p.place_id in plan.labels:
            offset, ha, va = plan.labels[p.place_id]
            where: dict[str, Any] = {"xytext": offset, "textcoords": "offset points"}
            where |= {"ha": ha, "va": va}
            box: dict[str, Any] = {"bbox": boxed} if plan.cells is not None else {}
            ax.annotate(p.name, (p.lon, p.lat), fontsize=LABEL_PT, zorder=4, **where, **box)
    x0, x1, y0, y1 = MAP_EXTENT
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.set(xlabel="Longitude (°E)", ylabel="Latitude (°N)")
    legend = {"title": "Events at the place", "title_fontsize": 8, "labelspacing": 1.2}
    ax.legend(handles=_size_handles(plan), loc="lower right", fontsize=8, borderpad=0.9, **legend)
    ax.text(0.01, 0.01, _foot(plan), transform=ax.transAxes, fontsize=7, color="#555555")
    return f"Where AES events happened: {plan.placed:,} events at {plan.place_count:,} places"


def _draw_cells(fig: Figure, ax: Axes, cells: np.ndarray) -> None:
    """Every event as a density of cells, with its colour scale in the Atlantic.

    The cells' colours are worked out once here: given counts, matplotlib would mask, scale
    and colour the grid again for each file, a third of the image's drawing time.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    cell = (MAP_EXTENT[1] - MAP_EXTENT[0]) / cells.shape[1]
    top = max(float(cells.max()), 2.0)
    scale = ScalarMappable(LogNorm(1, top), colormaps["YlOrRd"])
    colours = scale.to_rgba(np.ma.masked_equal(cells, 0), alpha=CELLS_ALPHA, bytes=True)
    colours[cells == 0] = 0  # no events: transparent (the alpha above covers the masked cells too)
    ax.imshow(colours, extent=MAP_EXTENT, origin="lower", interpolation="none", zorder=1.5)
    cax = ax.inset_axes((0.02, 0.1, 0.22, 0.025))
    bar = fig.colorbar(scale, cax=cax, orientation="horizontal", alpha=CELLS_ALPHA)
    ticks = [10**k for k in range(0, 12) if 10**k <= top]
    bar.set_ticks(ticks, labels=[f"{t:,}" for t in ticks])
    bar.ax.minorticks_off()
    bar.set_label(f"events per {cell:g}° cell (every place)", fontsize=7)
    bar.ax.xaxis.set_label_position("top")
    bar.ax.tick_params(labelsize=7)


def _foot(plan: Map) -> str:
    foot = (
        f"{plan.unplaced:,} events without a recorded place are not shown. "
        if plan.unplaced
        else ""
    )
    if plan.uncharted:
        foot += f"{plan.uncharted:,} at places without coordinates are not shown either. "
    if plan.cells is not None:
        foot += f"Markers: the busiest places that could be named ({len(plan.places):,}). "
    return foot + "Boundaries: Natural Earth 1:110m."


def _size_handles(plan: Map) -> list[Any]:
    """Legend markers for round numbers up to the busiest place, at the scatter's sizes."""
    from matplotlib.lines import Line2D

    busiest = max((p.events for p in plan.places), default=1)
    steps = sorted({_nice(busiest / 20), _nice(busiest / 4), _nice(busiest)})
    style = {"mfc": PLACE_MARKER["color"], "mec": "black", "mew": 0.6, "alpha": 0.8}
    return [
        Line2D([], [], ls="", marker="o", ms=plan.area(n) ** 0.5, label=f"{n:,}", **style)
        for n in steps
    ]


def _nice(value: float) -> int:
    """The largest of 1, 2, 5, 10, 20, 50, ... not above ``value`` (at least 1)."""
    best, base = 1, 1
    while base <= value:
        best = max([base * m for m in (1, 2, 5) if base * m <= value], default=best)
        base *= 10
    return best
