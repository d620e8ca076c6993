"""The dataset card: the ``README.md`` a release carries, generated from the data itself."""

from __future__ import annotations

from typing import Any

import polars as pl

from aesdata.compare import Comparison
from aesdata.package import Package


def render(
    package: Package,
    heights: dict[str, int],
    facts: dict[str, Any],
    comparison: Comparison | None,
) -> str:
    """Description, coverage, tables, changes, licence, citation and a pandas example."""
    d = package.descriptor
    version = package.version
    lines = [
        f"# {d.get('title', package.name)}, version {version}",
        "",
        d.get("description", ""),
        "",
    ]
    lines += _coverage(facts, heights.get("citations", 0))
    lines += ["## Tables", "", "| table | rows | description |", "|---|---:|---|"]
    lines += [
        f"| `{r.name}` | {heights.get(r.name, 0)} | {package.entry(r.name).get('description', '')} |"
        for r in package.resources
    ]
    lines += [
        "",
        "Each table comes as Parquet (`<table>.parquet`, typed, zstd), JSON "
        "(`<table>.json`, an array of records) and CSV (`<table>.csv`, as edited). "
        f"`{package.name}-{version}.json` bundles every table; `datapackage.json` describes "
        "every file with its size and sha256; `SHA256SUMS` is checkable with `sha256sum -c`.",
        "",
        "Partial dates keep their text (`2025`, `2025-01`, `2025-01-29`) and gain typed "
        "bounds: `start_date` comes with `start_earliest` and `start_latest`.",
        "",
    ]
    lines += [
        "## Figures",
        "",
        "![Timeline of events](timeline.png)",
        "",
        "![Map of event places](map.png)",
        "",
        "![Memberships over time](memberships.png)",
        "",
        "![People killed and wounded per year and country](tolls.png)",
        "",
        "Each figure also comes as SVG.",
        "",
    ]
    lines += _changes(comparison)
    lines += [
        "## Use it",
        "",
        "```python",
        "import pandas as pd",
        "",
        'events = pd.read_parquet("events.parquet")',
        'recent = events[events["start_earliest"] >= "2025-01-01"]',
        'print(recent[["start_date", "event_type", "title_en"]])',
        "```",
        "",
    ]
    lines += _licence(d, version)
    return "\n".join(lines) + "\n"


def coverage(events: pl.DataFrame) -> dict[str, Any]:
    """What the card says of the events' coverage, taken from the typed events table."""
    if events.is_empty():
        return {}
    return {
        "events": events.height,
        "first": events.get_column("start_earliest").min(),
        "last": events.get_column("start_latest").max(),
        "countries": events.get_column("country_id").drop_nulls().n_unique(),
    }


def _coverage(facts: dict[str, Any], sources: int) -> list[str]:
    if not facts:
        return []
    return [
        "## Coverage",
        "",
        f"{facts['events']} events from {facts['first']} to {facts['last']}, "
        f"in {facts['countries']} countries, resting on {sources} cited sources.",
        "",
    ]


def _changes(comparison: Comparison | None) -> list[str]:
    if comparison is None:
        return ["## Changes", "", "First release: no previous release to compare with.", ""]
    lines = [
        "## Changes",
        "",
        f"Since {comparison.old.version} (details, with the sources behind each change, in "
        "`CHANGELOG.md`):",
        "",
    ]
    for name, diff in comparison.tables.items():
        lines.append(
            f"- {name}: {len(diff.added)} added, {len(diff.removed)} removed, "
            f"{len(diff.changed)} changed"
        )
    if comparison.schema:
        kinds = [c.kind for c in comparison.schema]
        counted = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
        lines.append(f"- schema: {counted} change(s)")
    return [*lines, ""]


def _licence(descriptor: dict[str, Any], version: str) -> list[str]:
    licences = ", ".join(str(lic.get("name", "")) for lic in descriptor.get("licenses", []))
    title = descriptor.get("title", descriptor.get("name", ""))
    return [
        "## Licence and citation",
        "",
        f"Data licence: {licences}. Cite as: aesdata contributors, "
        f'"{title}", version {version}; and the original sources in `citations` for any fact '
        "you rely on.",
        "",
    ]
