"""The map's ground: country outlines and names, and the geometry that keeps labels apart.

The outlines are the committed Natural Earth subset (``boundaries/README.md``): nothing is
fetched. Label sizes are estimated in degrees from the font size, which is enough to keep a few
dozen names apart without a layout engine, and is deterministic.
"""

from __future__ import annotations

import itertools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in degrees

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
#: Rough size of map text in degrees per point of font size, to keep place labels apart.
DEG_PER_PT = 0.062


def load_boundaries() -> list[dict[str, Any]]:
    """The committed Natural Earth subset (see ``boundaries/README.md``): never fetched."""
    path = resources.files("aesdata").joinpath("boundaries", "west_africa.geojson")
    return json.loads(path.read_text("utf-8"))["features"]


def rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a Polygon or MultiPolygon (no holes in this region at 1:110m)."""
    multi = geometry["type"] == "MultiPolygon"
    polygons = geometry["coordinates"] if multi else [geometry["coordinates"]]
    return [polygon[0] for polygon in polygons]


def centroid(ring: list[list[float]]) -> tuple[float, float]:
    """Area centroid of a ring (shoelace), for countries without a placed label."""
    pairs = list(itertools.pairwise(ring))
    cross = [x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs]
    area = sum(cross) / 2 or 1e-9
    cx = sum((x0 + x1) * c for ((x0, _), (x1, _)), c in zip(pairs, cross, strict=True))
    cy = sum((y0 + y1) * c for ((_, y0), (_, y1)), c in zip(pairs, cross, strict=True))
    return cx / (6 * area), cy / (6 * area)


def country_names() -> list[tuple[float, float, str, bool]]:
    """Where each AES state's and neighbour's name goes: (x, y, text, is an AES state)."""
    named = []
    for feature in load_boundaries():
        iso3, name = feature["properties"]["iso3"], feature["properties"]["name"]
        aes = iso3 in AES_ISO3
        if aes or iso3 in NEIGHBOUR_ISO3:
            x, y = LABEL_AT.get(iso3) or centroid(max(rings(feature["geometry"]), key=len))
            named.append((x, y, name.upper().replace(" ", "\n") if aes else name, aes))
    return named


def name_boxes() -> list[Box]:
    """The extents of the AES states' names, which place labels must not cover."""
    return [text_box(x, y, t, AES_TEXT["fontsize"]) for x, y, t, aes in country_names() if aes]


def draw_countries(ax: Axes) -> None:
    """AES states in sand, named neighbours in grey, the rest faint, and their names.

    Each country is one patch however many rings it has, so the SVG holds a path per country.
    The patches are added as plain artists: ``add_patch`` would also widen the data limits to
    each outline (30 ms each time the map is drawn), which the fixed extent makes pointless.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    for feature in load_boundaries():
        iso3 = feature["properties"]["iso3"]
        aes, near = iso3 in AES_ISO3, iso3 in NEIGHBOUR_ISO3
        face = "#f2dfb5" if aes else "#e9e9e9" if near else "#f5f5f5"
        path = Path.make_compound_path(
            *(Path(ring, closed=True) for ring in rings(feature["geometry"]))
        )
        outline = PathPatch(path, facecolor=face, edgecolor="#8a8a8a", lw=1.0 if aes else 0.5)
        ax.add_artist(outline)
    for x, y, text, aes in country_names():
        style = AES_TEXT if aes else NEIGHBOUR_TEXT
        ax.text(x, y, text, ha="center", va="center", linespacing=1.0, zorder=2, **style)


def text_box(x: float, y: float, text: str, points: float) -> Box:
    """Estimated extent in degrees of centred text: ~0.62 em a character, 1.2 em a line."""
    lines = text.split("\n")
    half_w = 0.31 * points * DEG_PER_PT * max(map(len, lines))
    half_h = 0.6 * points * DEG_PER_PT * len(lines)
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def hits(a: Box, b: Box) -> bool:
    """True when two (x0, y0, x1, y1) boxes overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: Box) -> bool:
    """True when a box lies within the map."""
    x0, x1, y0, y1 = MAP_EXTENT
    return x0 <= box[0] and box[2] <= x1 and y0 <= box[1] and box[3] <= y1
