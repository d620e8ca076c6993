"""What every figure shares: style, a pyplot-free canvas, fixed layout, date axes, bounded saving.

Reproducible by construction: no pyplot (no global backend or state), fixed sizes and margins
(no layout engine, whose iterations were half the drawing time), a fixed SVG hash salt, no
timestamps or tool versions in the file metadata. Bounded by construction too: every picture
hands matplotlib a number of marks that does not grow with the data, and :func:`save` refuses a
file past :data:`MAX_BYTES`, so a regression fails loudly instead of shipping a 50 MB SVG.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Frames = Mapping[str, "pl.DataFrame"]

DPI = 150
#: The most a figure file may weigh, whatever the size of the data.
MAX_BYTES = {"png": 1_000_000, "svg": 2_000_000}
#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#CC79A7", "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#777777")
INK = "#1a1a1a"
MUTED = "#555555"
EPOCH = dt.date(1970, 1, 1)  # matplotlib's date epoch: x positions are days since it
TIMELINE_START = dt.date(2020, 1, 1)
STYLE: dict[Any, Any] = {  # rcParams by name (the stubs list every one)
    "svg.hashsalt": "aesdata",  # stable ids for clip paths and markers
    "svg.fonttype": "none",  # real <text>: searchable, accessible, smaller
    "font.family": "DejaVu Sans",  # ships with matplotlib, so no machine-dependent font lookup
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.8,
    "path.simplify": True,
    "text.parse_math": False,  # a "$" in a name is text, and no string is scanned for maths
    "axes.titley": 1.0,  # a fixed title position: no measuring of every tick label to place it
    "axes.titlepad": 6.0,
}
#: zlib's fastest level: the flat colours of a chart compress almost as well, in a third of the time.
PNG_OPTIONS = {"compress_level": 1}


class FigureTooLarge(Exception):
    """A figure file came out past its bound: a bug in what the picture chose to draw."""


def figure(size: tuple[float, float]) -> Figure:
    """A pyplot-free figure on an Agg canvas: no global state, nothing left open."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def axes(fig: Figure, left: float, right: float, top: float, bottom: float) -> Axes:
    """An axes with fixed margins in inches: the same layout at every size of the data."""
    width, height = fig.get_size_inches()
    rect = (left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height)
    return fig.add_axes(rect)


def heading(ax: Axes, title: str, note: str) -> None:
    """The title top left, and the note (which release drew it) top right."""
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_title(note, loc="right", fontsize=7, color="#666666")


def save(fig: Figure, stem: Path, title: str, pool: Executor) -> list[str]:
    """PNG and SVG without the timestamps and version strings that would break reproducibility.

    The PNG is compressed on ``pool`` while the SVG is drawn: zlib lets go of the GIL, so the
    two overlap on two cores.
    """
    import numpy as np
    from PIL import Image, PngImagePlugin

    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.canvas.draw()
    rgba = np.array(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]  # a copy: Agg's buffer is reused
    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", title)
    written = pool.submit(
        image.save, png, format="png", pnginfo=info, dpi=(DPI, DPI), **PNG_OPTIONS
    )
    fig.savefig(svg, metadata={"Date": None, "Creator": None, "Title": title})
    written.result()
    for path in (png, svg):
        size, bound = path.stat().st_size, MAX_BYTES[path.suffix[1:]]
        if size > bound:
            raise FigureTooLarge(f"{path.name} is {size:,} bytes, over its bound of {bound:,}")
    return [png.name, svg.name]


def day_number(day: dt.date) -> float:
    """A date as matplotlib's date number (days since 1970), without its converters."""
    return float((day - EPOCH).days)


def year_axis(ax: Axes, start: dt.date, end: dt.date, every: int = 1) -> None:
    """Every ``every``-th January as a labelled tick between ``start`` and ``end``.

    Fixed ticks on a plain numeric axis, and no minor ticks: each tick is a handful of artists,
    and matplotlib's date locators and formatters were a tenth of the drawing time.
    """
    ax.set_xlim(day_number(start), day_number(end))
    first = start.year + (0 if start == dt.date(start.year, 1, 1) else 1)
    years = [y for y in range(first, end.year + 1) if y % every == 0 or every == 1]
    ax.set_xticks([day_number(dt.date(y, 1, 1)) for y in years], [str(y) for y in years])
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)


def latest_date(frames: Frames) -> dt.date:
    """The latest date anywhere in events and relations: where open-ended spans stop."""
    days = [
        frames[table][column].max()
        for table in ("events", "relations")
        for column in ("start_latest", "end_latest")
        if table in frames and column in frames[table].columns
    ]
    return max((day for day in days if isinstance(day, dt.date)), default=TIMELINE_START)


def when(text: str | None) -> str:
    """A recorded partial date as a label: "2014", "Jul 2025" or "16 Sep 2023"."""
    if not text:
        return "date unknown"
    parts = [int(p) for p in text.split("-")]
    day = dt.date(*parts, *[1] * (3 - len(parts)))
    return [f"{day.year}", f"{day:%b %Y}", f"{day.day} {day:%b %Y}"][len(parts) - 1]


def legend_below(fig: Figure, handles: list[Any], ncols: int) -> None:
    """A legend centred under the axes, in the bottom margin the layout left for it."""
    fig.legend(
        handles=handles,
        ncols=ncols,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.005),
        fontsize=8,
        frameon=False,
    )


def names(entities: pl.DataFrame, ids: list[str]) -> dict[str, str]:
    """Short display names of ``ids``: the acronym when there is one, else the English name.

    Only the few entities a figure names are turned into Python objects, not all of them.
    """
    import polars as pl

    chosen = entities.filter(pl.col("entity_id").is_in(ids))
    rows = chosen.select("entity_id", "name_en", "acronym_en").to_dicts()
    return {r["entity_id"]: r["acronym_en"] or r["name_en"] or r["entity_id"] for r in rows}
