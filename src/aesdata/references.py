"""Rules across tables for data that contradicts itself: entity types, lifetimes, support.

Declared in the Table Schemas (extension properties, listed in CONTRIBUTING):

- ``entityTypesBy`` (table): which entity types each value of a field (a predicate) allows in
  other fields (its subject and object);
- ``lifetimes`` (table): an entity takes part in nothing dated certainly outside the ``span``
  of its founding and dissolution;
- ``supportedBy`` (table): the row's fields must match a row of another table (a figure's
  citation must support its event).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aesdata import dates
from aesdata.checkbook import CheckBook, Frames
from aesdata.schema import foreign_keys


def declare_link_coherence(
    name: str, schema: dict[str, Any], frames: Frames, book: CheckBook
) -> None:
    """The coherence rules across tables."""
    _entity_types_by(frames.get(name), schema, frames, book)
    for life in schema.get("lifetimes", []):
        _lifetime(name, schema, frames, book, life)
    for support in schema.get("supportedBy", []):
        _supported_by(frames.get(name), frames, book, support)


def coherence_columns(name: str, schema: dict[str, Any]) -> dict[str, set[str]]:
    """The columns the cross-table coherence rules of table ``name`` read, per table."""
    need: dict[str, set[str]] = {}
    if "entityTypesBy" in schema:
        spec = schema["entityTypesBy"]
        need.setdefault(name, set()).update({spec["field"], *_typed_fields(spec)})
        need.setdefault("entities", set()).update({"entity_id", "entity_type"})
    for life in schema.get("lifetimes", []):
        parent = _parent(name, schema, life["entity"])
        need.setdefault(parent, set()).update({"entity_id", *life.get("span", [])})
        need.setdefault(name, set()).add(life["entity"])
        via = life.get("via")
        if via:
            need[name].add(via["field"])
            need.setdefault(via["resource"], set()).update({via["key"], via["start"], via["end"]})
        else:
            need[name].update({life["start"], life["end"]})
    for support in schema.get("supportedBy", []):
        need.setdefault(name, set()).update(support["fields"])
        need.setdefault(support["resource"], set()).update(
            {*support["fields"], *support.get("where", {})}
        )
    return need


def _typed_fields(spec: dict[str, Any]) -> set[str]:
    return {f for kinds in spec["types"].values() for f in kinds}


def _entity_types_by(
    frame: pl.DataFrame | None, schema: dict[str, Any], frames: Frames, book: CheckBook
) -> None:
    spec, entities = schema.get("entityTypesBy"), frames.get("entities")
    if not spec or entities is None or frame is None or spec["field"] not in frame.columns:
        return
    if not {"entity_id", "entity_type"} <= set(entities.columns):
        return
    by, kinds = (
        spec["field"],
        pl.DataFrame(
            [
                (value, field, t)
                for value, fields in spec["types"].items()
                for field, types in fields.items()
                for t in types
            ],
            schema={"__value__": pl.Utf8, "__field__": pl.Utf8, "entity_type": pl.Utf8},
            orient="row",
        ),
    )
    # An entity listed twice is the primary key's problem; its first row gives the type here.
    once = entities.unique("entity_id", keep="first", maintain_order=True)
    ids, types_of = once.get_column("entity_id"), once.get_column("entity_type")
    for field in sorted(_typed_fields(spec)):
        allowed = kinds.filter(pl.col("__field__") == field)
        pairs = allowed.select(
            pl.concat_str("__value__", pl.lit("\x1f"), "entity_type")
        ).to_series()
        types = pl.col(field).replace_strict(ids, types_of, default=None, return_dtype=pl.Utf8)
        listed = pl.col(by).is_in(allowed.get_column("__value__").unique().implode())
        book.add(
            "predicate-domain",
            field,
            lambda c, pairs=pairs, types=types, listed=listed: (
                ~listed
                | types.is_null()
                | pl.concat_str(pl.col(by), pl.lit("\x1f"), types).is_in(pairs.implode())
            ),
            lambda v, row, field=field, allowed=allowed: (
                f"{field} {v!r} is a {_type_of(once, v)}, but a {row.get(by)} takes "
                + " or ".join(
                    allowed.filter(pl.col("__value__") == row.get(by)).get_column("entity_type")
                )
                + f" as its {field}"
            ),
        )


def _type_of(entities: pl.DataFrame, entity_id: Any) -> str | None:
    """The type of one entity, looked up only when a message names it."""
    found = entities.filter(pl.col("entity_id") == entity_id).get_column("entity_type")
    return found[0] if found.len() else None


def _parent(name: str, schema: dict[str, Any], field: str) -> str:
    return next((p for f, p, _ in foreign_keys(name, schema) if f == field), "entities")


def _lifetime(
    name: str, schema: dict[str, Any], frames: Frames, book: CheckBook, life: dict[str, Any]
) -> None:
    field, parent = life["entity"], _parent(name, schema, life["entity"])
    entities, frame, span = frames.get(parent), frames.get(name), life.get("span")
    if entities is None or frame is None or not span or not set(span) <= set(entities.columns):
        return
    born, gone = span
    lives = entities.filter(pl.col(born).is_not_null() | pl.col(gone).is_not_null()).select(
        pl.col("entity_id").alias(field), born, gone
    )
    if lives.is_empty():
        return
    via = life.get("via")
    own = [field, via["field"]] if via else [field, life["start"], life["end"]]
    if not set(own) <= set(frame.columns):
        return
    # Only the rows of entities with a lifetime are dated (usually few), so the join to the
    # dates sees only those.
    mine = frame.select(own).with_row_index("__row__").join(lives, on=field, how="inner")
    if via:
        other = frames.get(via["resource"])
        if other is None or not {via["key"], via["start"], via["end"]} <= set(other.columns):
            return
        dated = mine.join(
            other.select(
                pl.col(via["key"]).alias(via["field"]),
                pl.col(via["start"]).alias("__s__"),
                pl.col(via["end"]).alias("__e__"),
            ),
            on=via["field"],
            how="left",
        )
    else:
        dated = mine.rename({life["start"]: "__s__", life["end"]: "__e__"})
    outside = dated.filter(
        (dates.latest(pl.coalesce("__e__", "__s__")) < dates.earliest(pl.col(born)))
        | (dates.earliest(pl.coalesce("__s__", "__e__")) > dates.latest(pl.col(gone)))
    )
    rows = outside.get_column("__row__")
    spans = {
        r[field]: (r[born], r[gone], r["__s__"], r["__e__"]) for r in outside.iter_rows(named=True)
    }
    book.at_rows("lifetime", field, rows, lambda v, _row: _lifetime_message(field, v, spans.get(v)))


def _lifetime_message(field: str, value: Any, span: tuple[Any, ...] | None) -> str:
    born, gone, start, end = span or (None, None, None, None)
    when = start if not end or end == start else f"{start} to {end}"
    life = f"from {born or '?'}" + (f" to {gone}" if gone else "")
    return (
        f"{field} {value!r} existed {life} (data/entities.csv), but this row is dated {when}: "
        "fix the dates, or the entity's founded_date / dissolved_date"
    )


def _supported_by(
    frame: pl.DataFrame | None, frames: Frames, book: CheckBook, support: dict[str, Any]
) -> None:
    other, fields = frames.get(support["resource"]), list(support["fields"])
    needed = {*fields, *support.get("where", {})}
    if (
        frame is None
        or other is None
        or not (set(fields) <= set(frame.columns) and needed <= set(other.columns))
    ):
        return
    for col, value in support.get("where", {}).items():
        other = other.filter(pl.col(col) == value)
    # One anti-join on the fields together: the rows no row of the other table matches.
    lonely = (
        frame.select(fields)
        .with_row_index("__row__")
        .drop_nulls(fields)
        .join(other.select(fields), on=fields, how="anti")
        .get_column("__row__")
    )
    where = f"data/{support['resource']}.csv"
    condition = " ".join(f"{k} {v!r}" for k, v in support.get("where", {}).items())
    book.at_rows(
        "supported-by",
        fields[0],
        lonely,
        lambda _v, row: (
            f"no row of {where} with {condition + ' and ' if condition else ''}"
            + ", ".join(f"{f} {row.get(f)!r}" for f in fields)
            + f": {support.get('description', 'add one')}"
        ),
    )
