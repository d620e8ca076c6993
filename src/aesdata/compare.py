"""The one comparison of two states of the dataset, for a pull request's diff and a release's changelog.

Rows are matched by primary key: a row is added, removed, or changed field by field (old and
new value). Schema changes are classed (:mod:`aesdata.schemachanges`). And since every fact is
tied to a source, each added or changed row that claims can back (an event, a relation, an
entity) comes with the claims and citations that back it in the new state: the reason for the
change, for a reviewer to check. Which table holds that evidence is declared in its schema (the
``evidenceFor`` property of ``claims.citation_id``), not known to the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aesdata import versions
from aesdata.schema import foreign_keys
from aesdata.schemachanges import SchemaChange, classify
from aesdata.snapshot import Snapshot

KEY_SEPARATOR = " | "  # how a key of several fields is written: event_id | entity_id | role


@dataclass(frozen=True)
class Change:
    """A row present on both sides whose fields differ: ``fields`` maps each to (old, new)."""

    key: str
    fields: dict[str, tuple[str | None, str | None]]


@dataclass
class TableDiff:
    """The rows of one table that were added, removed or changed, by primary key."""

    key: list[str]
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def key_of(self, row: dict[str, Any]) -> str:
        return KEY_SEPARATOR.join(str(row.get(k)) for k in self.key)


@dataclass
class Comparison:
    """Everything that differs between ``old`` and ``new``, and what backs the new facts."""

    old: Snapshot
    new: Snapshot
    tables: dict[str, TableDiff]
    schema: list[SchemaChange]
    sources: dict[str, dict[str, list[dict[str, Any]]]]  # table → key → evidence rows

    @property
    def differs(self) -> bool:
        return bool(self.schema) or any(self.tables.values())

    def version_problems(self, release: bool = False) -> list[str]:
        """What is wrong with the new version number, given what changed (see CONTRIBUTING)."""
        return versions.version_problems(
            self.old.version, self.new.version, self.schema, release and self.differs
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything, uncapped, for tools (``--format json``, ``changelog.json``)."""
        return {
            "old": {"label": self.old.label, "version": self.old.version},
            "new": {"label": self.new.label, "version": self.new.version},
            "tables": {
                name: {
                    "key": diff.key,
                    "removed": [{"key": diff.key_of(r), "row": r} for r in diff.removed],
                    "added": [{"key": diff.key_of(r), "row": r} for r in diff.added],
                    "changed": [
                        {
                            "key": c.key,
                            "fields": {f: {"old": o, "new": n} for f, (o, n) in c.fields.items()},
                        }
                        for c in diff.changed
                    ],
                }
                for name, diff in self.tables.items()
            },
            "schema": [change.to_dict() for change in self.schema],
            "sources": self.sources,
            "version_problems": self.version_problems(),
        }


def compare(old: Snapshot, new: Snapshot) -> Comparison:
    """Compare two snapshots table by table, in the new one's order, then those it dropped."""
    names = list(new.schemas) + [n for n in old.schemas if n not in new.schemas]
    tables = {}
    for name in names:
        before, after = old.tables.get(name), new.tables.get(name)
        schema = new.schemas.get(name) or old.schemas[name]
        key = _key(schema, before, after)
        tables[name] = diff_rows(before, after, key)
    comparison = Comparison(old, new, tables, classify(old, new), {})
    comparison.sources = _sources(comparison)
    return comparison


def _key(schema: dict[str, Any], *frames: pl.DataFrame | None) -> list[str]:
    """The primary key if both sides have its fields; otherwise every field they share."""
    present = [f for f in frames if f is not None]
    shared = (
        [c for c in present[0].columns if all(c in f.columns for f in present)] if present else []
    )
    key = list(schema.get("primaryKey", []))
    return key if key and set(key) <= set(shared) else shared


def diff_rows(old: pl.DataFrame | None, new: pl.DataFrame | None, key: list[str]) -> TableDiff:
    """Rows added, removed and changed between two frames of text, by ``key``, sorted by it."""
    diff = TableDiff(key)
    if old is None and new is None:
        return diff
    if old is None or new is None or not key:  # a table added or removed, or nothing to match
        diff.added = _rows(new, key)
        diff.removed = _rows(old, key)
        return diff
    diff.added = new.join(old, on=key, how="anti", nulls_equal=True).sort(key).to_dicts()
    diff.removed = old.join(new, on=key, how="anti", nulls_equal=True).sort(key).to_dicts()
    common = [c for c in new.columns if c in old.columns and c not in key]
    both = new.join(old.select(key + common), on=key, how="inner", suffix="__old", nulls_equal=True)
    if not common or both.is_empty():
        return diff
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in common)
    for row in both.filter(differs).sort(key).iter_rows(named=True):
        fields = {c: (row[f"{c}__old"], row[c]) for c in common if row[c] != row[f"{c}__old"]}
        diff.changed.append(Change(diff.key_of(row), fields))
    return diff


def _rows(frame: pl.DataFrame | None, key: list[str]) -> list[dict[str, Any]]:
    if frame is None or not frame.width:
        return []
    return frame.sort(key or frame.columns).to_dicts()


def _sources(comparison: Comparison) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """For each added or changed row that claims can back, its claims with their citations.

    A claims table declares it: its citation field lists, in ``evidenceFor``, the fields that
    name what the citation backs; their foreign keys say which tables those are.
    """
    new = comparison.new
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, claims in new.tables.items():
        fks = {f: (parent, pf) for f, parent, pf in foreign_keys(name, new.schemas[name])}
        own = comparison.tables[name]
        fresh = {own.key_of(r) for r in own.added}
        for f in new.schemas[name]["fields"]:
            if not f.get("evidenceFor") or f["name"] not in fks:
                continue
            cited, cited_key = fks[f["name"]]
            for target in f["evidenceFor"]:
                backed, backed_key = fks.get(target, ("", ""))
                diff = comparison.tables.get(backed)
                if not diff or diff.key != [backed_key]:
                    continue
                keys = [diff.key_of(r) for r in diff.added] + [c.key for c in diff.changed]
                for row in _evidence(
                    claims, target, keys, new.tables.get(cited), f["name"], cited_key
                ):
                    row["new"] = own.key_of(row) in fresh
                    out.setdefault(backed, {}).setdefault(row[target], []).append(row)
    return out


def _evidence(
    claims: pl.DataFrame,
    field: str,
    keys: list[str],
    citations: pl.DataFrame | None,
    cites: str,
    cited_key: str,
) -> list[dict[str, Any]]:
    """The claims naming one of ``keys`` in ``field``, each with its citation's row."""
    if not keys or field not in claims.columns:
        return []
    found = claims.filter(pl.col(field).is_in(keys))
    rows = found.to_dicts()
    cited = {}
    if citations is not None and cited_key in citations.columns:
        wanted = citations.filter(pl.col(cited_key).is_in(found.get_column(cites).implode()))
        cited = {r[cited_key]: r for r in wanted.to_dicts()}
    for row in rows:
        row["citation"] = cited.get(row.get(cites))
    return rows
