"""The canonical form of each table, so that a pull request's diff reads as a list of changed facts.

What a spreadsheet or an editor changes without meaning to (row order, column order, a BOM, CRLF
line endings, blank lines, text typed in another Unicode form, a stray space at either end of a
text, quoting) is put back; nothing else is touched. The canonical form is the one the shipped
files are written in: fields in schema order, rows sorted by the schema's ``rowOrder`` (by
default the primary key, by text), written by Python's ``csv`` module with minimal quoting and LF
line endings, as UTF-8 without BOM.

A formatter must never change a fact, so before a file is replaced its canonical form is read
back with the validator's own reader and compared with what was read: the rows, as text and as
typed values, must be the same set once normalised, and formatting it again must change nothing.
A file the reader cannot parse (bad bytes, a stray quote, a ragged row, an unknown column) is
refused with the reader's located problems: guessing would risk a fact.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from aesdata.package import Package, Resource
from aesdata.read import read_table
from aesdata.report import Problem, Report, ReportedError
from aesdata.schema import typed_frame

# Problems of the file's layout that the canonical form removes; a header problem is one when
# the header names every field once, in another order.
FIXES = {
    "bom": "a byte-order mark",
    "line-ending": "CRLF line endings",
    "blank-row": "blank lines",
}


class FormatError(ReportedError):
    """The package was not formatted; ``report`` holds the problems that stopped it."""


@dataclass(frozen=True)
class Formatted:
    """One table: its bytes as found, in canonical form, and what differs between them."""

    resource: Resource
    before: bytes
    after: bytes
    reasons: tuple[str, ...]
    rows: pl.DataFrame = dataclasses.field(repr=False, compare=False)  # as read, normalised

    @property
    def changed(self) -> bool:
        return self.before != self.after


def plan(package: Package) -> list[Formatted]:
    """The canonical form of every table of ``package``; nothing is written.

    Raises :class:`FormatError` with every located problem when any table cannot be parsed, so
    that a package is formatted whole or not at all.
    """
    problems = list(package.problems)
    found = []
    for res in package.resources:
        result = _canonical(package, res)
        if isinstance(result, list):
            problems += result
        else:
            found.append(result)
    if problems:
        raise FormatError(
            "cannot format what cannot be read: fix these problems first; nothing was written",
            Report(problems),
        )
    return found


def write(package: Package, tables: list[Formatted]) -> list[Formatted]:
    """Replace each changed table by its canonical form, atomically; return those replaced.

    Every new file is written beside its table and verified first; only when all of them are
    verified are they renamed into place, so a refusal leaves every table as it was.
    """
    changed = [t for t in tables if t.changed]
    with contextlib.ExitStack() as stack:
        staged = [stack.enter_context(_staged(t)) for t in changed]
        for table, temp in zip(changed, staged, strict=True):
            _verify(package, table, temp)
        for table, temp in zip(changed, staged, strict=True):
            os.replace(temp, table.resource.path)
    return changed


def _canonical(package: Package, res: Resource) -> Formatted | list[Problem]:
    """A table's canonical form, or the problems that keep it from being read."""
    before = res.path.read_bytes()
    table, problems = read_table(res)
    blocking = [p for p in problems if not fixable(p, res, table.header if table else [])]
    if table is None or blocking:
        return blocking or problems
    reasons = [FIXES[p.rule] for p in problems if p.rule in FIXES]
    if table.header != res.field_names:
        reasons.append("columns out of schema order")
    frame = table.frame.select(res.field_names)
    normal = normalised(frame, res)
    reasons += _text_reasons(frame, normal, res)
    ordered = normal.sort(row_order(package, res), maintain_order=True, nulls_last=False)
    if not ordered.equals(normal):
        reasons.append(f"rows not sorted by {', '.join(_order_fields(res))}")
    after = render(ordered, res.field_names)
    if before and not before.endswith((b"\n", b"\r")):
        reasons.append("no line break at the end")
    if after != before and not reasons:
        reasons.append("quoting other than the csv module's")
    return Formatted(res, before, after, tuple(dict.fromkeys(reasons)), normal)


def fixable(problem: Problem, res: Resource, header: list[str]) -> bool:
    """Whether the canonical form removes ``problem``: the file can be read despite it."""
    if problem.rule == "header":
        return sorted(header) == sorted(res.field_names)
    return problem.rule in FIXES


def text_fields(res: Resource) -> list[str]:
    """The fields whose cells are text: the ones put in NFC."""
    return [f["name"] for f in res.schema["fields"] if f.get("type", "string") == "string"]


def normalised(frame: pl.DataFrame, res: Resource) -> pl.DataFrame:
    """Text in NFC, every cell without leading or trailing whitespace; a cell left empty is missing.

    NFC and NFD are the same text to every reader but a byte comparison. Whitespace at either
    end is kept only where the schema allows it, that is where the field's pattern or enum
    accepts the value with its spaces; nowhere else does it carry meaning: free text fails the
    ``whitespace`` rule with it, IDs, codes and vocabularies their pattern or enum, and numbers,
    dates and booleans their type.
    """
    text = set(text_fields(res))
    exprs = []
    for f in res.schema["fields"]:
        name = f["name"]
        cell = pl.col(name).str.normalize("NFC") if name in text else pl.col(name)
        clean = cell.str.strip_chars()
        admitted = _admits(f, cell)
        if admitted is not None:
            clean = pl.when(admitted).then(cell).otherwise(clean)
        exprs.append(pl.when(clean == "").then(None).otherwise(clean).alias(name))
    return frame.with_columns(exprs)


def _admits(f: dict[str, Any], cell: pl.Expr) -> pl.Expr | None:
    """Whether the field's own constraints accept the cell as it is (spaces included)."""
    cons = f.get("constraints", {})
    tests = []
    if "pattern" in cons:
        tests.append(cell.str.contains(f"^(?:{cons['pattern']})$"))
    if "enum" in cons:
        tests.append(cell.is_in([str(v) for v in cons["enum"]]))
    return pl.all_horizontal(tests) if tests else None


def _text_reasons(frame: pl.DataFrame, normal: pl.DataFrame, res: Resource) -> list[str]:
    text = set(text_fields(res))
    nfc = whitespace = 0
    for name in normal.columns:
        raw = frame.get_column(name)
        composed = raw.str.normalize("NFC") if name in text else raw
        nfc += int(raw.ne_missing(composed).sum())
        whitespace += int(composed.ne_missing(normal.get_column(name)).sum())
    counts = {"not in Unicode NFC": nfc, "with leading or trailing whitespace": whitespace}
    return [f"{n} cell(s) {what}" for what, n in counts.items() if n]


def _order_fields(res: Resource) -> list[str]:
    declared = res.schema.get("rowOrder")
    if declared:
        return [step["field"] for step in declared]
    return list(res.schema.get("primaryKey", [])) or res.field_names


def row_order(package: Package, res: Resource) -> list[pl.Expr]:
    """The sort keys of a table: its ``rowOrder`` if declared, else its primary key, by text.

    A ``rowOrder`` step with ``enumOf`` ranks its field's values in the order of another
    field's enum (event types follow the vocabulary of ``events.event_type``, the order that
    releases give its categories); a value outside it sorts after, by text.
    """
    keys: list[pl.Expr] = []
    for step in res.schema.get("rowOrder") or [{"field": f} for f in _order_fields(res)]:
        col = pl.col(step["field"])
        vocabulary = _enum_of(package, step.get("enumOf"))
        if vocabulary:
            ranks = list(range(len(vocabulary)))
            keys.append(col.replace_strict(vocabulary, ranks, default=len(vocabulary)))
        keys.append(col)
    return keys


def _enum_of(package: Package, ref: dict[str, str] | None) -> list[str]:
    if not ref:
        return []
    try:
        field = package.resource(ref["resource"]).field(ref["field"])
    except (KeyError, StopIteration):
        return []
    return [str(v) for v in field.get("constraints", {}).get("enum", [])]


def render(frame: pl.DataFrame, header: list[str]) -> bytes:
    """The file's bytes as the csv module writes them: minimal quoting, LF, UTF-8 without BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in frame.iter_rows())
    return out.getvalue().encode("utf-8")


def unified_diff(table: Formatted) -> str:
    """What formatting changes in a table, as ``diff -u`` shows it (a BOM and CRs made visible)."""
    name = table.resource.relpath

    def lines(data: bytes) -> list[str]:
        text = data.decode("utf-8", errors="replace").replace("\ufeff", "<BOM>")
        parts = text.replace("\r", "<CR>").split("\n")
        last = parts.pop()
        return [f"{line}\n" for line in parts] + ([f"{last}<no newline at end>\n"] if last else [])

    return "".join(
        difflib.unified_diff(lines(table.before), lines(table.after), f"a/{name}", f"b/{name}")
    )


@contextlib.contextmanager
def _staged(table: Formatted) -> Iterator[Path]:
    """The canonical bytes in a hidden file beside the table, on disk; removed unless renamed."""
    target = table.resource.path
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".fmt", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(table.after)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, target.stat().st_mode & 0o7777)
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def _verify(package: Package, table: Formatted, temp: Path) -> None:
    """The staged file holds the same facts, and is a fixed point of formatting."""
    res = table.resource
    staged = dataclasses.replace(res, path=temp)
    again = _canonical(package, staged)
    reread, problems = read_table(staged)
    if reread is None or problems or isinstance(again, list):
        raise FormatError(f"{res.relpath}: its canonical form does not read back: not written")
    before, after = table.rows, reread.frame
    same_text = _as_set(before).equals(_as_set(after))
    same_types = _as_set(typed_frame(before, res.schema, strict=False)).equals(
        _as_set(typed_frame(after, res.schema, strict=False))
    )
    if not (same_text and same_types):
        raise FormatError(f"{res.relpath}: its canonical form changes the rows: not written")
    if again.changed:
        raise FormatError(f"{res.relpath}: formatting its canonical form again changes it")


def _as_set(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows in one fixed order, so two frames compare as collections of rows."""
    return frame.sort(frame.columns, nulls_last=False, maintain_order=True)
