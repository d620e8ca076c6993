"""Rules for a table that contradicts itself: duplicates, overlapping offices, ID dates.

Each rule is declared in the Table Schemas (extension properties, listed in CONTRIBUTING), so a
new table gets it by being described:

- ``likelyDuplicates`` (table): rows alike after normalising a text or URL field, with the same
  ``same`` fields and, where ``during`` names a start and an end, overlapping date bounds;
- ``exclusive`` (table): at most one row at a time per ``within`` group, for the rows
  ``where`` selects (one head of state per state), over the days the dates certainly cover;
- ``startsWith`` (field): an ID starts with a date field at its precision;

The rules across tables are in :mod:`aesdata.references`.

Every failure is located at the row that breaks the rule and names the row it conflicts with.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aesdata import dates
from aesdata.checkbook import CheckBook

ROWS = 1 << 31  # rows per table the conflict search can tell apart (2 billion)
OFFSET = 1 << 22  # days added so that dates before 1970 pack as positive numbers
FAR = 2_958_464  # 9999-12-31 as days since 1970: an open end
TRACKING = r"(?:utm_[a-z_]+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|_ga|_gl|xtor)=[^&#]*&?"


def declare_table_coherence(
    schema: dict[str, Any], frame: pl.DataFrame, book: CheckBook, line: Any
) -> None:
    """The coherence rules that need this table alone (``line``: row index → physical line)."""
    key = schema.get("primaryKey", [])
    dups = [
        d
        for d in schema.get("likelyDuplicates", [])
        if {d["alike"], *d.get("same", [])} <= set(frame.columns) and key
    ]
    # Every normalised text in one query, so that polars folds the fields side by side.
    work = frame.with_columns(
        _alike_key(schema, d).alias(f"__alike{i}__") for i, d in enumerate(dups)
    )
    for i, dup in enumerate(dups):
        _duplicates(schema, work, book, line, key, dup, f"__alike{i}__")
    for spec in schema.get("exclusive", []):
        _exclusive(frame, book, line, key, spec)
    for f in schema["fields"]:
        if "startsWith" in f:
            _starts_with(book, f["name"], f["startsWith"])


def conflicts(
    frame: pl.DataFrame, group: list[str], lo: pl.Expr, hi: pl.Expr, strict: bool
) -> pl.DataFrame:
    """Rows (``row``) whose span [lo, hi] meets an earlier row's in the same group (``other``).

    Rows are sorted by ``lo`` within each group; a row conflicts when it starts before the
    latest end seen so far (``strict``: strictly before, so that spans may touch). The row that
    holds that end is found in the same pass, by packing it beside the end in one integer.
    """
    # Only rows that share their group with another can conflict: usually very few, so the
    # dates are read, and the sort and the running maximum below run, on almost nothing.
    packed = (
        frame.with_row_index("__row__")
        .filter(pl.struct(group).is_duplicated() & pl.all_horizontal(pl.col(group).is_not_null()))
        .select(
            pl.col("__row__").cast(pl.Int64).alias("row"),
            *[pl.col(g) for g in group],
            lo.cast(pl.Int64).alias("lo"),
            hi.cast(pl.Int64).alias("hi"),
        )
        .drop_nulls(["lo", "hi"])
    )
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


def pointer(
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


def flag_rows(
    book: CheckBook,
    rule: str,
    field: str,
    rows: pl.Series,
    where: dict[tuple[Any, ...], str],
    key: list[str],
    say: Any,
) -> None:
    book.at_rows(
        rule,
        field,
        rows,
        lambda v, row: say(v, row, where.get(tuple(row.get(k) for k in key), "another row")),
    )


def _alike_key(schema: dict[str, Any], dup: dict[str, Any]) -> pl.Expr:
    """The normalised form of the ``alike`` field: a URL's or a text's."""
    alike = pl.col(dup["alike"])
    return _url_key(alike) if _is_url(schema, dup["alike"]) else _text_key(alike)


def _is_url(schema: dict[str, Any], name: str) -> bool:
    return any(f["name"] == name and f.get("format") == "uri" for f in schema["fields"])


def _duplicates(
    schema: dict[str, Any],
    work: pl.DataFrame,
    book: CheckBook,
    line: Any,
    key: list[str],
    dup: dict[str, Any],
    normalised: str,
) -> None:
    """``work`` holds the table and the ``alike`` field normalised, as column ``normalised``."""
    alike, same = dup["alike"], list(dup.get("same", []))
    during = dup.get("during")
    if during:
        start, end = during
        lo = dates.earliest(pl.col(start)).cast(pl.Int32)
        hi = dates.latest(pl.coalesce(pl.col(end), pl.col(start))).cast(pl.Int32)
    else:
        lo, hi = pl.lit(0), pl.lit(0)
    found = conflicts(work, [*same, normalised], lo, hi, strict=False)
    rows, where = pointer(work, found, key, line)
    what = [f"the same {', '.join(same)}"] if same else []
    what += ["overlapping dates"] if during else []
    what += [
        "the same URL once scheme, host case, www., tracking parameters, fragment and trailing "
        "slash are set aside"
        if _is_url(schema, alike)
        else f"the same {alike} once case, accents, punctuation and spacing are set aside"
    ]
    flag_rows(
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


ACCENTS = {
    **dict.fromkeys("àáâãäå", "a"),
    "ç": "c",
    **dict.fromkeys("èéêë", "e"),
    **dict.fromkeys("ìíîï", "i"),
    "ñ": "n",
    **dict.fromkeys("òóôõö", "o"),
    **dict.fromkeys("ùúûü", "u"),
    **dict.fromkeys("ýÿ", "y"),
    "œ": "oe",
    "æ": "ae",
}


def _text_key(c: pl.Expr) -> pl.Expr:
    """Case, the accents of French and English text, punctuation and spacing set aside.

    One pass of string replacements and one regex: a Unicode normalisation and a sort of each
    title's words would cost seconds at a million events.
    """
    folded = c.str.to_lowercase().str.replace_many(list(ACCENTS), list(ACCENTS.values()))
    return folded.str.replace_all(r"[^\p{L}\p{N}]+", "")


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
    rows, where = pointer(frame, conflicts(work, group, lo, hi, strict=True), key, line)
    flag_rows(
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
