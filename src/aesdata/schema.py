"""Table Schema → checks, Arrow types and typed frames: the one translator.

The Table Schemas in ``schemas/`` are the single source of truth. Pandera's own
``from_frictionless_schema`` drops dates, formats and foreign keys and makes every field
required, so this module translates each field itself into declared checks (see
:mod:`aesdata.checkbook`). Validation runs on the raw text of the CSV (every column a string) so
that a type error is a located problem like any other; the typed forms used by releases come
from the same field descriptors.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from aesdata.checkbook import CheckBook

TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
INTEGER = r"^[+-]?[0-9]+$"
NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
URL = r"^https?://[^/?#]+"  # the host itself is the url-host rule's to judge
SLUG_HINT = "use a lowercase slug of letters, digits and single hyphens, like 'burkina-faso'"
# How alike (difflib's ratio, case aside) a value must be to a valid one to be offered as the
# likely intended value: 'summitt' → 'summit' is 0.92, 'niamy' → 'niamey' 0.91, while two
# different words of a vocabulary ('attack', 'threat') stay below.
CLOSE = 0.75
# Each failing value is compared with every valid one: past this many, no suggestion is sought,
# so that a misspelt reference to a table of a million rows costs nothing.
MAX_CANDIDATES = 20_000


def did_you_mean(value: object, valid: Sequence[str]) -> str | None:
    """The valid value(s) closest to a misspelt one, as a hint; None when none is close.

    Listing a whole vocabulary (35 event types) or naming no candidate at all leaves the
    contributor to find the typo; one close value usually is the intended one. Two equally
    close values are both offered, since picking one would be a guess.
    """
    text = str(value)
    if len(valid) > MAX_CANDIDATES:
        return None
    lowered = {v.lower(): v for v in reversed(valid)}
    matcher = difflib.SequenceMatcher(b=text.lower())
    scored = []
    for low, original in lowered.items():
        matcher.set_seq1(low)
        if matcher.real_quick_ratio() >= CLOSE and matcher.quick_ratio() >= CLOSE:
            score = matcher.ratio()
            if score >= CLOSE and original != text:
                scored.append((score, original))
    if not scored:
        return None
    best = max(score for score, _ in scored)
    closest = sorted(v for score, v in scored if score == best)[:2]
    return "did you mean " + " or ".join(repr(v) for v in closest) + "?"


def foreign_keys(name: str, schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, parent table, parent field) for each single-field foreign key of table ``name``."""

    def one(fields: str | list[str]) -> str:
        return fields[0] if isinstance(fields, list) else fields

    return [
        (one(fk["fields"]), fk["reference"].get("resource") or name, one(fk["reference"]["fields"]))
        for fk in schema.get("foreignKeys", [])
    ]


def is_date_field(f: dict[str, Any]) -> bool:
    return "precisionField" in f


def declare(schema: dict[str, Any], book: CheckBook) -> None:
    """Declare every check the Table Schema states: types, constraints, keys."""
    pk = list(schema.get("primaryKey", []))
    for f in schema["fields"]:
        name, cons = f["name"], f.get("constraints", {})
        if cons.get("required") or name in pk:
            book.flag(
                "required",
                "required",
                [name],
                lambda _v, _r, n=name: f"{n} is required: fill it in",
            )
        if pk == [name]:
            book.flag(
                "unique",
                "primary-key",
                [name],
                lambda v, _r, n=name: f"{n} {v!r} is used by another row: IDs must be unique",
            )
        elif cons.get("unique"):
            book.flag(
                "unique",
                "unique",
                [name],
                lambda v, _r, n=name: f"{n} {v!r} appears more than once",
            )
        _declare_type(f, book)
        _declare_constraints(f, book)
    if len(pk) > 1:
        book.flag(
            "key",
            "primary-key",
            pk,
            lambda _v, row: (
                f"another row has the same {', '.join(pk)}: {', '.join(str(row.get(k)) for k in pk)}"
            ),
        )


def _declare_type(f: dict[str, Any], book: CheckBook) -> None:
    name, ftype = f["name"], f.get("type", "string")
    tests: dict[str, Callable[[pl.Expr], pl.Expr]] = {
        "integer": lambda c: c.str.contains(INTEGER),
        "number": lambda c: c.str.contains(NUMBER),
        "boolean": lambda c: c.is_in(
            f.get("trueValues", TRUE_VALUES) + f.get("falseValues", FALSE_VALUES)
        ),
        "date": lambda c: (
            c.str.contains(r"^\d{4}-\d{2}-\d{2}$")
            & c.str.to_date("%Y-%m-%d", strict=False).is_not_null()
        ),
        "year": lambda c: c.str.contains(r"^\d{4}$"),
    }
    if ftype == "string" and f.get("format") == "uri":
        book.add(
            "url-scheme",
            name,
            lambda c: c.str.contains(URL),
            lambda v, _: (
                f"{v!r} is not an http(s) URL: give the full address, "
                "starting with https:// or http://"
            ),
        )
    elif ftype in tests:
        hint = {"date": " (YYYY-MM-DD, a real calendar day)"}.get(ftype, "")
        book.add(
            "type", name, tests[ftype], lambda v, _: f"{name} {v!r} is not a valid {ftype}{hint}"
        )


def _declare_constraints(f: dict[str, Any], book: CheckBook) -> None:
    name, cons = f["name"], f.get("constraints", {})
    if "pattern" in cons:
        pattern = cons["pattern"]
        hint = SLUG_HINT if pattern.startswith("^[a-z0-9]+") else f"expected {pattern}"
        book.add(
            "pattern",
            name,
            lambda c: c.str.contains(f"^(?:{pattern})$"),
            lambda v, _: f"{name} {v!r} has the wrong form: {hint}",
        )
    if "enum" in cons:
        allowed = [str(v) for v in cons["enum"]]
        book.add(
            "enum",
            name,
            lambda c: c.is_in(allowed),
            lambda v, _: (
                f"{name} {v!r} is not allowed: "
                f"{did_you_mean(v, allowed) or 'use one of ' + ', '.join(allowed)}"
            ),
        )
    if "minimum" in cons or "maximum" in cons:
        lo, hi = cons.get("minimum"), cons.get("maximum")
        book.add(
            "range",
            name,
            lambda c: _between(c.cast(pl.Float64, strict=False), lo, hi),
            lambda v, _: f"{name} {v} is out of range [{lo}, {hi}]",
        )
    if "minLength" in cons or "maxLength" in cons:
        shortest, longest = cons.get("minLength", 0), cons.get("maxLength")
        book.add(
            "length",
            name,
            lambda c: _between(c.str.len_chars(), shortest, longest),
            lambda v, _: (
                f"{name} has {len(str(v))} characters; allowed: {shortest} to "
                f"{longest if longest is not None else 'any'}"
            ),
        )


def _between(value: pl.Expr, lo: float | None, hi: float | None) -> pl.Expr:
    ok = pl.lit(True)
    if lo is not None:
        ok = ok & (value >= lo)
    if hi is not None:
        ok = ok & (value <= hi)
    return ok


def bound_names(f: dict[str, Any]) -> tuple[str, str]:
    """Names of the typed bounds a release adds after a partial date: start_date → start_earliest."""
    stem = f["name"].removesuffix("_date")
    return f"{stem}_earliest", f"{stem}_latest"


def enum_values(f: dict[str, Any]) -> list[str] | None:
    enum = f.get("constraints", {}).get("enum")
    return [str(v) for v in enum] if enum else None


def typed_frame(frame: pl.DataFrame, schema: dict[str, Any], strict: bool = True) -> pl.DataFrame:
    """Raw text → typed columns, in schema order, with date bounds after each partial date.

    Releases only ever type validated text, where every cast succeeds (``strict`` makes sure);
    partial dates keep their text (nothing is lost) and gain their earliest and latest day as
    typed dates. ``aesdata fmt`` types text that may not be valid yet: a cell that does not cast
    is then missing, and its text is compared instead.
    """
    from aesdata import dates

    exprs: list[pl.Expr] = []
    for f in schema["fields"]:
        col = pl.col(f["name"])
        exprs.append(_cast(col, f, strict).alias(f["name"]))
        if is_date_field(f):
            lo, hi = bound_names(f)
            exprs += [dates.earliest(col).alias(lo), dates.latest(col).alias(hi)]
    return frame.select(exprs)


def _cast(col: pl.Expr, f: dict[str, Any], strict: bool) -> pl.Expr:
    ftype, enum = f.get("type", "string"), enum_values(f)
    if enum:
        return col.cast(pl.Enum(enum), strict=strict)
    if ftype == "integer":
        return col.cast(pl.Int64, strict=strict)
    if ftype == "number":
        return col.cast(pl.Float64, strict=strict)
    if ftype == "boolean":
        return (
            pl.when(col.is_null()).then(None).otherwise(col.is_in(f.get("trueValues", TRUE_VALUES)))
        )
    if ftype == "date":
        return col.str.to_date("%Y-%m-%d", strict=strict)
    return col


def arrow_schema(typed: pl.DataFrame, schema: dict[str, Any]) -> Any:
    """The Arrow schema of a released table: the typed frame's own types, described.

    Text is ``large_string``, which every Arrow reader knows (not polars' newer string views);
    enums are polars' dictionaries, whose categories are the whole vocabulary in the schema's
    order. Each field carries its title and description, so Parquet files explain themselves.
    """
    import pyarrow as pa

    described = {f["name"]: _field_meta(f) for f in release_fields(schema)}
    native = typed.head(0).to_arrow(compat_level=pl.CompatLevel.newest()).schema
    fields = [
        f.with_type(pa.large_string() if f.type == pa.string_view() else f.type).with_metadata(
            described[f.name]
        )
        for f in native
    ]
    return pa.schema(fields)


def _field_meta(f: dict[str, Any]) -> dict[str, str]:
    return {"title": f.get("title", f["name"]), "description": f.get("description", "")}


def release_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Table Schema fields of a released table: the source fields plus typed date bounds."""
    out = []
    for f in schema["fields"]:
        out.append(f)
        if is_date_field(f):
            lo, hi = bound_names(f)
            for name, what in ((lo, "First"), (hi, "Last")):
                out.append(
                    {
                        "name": name,
                        "title": f"{f.get('title', f['name'])}: {what.lower()} day",
                        "description": f"{what} day {f['name']} can mean (derived).",
                        "type": "date",
                    }
                )
    return out
