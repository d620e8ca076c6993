"""Release figures: a timeline of events, a map of their places, the member states' memberships
and the casualty tolls, each as PNG (for pages) and SVG (for print).

Each picture is a module with two steps. ``prepare`` reads the typed tables and reduces them, in
polars, to what will be drawn: a plain dataclass whose size does not grow with the data (the
timeline switches from single events to monthly counts, the map from markers to a density of
cells, when the marks would no longer fit the picture). ``draw`` hands only that to matplotlib.
So the figures cost a few group-bys at a million events, and every file stays within
:data:`~aesdata.figures.common.MAX_BYTES`. Files are byte-identical for the same data and
library versions. matplotlib is imported only inside :func:`render`, so ``import
aesdata.figures`` stays as light as the rest of the package.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

from aesdata.figures import memberships, places, timeline, tolls
from aesdata.figures.common import (
    DPI,
    MAX_BYTES,
    STYLE,
    FigureTooLarge,
    Frames,
    figure,
    heading,
    save,
)

#: Every figure, in the order they are drawn: name → the module that draws it.
PICTURES: dict[str, ModuleType] = {
    "timeline": timeline,
    "map": places,
    "memberships": memberships,
    "tolls": tolls,
}
SIZES = {name: module.SIZE for name, module in PICTURES.items()}
#: The columns each table must hold for the figures: a build keeps only these.
COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "event_id",
        "event_type",
        "start_earliest",
        "start_latest",
        "end_latest",
        "start_precision",
        "place_id",
        "country_id",
    ),
    "entities": ("entity_id", "name_en", "acronym_en", "latitude", "longitude"),
    "relations": (
        "relation_id",
        "subject_id",
        "predicate",
        "object_id",
        "start_date",
        "end_date",
        "start_earliest",
        "start_latest",
        "end_latest",
    ),
    "tolls": ("event_id", "citation_id", "counted", "victims", "low", "high"),
}

__all__ = [
    "COLUMNS",
    "DPI",
    "MAX_BYTES",
    "PICTURES",
    "SIZES",
    "FigureTooLarge",
    "drawable",
    "load_matplotlib",
    "render",
]


def render(
    frames: Frames,
    out: Path,
    *,
    note: str | None = None,
    pictures: Collection[str] | None = None,
) -> list[str]:
    """Write every figure (or those named in ``pictures``) as PNG and SVG into ``out``; return
    the file names, sorted.

    ``frames`` are the typed release tables (events, entities, relations, tolls; only the
    :data:`COLUMNS` are read). ``note`` is printed in each figure's top-right corner; by default
    "Source: aesdata v<installed version>".
    """
    import matplotlib

    chosen = {n: m for n, m in PICTURES.items() if pictures is None or n in pictures}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    note = _default_note() if note is None else note
    written: list[str] = []
    with matplotlib.rc_context(STYLE), ThreadPoolExecutor(max_workers=1) as pool:
        # polars reduces the tables on the pool (it lets go of the GIL) while matplotlib's
        # modules load here (which holds it): the two overlap on two cores.
        reduced = pool.submit(lambda: {n: m.prepare(frames) for n, m in chosen.items()})
        load_matplotlib()
        plans = reduced.result()
        for name, module in chosen.items():
            fig = figure(module.SIZE)
            title = module.draw(fig, plans[name])
            heading(fig.axes[0], title, note)
            written += save(fig, out / name, title, pool)
    return sorted(written)


def drawable(tables: Iterable[str]) -> list[str]:
    """The figures that the tables at hand suffice for: a build draws each as soon as it can."""
    have = set(tables)
    return [name for name, module in PICTURES.items() if set(module.TABLES) <= have]


def load_matplotlib() -> None:
    """Import what drawing imports, ahead of drawing: a build does it while tables are read."""
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure  # noqa: F401


def _default_note() -> str:
    """The installed aesdata version, so a figure says which release drew it."""
    from importlib import metadata

    try:
        return f"Source: aesdata v{metadata.version('aesdata')}"
    except metadata.PackageNotFoundError:
        return "Source: aesdata"
