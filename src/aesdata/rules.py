"""The named rules a Table Schema cannot state: cross-column, cross-table and text hygiene.

Which columns a rule applies to is read from the schemas (``foreignKeys``, and the project's
extension properties ``precisionField``, ``entityType``, ``presentWhen``, ``intervals``,
``exactlyOne``, ``notEqual`` and ``referencedBy``), so a new table gets its rules by being
described, not by new code. Every rule is declared as a check on one column (see
:mod:`aesdata.checkbook`), so that its failures are located by file, line and column.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import polars as pl

from aesdata import dates
from aesdata.checkbook import CheckBook, Frames, missing
from aesdata.coherence import conflicts, declare_table_coherence, flag_rows, pointer
from aesdata.hygiene import declare_hygiene
from aesdata.references import coherence_columns, declare_link_coherence
from aesdata.schema import MAX_CANDIDATES, did_you_mean, foreign_keys


def declare_table_rules(
    schema: dict[str, Any],
    frame: pl.DataFrame,
    book: CheckBook,
    today: dt.date,
    line: Callable[[int], int] = lambda i: i + 2,
) -> None:
    """The rules that need this table alone: hygiene, dates, intervals, rows, coherence.

    ``line`` turns a row index into its physical line, for messages that point at another row.
    """
    declare_hygiene(schema, book)
    _dates(schema, book, today)
    _intervals(schema, frame, book, line)
    _row_rules(schema, book)
    declare_table_coherence(schema, frame, book, line)


def declare_link_rules(name: str, schema: dict[str, Any], frames: Frames, book: CheckBook) -> None:
    """The rules across tables, which need only the linking columns of the others."""
    _foreign_keys(name, schema, frames, book)
    _entity_types(schema, frames, book)
    _referenced_by(name, schema, frames, book)
    declare_link_coherence(name, schema, frames, book)


def link_columns(schemas: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """For each table, the columns that the rules across tables read: all they keep of it."""
    need: dict[str, set[str]] = {name: set() for name in schemas}
    for name, schema in schemas.items():
        for field, parent, parent_field in foreign_keys(name, schema):
            need[name].add(field)
            need.setdefault(parent, set()).add(parent_field)
        for ref in schema.get("referencedBy", []):
            need[name].add(ref["key"])
            need.setdefault(ref["resource"], set()).update({ref["field"], *ref.get("where", {})})
        if any("entityType" in f for f in schema["fields"]):
            need[name].update(f["name"] for f in schema["fields"] if "entityType" in f)
            need.setdefault("entities", set()).update({"entity_id", "entity_type"})
        for table, columns in coherence_columns(name, schema).items():
            need.setdefault(table, set()).update(columns)
    return need


def _foreign_keys(name: str, schema: dict[str, Any], frames: Frames, book: CheckBook) -> None:
    for field, parent_name, parent_field in foreign_keys(name, schema):
        parent, child = frames.get(parent_name), frames.get(name)
        if (
            parent is None
            or parent_field not in parent.columns
            or child is None
            or field not in child.columns
        ):
            continue
        keys = parent.get_column(parent_field)
        dangling = missing(child.get_column(field), keys)
        where, hint = f"data/{parent_name}.csv", _suggester(keys)
        book.add(
            "foreign-key",
            field,
            lambda c, dangling=dangling: ~c.is_in(dangling.implode()),
            lambda v, _, field=field, pf=parent_field, where=where, hint=hint: (
                f"{field} {v!r} matches no {pf} in {where}: "
                f"{hint(str(v)) or 'add it there first, or fix the spelling'}"
            ),
        )


def _suggester(keys: pl.Series) -> Callable[[str], str | None]:
    """Suggestions among a parent's keys: listed once, and only when a reference fails."""

    @functools.cache
    def candidates() -> list[str]:
        return [] if keys.len() > MAX_CANDIDATES else keys.drop_nulls().unique().sort().to_list()

    @functools.cache
    def suggest(value: str) -> str | None:
        return did_you_mean(value, candidates())

    return suggest


def _dates(schema: dict[str, Any], book: CheckBook, today: dt.date) -> None:
    for f in schema["fields"]:
        name = f["name"]
        if "precisionField" in f:
            prec = f["precisionField"]
            book.add(
                "date-precision",
                name,
                lambda c, prec=prec: (
                    (c.is_null() & pl.col(prec).is_null())
                    | ((dates.precision_of(c) == pl.col(prec)) & dates.earliest(c).is_not_null())
                ),
                lambda v, row, name=name, prec=prec: (
                    f"{name} {v!r} and {prec} {row.get(prec)!r} "
                    "disagree: write YYYY for year, YYYY-MM for month, YYYY-MM-DD for day, both or neither"
                ),
            )
            _future(book, name, dates.earliest, today)
        elif f.get("type") == "date":
            _future(book, name, lambda c: c.str.to_date(strict=False), today)


def _future(
    book: CheckBook, name: str, first_day: Callable[[pl.Expr], pl.Expr], today: dt.date
) -> None:
    book.add(
        "future-date",
        name,
        lambda c: first_day(c) <= pl.lit(today),
        lambda v, _: f"{name} {v!r} lies after today ({today.isoformat()})",
    )


def _intervals(
    schema: dict[str, Any], frame: pl.DataFrame | None, book: CheckBook, line: Callable[[int], int]
) -> None:
    for iv in schema.get("intervals", []):
        start, end = iv["start"], iv["end"]
        book.add(
            "date-order",
            end,
            lambda c, start=start: dates.latest(c) >= dates.earliest(pl.col(start)),
            lambda v, row, start=start, end=end: (
                f"{end} {v!r} is before {start} {row.get(start)!r}"
            ),
        )
        within = iv.get("noOverlapWithin")
        key = schema.get("primaryKey", [])
        if (
            within
            and key
            and frame is not None
            and set(within) | {start, end} <= set(frame.columns)
        ):
            lo = dates.earliest(pl.col(start)).fill_null(dt.date(1, 1, 1)).cast(pl.Int32)
            hi = dates.latest(pl.col(end)).fill_null(dt.date(9999, 12, 31)).cast(pl.Int32)
            rows, where = pointer(frame, conflicts(frame, within, lo, hi, strict=False), key, line)
            flag_rows(
                book,
                "interval-overlap",
                start,
                rows,
                where,
                key,
                lambda _v, row, other, within=within: (
                    f"this interval overlaps {other}, which has the same {', '.join(within)} "
                    f"({', '.join(str(row.get(w)) for w in within)}): merge them or fix the dates"
                ),
            )


def _row_rules(schema: dict[str, Any], book: CheckBook) -> None:
    for group in schema.get("exactlyOne", []):
        book.add(
            "exactly-one",
            group[0],
            lambda _c, group=group: pl.sum_horizontal(pl.col(g).is_not_null() for g in group) == 1,
            lambda _v, row, group=group: (
                f"fill exactly one of {', '.join(group)} (found "
                f"{sum(row.get(g) is not None for g in group)})"
            ),
        )
    for a, b in schema.get("notGreater", []):
        book.add(
            "value-order",
            b,
            lambda c, a=a: (
                c.cast(pl.Float64, strict=False) >= pl.col(a).cast(pl.Float64, strict=False)
            ),
            lambda v, row, a=a, b=b: (
                f"{a} {row.get(a)} is greater than {b} {v}: swap them, or fix one"
            ),
        )
    for a, b in schema.get("notEqual", []):
        book.add(
            "not-equal",
            b,
            lambda c, a=a: c != pl.col(a),
            lambda v, _, a=a, b=b: f"{b} {v!r} is the same as {a}",
        )
    for f in schema["fields"]:
        for other, values in f.get("presentWhen", {}).items():
            name = f["name"]
            book.add(
                "present-when",
                name,
                lambda c, other=other, values=values: (
                    c.is_not_null() == pl.col(other).is_in(values)
                ),
                lambda _v, row, name=name, other=other, values=values: (
                    f"{name} must be filled when {other} is {' or '.join(values)}, and empty "
                    f"otherwise ({other} is {row.get(other)!r})"
                ),
            )
    names = {f["name"] for f in schema["fields"]}
    if {"latitude", "longitude"} <= names:
        book.add(
            "coordinates",
            "latitude",
            lambda c: c.is_null() == pl.col("longitude").is_null(),
            lambda _v, _r: "give latitude and longitude together, or neither",
        )


def _entity_types(schema: dict[str, Any], frames: Frames, book: CheckBook) -> None:
    entities = frames.get("entities")
    if entities is None or not {"entity_id", "entity_type"} <= set(entities.columns):
        return
    known = entities.get_column("entity_id")
    for f in schema["fields"]:
        if "entityType" not in f:
            continue
        name, allowed = f["name"], f["entityType"]
        good = entities.filter(pl.col("entity_type").is_in(allowed)).get_column("entity_id")
        book.add(
            "entity-type",
            name,
            lambda c, good=good: c.is_in(good.implode()) | ~c.is_in(known.implode()),
            lambda v, _, name=name, allowed=allowed: (
                f"{name} {v!r} is an entity of the wrong type: it must be a {' or '.join(allowed)}"
            ),
        )


def _referenced_by(name: str, schema: dict[str, Any], frames: Frames, book: CheckBook) -> None:
    for ref in schema.get("referencedBy", []):
        child = frames.get(ref["resource"])
        key, field = ref["key"], ref["field"]
        if child is None or field not in child.columns:
            continue
        for col, value in ref.get("where", {}).items():
            if col in child.columns:
                child = child.filter(pl.col(col) == value)
        parent = frames.get(name)
        if parent is None or key not in parent.columns:
            continue
        lonely = missing(parent.get_column(key), child.get_column(field))
        need = ref["description"]
        book.add(
            "unreferenced",
            key,
            lambda c, lonely=lonely: ~c.is_in(lonely.implode()),
            lambda v, _, need=need: f"{v!r} has no {need}",
        )
