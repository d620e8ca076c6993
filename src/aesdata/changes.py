"""What changed since the previous release, by primary key; and the rule that IDs live forever.

An ID that was released is a promise to users who stored it: it may be retired (recorded in
``data/retired_ids.csv`` with the reason and, when merged, its successor) but never silently
dropped, and a retired ID is never given to a new row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from aesdata.package import Package

RETIRED = "retired_ids"


def previous_release(source: str) -> dict[str, Any]:
    """The previous release's version and tables (as text), from a directory or a URL."""
    from aesdata.load import LoadError, fetch_release

    directory = (
        fetch_release(source, suffix=".csv")
        if source.startswith(("http://", "https://"))
        else Path(source)
    )
    descriptor = directory / "datapackage.json"
    if not descriptor.is_file():
        raise LoadError(f"{source}: not a release (no datapackage.json)")
    meta = json.loads(descriptor.read_text(encoding="utf-8"))
    tables = {p.stem: pl.read_csv(p, infer_schema=False) for p in sorted(directory.glob("*.csv"))}
    return {"version": meta.get("version", "unknown"), "tables": tables}


def compare(
    package: Package, current: dict[str, pl.DataFrame], previous: dict[str, Any]
) -> dict[str, Any]:
    """Rows added, removed and changed per table; problems for dropped or reused IDs."""
    retired = _retired(current.get(RETIRED))
    result: dict[str, Any] = {
        "previous_version": previous["version"],
        "version": package.version,
        "tables": {},
        "problems": [],
    }
    for res in package.resources:
        key = res.schema.get("primaryKey", [])
        old = previous["tables"].get(res.name)
        if not key or old is None or res.name == RETIRED:
            continue
        diff = _diff(old, current[res.name], key)
        result["tables"][res.name] = diff
        if len(key) == 1:
            result["problems"] += _id_problems(
                res.relpath,
                res.name,
                diff,
                current[res.name],
                key[0],
                retired.get(res.name, {}),
                previous["version"],
            )
    return result


def _retired(frame: pl.DataFrame | None) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True) if frame is not None else []:
        out.setdefault(row["table"], {})[row["id"]] = row
    return out


def _keyed(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    return frame.with_columns(pl.concat_str(key, separator=" | ").alias("__key__"))


def _diff(old: pl.DataFrame, new: pl.DataFrame, key: list[str]) -> dict[str, Any]:
    old, new = _keyed(old, key), _keyed(new, key)
    added = new.join(old, on="__key__", how="anti").get_column("__key__").sort().to_list()
    removed = old.join(new, on="__key__", how="anti").get_column("__key__").sort().to_list()
    common = [c for c in new.columns if c in old.columns and c != "__key__"]
    both = new.join(old, on="__key__", how="inner", suffix="__old")
    changed = []
    if common and both.height:
        flags = both.select(
            "__key__",
            *[
                pl.col(c).ne_missing(pl.col(f"{c}__old")).alias(c)
                for c in common
                if f"{c}__old" in both.columns
            ],
        )
        for row in (
            flags.filter(pl.any_horizontal(pl.exclude("__key__")))
            .sort("__key__")
            .iter_rows(named=True)
        ):
            changed.append({"key": row.pop("__key__"), "fields": [c for c, v in row.items() if v]})
    return {"added": added, "removed": removed, "changed": changed}


def _id_problems(
    file: str,
    table: str,
    diff: dict[str, Any],
    frame: pl.DataFrame,
    key: str,
    retired: dict[str, dict[str, Any]],
    version: str,
) -> list[dict[str, Any]]:
    problems = []
    for gone in diff["removed"]:
        if gone not in retired:
            problems.append(
                {
                    "file": file,
                    "line": None,
                    "column": None,
                    "rule": "id-removed",
                    "message": f"{key} {gone!r} was in release {version} and is gone: restore "
                    f"it, or retire it in data/{RETIRED}.csv with the reason (and its successor "
                    "if merged)",
                }
            )
    reused = set(frame.get_column(key).to_list()) & set(retired)
    for again in sorted(reused):
        problems.append(
            {
                "file": file,
                "line": None,
                "column": None,
                "rule": "id-reused",
                "message": f"{key} {again!r} was retired ({retired[again]['reason']}): "
                "IDs are never reused, choose a new one",
            }
        )
    return problems


def write(changelog: dict[str, Any], out: Path) -> None:
    """CHANGELOG.md for people, changelog.json for tools."""
    (out / "changelog.json").write_text(
        json.dumps(changelog, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "CHANGELOG.md").write_text(markdown(changelog), encoding="utf-8")


def markdown(changelog: dict[str, Any]) -> str:
    lines = [f"# Changes from {changelog['previous_version']} to {changelog['version']}", ""]
    lines += ["| table | added | removed | changed |", "|---|---:|---:|---:|"]
    for name, diff in changelog["tables"].items():
        lines.append(
            f"| {name} | {len(diff['added'])} | {len(diff['removed'])} | {len(diff['changed'])} |"
        )
    for name, diff in changelog["tables"].items():
        if not any(diff.values()):
            continue
        lines += ["", f"## {name}", ""]
        lines += [f"- added `{k}`" for k in diff["added"]]
        lines += [f"- removed `{k}`" for k in diff["removed"]]
        lines += [f"- changed `{c['key']}`: {', '.join(c['fields'])}" for c in diff["changed"]]
    return "\n".join(lines) + "\n"
