"""Rules for data that contradicts itself: duplicates, overlapping offices, lifetimes, domains.

Each rule is declared in the Table Schemas (extension properties, listed in CONTRIBUTING), so a
new table gets it by being described:

- ``likelyDuplicates`` (table): rows alike after normalising a text or URL field, with the same
  ``same`` fields and, where ``during`` names a start and an end, overlapping date bounds;
- ``exclusive`` (table): at most one row at a time per ``within`` group, for the rows
  ``where`` selects (one head of state per state), over the days the dates certainly cover;
- ``startsWith`` (field): an ID starts with a date field at its precision;
- ``entityTypesBy`` (table): which entity types each value of a field (a predicate) allows in
  other fields (its subject and object);
- ``lifetimes`` (table) with ``lifetime`` (entities): an entity takes part in nothing dated
  outside its founding and dissolution;
- ``supportedBy`` (table): the row's fields must match a row of another table (a figure's
  citation must support its event).

Every failure is located at the row that breaks the rule and names the row it conflicts with.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aesdata import dates
from aesdata.checkbook import CheckBook, Frames, missing
from aesdata.schema import foreign_keys

ROWS = 1 << 31  # rows per table the conflict search can tell apart (2 billion)
OFFSET = 1 << 22  # days added so that dates before 1970 pack as positive numbers
FAR = 2_958_464  # 9999-12-31 as days since 1970: an open end
TRACKING = r"(?:utm_[a-z_]+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|_ga|_gl|xtor)=[^&#]*&?"


def declare_table_coherence(
    schema: dict[str, Any], frame: pl.DataFrame, book: CheckBook, line: Any
) -> None:
    """The coherence rules that need this table alone (``line``: row index → physical line)."""
    key = schema.get("primaryKey", [])
    for dup in schema.get("likelyDuplicates", []):
        _duplicates(schema, frame, book, line, key, dup)
    for spec in schema.get("exclusive", []):
        _exclusive(frame, book, line, key, spec)
    for f in schema["fields"]:
        if "startsWith" in f:
            _starts_with(book, f["name"], f["startsWith"])


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


def conflicts(
    frame: pl.DataFrame, group: list[str], lo: pl.Expr, hi: pl.Expr, strict: bool
) -> pl.DataFrame:
    """Rows (``row``) whose span [lo, hi] meets an earlier row's in the same group (``other``).

    Rows are sorted by ``lo`` within each group; a row conflicts when it starts before the
    latest end seen so far (``strict``: strictly before, so that spans may touch). The row that
    holds that end is found in the same pass, by packing it beside the end in one integer.
    """
    packed = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        *[pl.col(g) for g in group],
        lo.cast(pl.Int64).alias("lo"),
        hi.cast(pl.Int64).alias("hi"),
    ).drop_nulls([*group, "lo", "hi"])
    packed = packed.sort([*group, "lo", "row"]).with_columns(
        ((pl.col("hi") + OFFSET) * ROWS + pl.col("row"))
        .cum_max()
        .shift(1)
        .over(group)
        .alias("seen")
    )
    last_end = pl.col("seen") // ROWS - OFFSET
    meets = pl.col("lo") < last_end if strict else pl.col("lo") <= last_end
    return packed.filter(meets).select("row", (pl.col("seen") % ROWS).alias("other"))


def _pointer(
    frame: pl.DataFrame, found: pl.DataFrame, key: list[str], line: Any
) -> tuple[pl.Series, dict[tuple[Any, ...], str]]:
    """The failing rows, and for each (by its key) 'line N (id)' of the row it conflicts with."""
    found = found.select(
        pl.max_horizontal("row", "other").alias("row"),
        pl.min_horizontal("row", "other").alias("other"),
    )  # the later line is reported, and points back at the earlier one
    rows = found.get_column("row")
    where = {}
    for row, other in found.iter_rows():
        mine = tuple(frame.row(row, named=True)[k] for k in key)
        theirs = ", ".join(str(frame.row(other, named=True)[k]) for k in key)
        where[mine] = f"line {line(other)} ({theirs})"
    return rows, where


def _flag_rows(
    book: CheckBook,
    rule: str,
    field: str,
    rows: pl.Series,
    where: dict[tuple[Any, ...], str],
    key: list[str],
    say: Any,
) -> None:
    book.add(
        rule,
        field,
        lambda _c, rows=rows: ~pl.int_range(pl.len()).is_in(rows.implode()),
        lambda v, row: say(v, row, where.get(tuple(row.get(k) for k in key), "another row")),
    )


def _duplicates(
    schema: dict[str, Any],
    frame: pl.DataFrame,
    book: CheckBook,
    line: Any,
    key: list[str],
    dup: dict[str, Any],
) -> None:
    alike, same = dup["alike"], list(dup.get("same", []))
    if not {alike, *same} <= set(frame.columns) or not key:
        return
    fmt = next((f.get("format") for f in schema["fields"] if f["name"] == alike), None)
    norm = _url_key(pl.col(alike)) if fmt == "uri" else _text_key(pl.col(alike))
    work = frame.with_columns(norm.alias("__alike__"))
    during = dup.get("during")
    if during:
        start, end = during
        lo = dates.earliest(pl.col(start)).cast(pl.Int32)
        hi = dates.latest(pl.coalesce(pl.col(end), pl.col(start))).cast(pl.Int32)
    else:
        lo, hi = pl.lit(0), pl.lit(0)
    found = conflicts(work, [*same, "__alike__"], lo, hi, strict=False)
    rows, where = _pointer(frame, found, key, line)
    what = [f"the same {', '.join(same)}"] if same else []
    what += ["overlapping dates"] if during else []
    what += [
        "the same URL once scheme, host case, www., tracking parameters, fragment and trailing "
        "slash are set aside"
        if fmt == "uri"
        else f"the same {alike} once case, accents, punctuation and word order are set aside"
    ]
    _flag_rows(
        book,
        dup["rule"],
        alike,
        rows,
        where,
        key,
        lambda _v, _row, other: (
            f"likely a duplicate of {other}: {', '.join(what)}; merge them (retire one ID in "
            "data/retired_ids.csv with the other as its successor), or tell them apart"
        ),
    )


def _text_key(c: pl.Expr) -> pl.Expr:
    """Case, accents, punctuation, spacing and word order set aside."""
    plain = c.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
    words = plain.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars().str.split(" ")
    return words.list.sort().list.join(" ")


def _url_key(c: pl.Expr) -> pl.Expr:
    """Scheme, host case, a leading www., tracking parameters, fragment and trailing slash set aside."""
    parts = c.str.extract_groups(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)([^?#]*)(\?[^#]*)?")
    host = parts.struct.field("1").str.to_lowercase().str.replace(r"^www\.", "")
    path = parts.struct.field("2").str.replace(r"/+$", "")
    query = (
        parts.struct.field("3")
        .fill_null("")
        .str.replace_all(TRACKING, "")
        .str.replace(r"[?&]+$", "")
    )
    return pl.concat_str(host, path, query)


def _exclusive(
    frame: pl.DataFrame, book: CheckBook, line: Any, key: list[str], iv: dict[str, Any]
) -> None:
    start, end, group = iv["start"], iv["end"], list(iv["within"])
    if not {start, end, *group} <= set(frame.columns) or not key:
        return
    work = frame
    for col, values in iv.get("where", {}).items():
        work = work.with_columns(pl.when(pl.col(col).is_in(values)).then(pl.col(col)).alias(col))
    # The days each row certainly covers: from the last day its start can mean to the first
    # day its end can mean (an open end runs on); spans that only touch do not conflict.
    lo = dates.latest(pl.col(start)).cast(pl.Int32)
    hi = pl.coalesce(dates.earliest(pl.col(end)).cast(pl.Int32), pl.lit(FAR))
    rows, where = _pointer(frame, conflicts(work, group, lo, hi, strict=True), key, line)
    _flag_rows(
        book,
        "exclusive-office",
        start,
        rows,
        where,
        key,
        lambda _v, row, other: (
            f"{' '.join(str(row.get(g)) for g in group)} can have one holder at a time, and this "
            f"period overlaps {other}: fix the dates, or end one term where the other begins"
        ),
    )


def _starts_with(book: CheckBook, field: str, date_field: str) -> None:
    book.add(
        "id-date",
        field,
        lambda c: (
            c.str.starts_with(pl.concat_str(pl.col(date_field), pl.lit("-")))
            | pl.col(date_field).is_null()
        ),
        lambda v, row: (
            f"{field} {v!r} must start with its {date_field} {row.get(date_field)!r}, at that "
            f"precision: a new row takes '{row.get(date_field)}-{_slug_rest(str(v))}'; a released "
            "ID never changes: keep the row under the new ID and retire the old one in "
            "data/retired_ids.csv with the new one as successor"
        ),
    )


def _slug_rest(value: str) -> str:
    """The part of an ID after its date prefix."""
    parts = value.split("-")
    i = 0
    while i < min(3, len(parts)) and parts[i].isdigit():
        i += 1
    return "-".join(parts[i:]) or value


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
    typed = dict(entities.select("entity_id", "entity_type").iter_rows())
    for field in sorted(_typed_fields(spec)):
        allowed = kinds.filter(pl.col("__field__") == field)
        pairs = allowed.select(
            pl.concat_str("__value__", pl.lit("\x1f"), "entity_type")
        ).to_series()
        types = pl.col(field).replace_strict(typed, default=None, return_dtype=pl.Utf8)
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
                f"{field} {v!r} is a {typed.get(v)}, but a {row.get(by)} takes "
                + " or ".join(
                    allowed.filter(pl.col("__value__") == row.get(by)).get_column("entity_type")
                )
                + f" as its {field}"
            ),
        )


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
    if via:
        other = frames.get(via["resource"])
        if other is None or not {via["key"], via["start"], via["end"]} <= set(other.columns):
            return
        dated = frame.select(field, via["field"]).join(
            other.select(
                pl.col(via["key"]).alias(via["field"]),
                pl.col(via["start"]).alias("__s__"),
                pl.col(via["end"]).alias("__e__"),
            ),
            on=via["field"],
            how="left",
        )
    else:
        dated = frame.select(
            field, pl.col(life["start"]).alias("__s__"), pl.col(life["end"]).alias("__e__")
        )
    dated = dated.with_row_index("__row__").join(lives, on=field, how="inner")
    outside = dated.filter(
        (dates.latest(pl.coalesce("__e__", "__s__")) < dates.earliest(pl.col(born)))
        | (dates.earliest(pl.coalesce("__s__", "__e__")) > dates.latest(pl.col(gone)))
    )
    rows = outside.get_column("__row__")
    spans = {
        r[field]: (r[born], r[gone], r["__s__"], r["__e__"]) for r in outside.iter_rows(named=True)
    }
    book.add(
        "lifetime",
        field,
        lambda _c, rows=rows: ~pl.int_range(pl.len()).is_in(rows.implode()),
        lambda v, _row: _lifetime_message(field, v, spans.get(v)),
    )


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
    mine = frame.select(pl.concat_str([pl.col(f) for f in fields], separator="\x1f")).to_series()
    theirs = other.select(pl.concat_str([pl.col(f) for f in fields], separator="\x1f")).to_series()
    lonely = missing(mine, theirs)
    where = f"data/{support['resource']}.csv"
    condition = " ".join(f"{k} {v!r}" for k, v in support.get("where", {}).items())
    book.add(
        "supported-by",
        fields[0],
        lambda _c, lonely=lonely: (
            ~pl.concat_str([pl.col(f) for f in fields], separator="\x1f").is_in(lonely.implode())
        ),
        lambda _v, row: (
            f"no row of {where} with {condition + ' and ' if condition else ''}"
            + ", ".join(f"{f} {row.get(f)!r}" for f in fields)
            + f": {support.get('description', 'add one')}"
        ),
    )
