"""A release against the previous one: the changelog, and the rules that IDs and versions keep.

The changelog is the comparison ``aesdata diff`` shows a pull request (:mod:`aesdata.compare`),
uncapped: rows added, removed and changed field by field, with the sources behind each change.
An ID that was released is a promise to users who stored it: it may be retired (recorded in
``data/retired_ids.csv`` with the reason and, when merged, its successor) but never silently
dropped, and a retired ID is never given to a new row.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from aesdata.compare import Comparison, compare
from aesdata.diffview import markdown
from aesdata.package import Package
from aesdata.report import Problem
from aesdata.snapshot import from_package, open_snapshot

RETIRED = "retired_ids"


def against_previous(
    package: Package, current: dict[str, pl.DataFrame], previous: str
) -> Comparison:
    """The package being released (its tables as text) compared with the release ``previous``."""
    return compare(open_snapshot(previous), from_package(package, current, package.name))


def id_problems(comparison: Comparison) -> list[Problem]:
    """IDs of the old side that are gone without being retired, and retired IDs used again."""
    new, old = comparison.new, comparison.old
    retired: dict[str, dict[str, str]] = {}
    frame = new.tables.get(RETIRED)
    for row in frame.iter_rows(named=True) if frame is not None else []:
        retired.setdefault(row["table"], {})[row["id"]] = row["reason"]
    problems = []
    for name, diff in comparison.tables.items():
        if name == RETIRED or len(diff.key) != 1 or name not in new.schemas:
            continue
        key, file = diff.key[0], f"data/{name}.csv"
        gone = [r[key] for r in diff.removed if r[key] not in retired.get(name, {})]
        problems += [
            Problem(
                file,
                None,
                None,
                "id-removed",
                f"{key} {k!r} was in version {old.version} ({old.label}) and is gone: restore it, "
                f"or retire it in data/{RETIRED}.csv with the reason (and its successor if merged)",
            )
            for k in gone
        ]
        frame = new.tables[name]
        used = set(frame.get_column(key).to_list()) if key in frame.columns else set()
        problems += [
            Problem(
                file,
                None,
                None,
                "id-reused",
                f"{key} {k!r} was retired ({retired[name][k]}): IDs are never reused, choose a new one",
            )
            for k in sorted(used & set(retired.get(name, {})))
        ]
    return problems


def write(comparison: Comparison, out: Path) -> None:
    """CHANGELOG.md for people (every row, with its sources), changelog.json for tools."""
    (out / "changelog.json").write_text(
        json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    title = f"# Changes from {comparison.old.version} to {comparison.new.version}"
    text = markdown(comparison, title=title, samples=None, budget=None)
    (out / "CHANGELOG.md").write_text(text, encoding="utf-8")
