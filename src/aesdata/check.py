"""Run every layer of validation and merge the results into one :class:`Report`.

The layers: the package itself (descriptor, safe paths), the structure of each CSV (bytes,
quoting, row shape, header), then one Pandera schema per table derived from its Table Schema
plus the cross-column, cross-table and hygiene rules. Nothing stops at the first problem, and
nothing is written or fetched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandera.polars as pa
import polars as pl

from aesdata.package import DESCRIPTOR, Package, PackageError, open_package
from aesdata.read import LINE, Table, read_table
from aesdata.report import DEFAULT_CAP, Problem, Report
from aesdata.rules import extra_checks
from aesdata.schema import CheckBook, pandera_schema


def validate(
    path: str | Path = ".", today: dt.date | None = None, cap: int = DEFAULT_CAP
) -> Report:
    """Validate the package at ``path``; never raises for bad input, it reports it."""
    report = Report(cap=cap)
    try:
        package = open_package(path)
    except PackageError as exc:
        report.extend([Problem(DESCRIPTOR, None, None, "package-json", str(exc))])
        return report
    found, _tables = validate_package(package, today or dt.date.today())
    report.extend(found.problems)
    return report


def validate_package(package: Package, today: dt.date) -> tuple[Report, dict[str, Table]]:
    """Every problem of an opened package, and its tables as read (for a build to reuse)."""
    tables, problems = read_tables(package)
    return Report(problems + check_tables(tables, today)), tables


def read_tables(package: Package) -> tuple[dict[str, Table], list[Problem]]:
    """Every resource read as text, with package and structure problems."""
    problems = list(package.problems) + _unlisted(package)
    tables = {}
    for res in package.resources:
        table, found = read_table(res)
        problems += found
        if table is not None:
            tables[res.name] = table
    return tables, problems


def check_tables(tables: dict[str, Table], today: dt.date) -> list[Problem]:
    """Run each table's Pandera schema, with the rules that need the other tables."""
    frames = {name: t.frame for name, t in tables.items()}
    schemas = {name: t.resource.schema for name, t in tables.items()}
    problems = []
    for name, table in tables.items():
        book = CheckBook()
        extra = extra_checks(name, table.resource.schema, frames, schemas, book, today)
        schema = pandera_schema(table.resource.schema, book, extra)
        problems += _run(schema, table, book)
    return problems


def _run(schema: pa.DataFrameSchema, table: Table, book: CheckBook) -> list[Problem]:
    try:
        schema.validate(table.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _problems(exc.failure_cases, table, book)
    return []


def _problems(cases: pl.DataFrame, table: Table, book: CheckBook) -> list[Problem]:
    """Pandera's failure cases → located problems with a message a contributor can act on."""
    file, frame = table.resource.relpath, table.frame
    lines = frame.get_column(LINE)
    pk = table.resource.schema.get("primaryKey", [])
    out = []
    for case in cases.iter_rows(named=True):
        index, column, check = case["index"], case["column"], case["check"]
        row: dict[str, Any] = frame.row(index, named=True) if index is not None else {}
        line = lines[index] if index is not None else None
        if check in book.info:
            info = book.info[check]
            rule, column = info.rule, info.field or column
            message = info.message(case["failure_case"], row)
        else:
            rule, message = _builtin(check, column, case["failure_case"], pk)
        colno = table.column_number(column) if column else None
        out.append(Problem(file, line, colno, rule, message))
    return out


def _builtin(check: str, column: str | None, value: Any, pk: list[str]) -> tuple[str, str]:
    """Pandera's own checks (nullability, uniqueness) in this project's rule vocabulary."""
    if check == "not_nullable":
        return "required", f"{column} is required: fill it in"
    if check == "field_uniqueness" and pk == [column]:
        return "primary-key", f"{column} {value!r} is used by another row: IDs must be unique"
    if check == "field_uniqueness":
        return "unique", f"{column} {value!r} appears more than once"
    if check == "multiple_fields_uniqueness":
        return "primary-key", f"another row has the same {', '.join(pk)}: {value}"
    return "schema", f"{check}: {value}"


def _unlisted(package: Package) -> list[Problem]:
    """CSVs under data/ that the descriptor does not list would be silently left out."""
    paths = [r.get("path") for r in package.descriptor["resources"] if isinstance(r, dict)]
    listed = {(package.root / p).resolve() for p in paths if isinstance(p, str)}
    data = package.root / "data"
    if not data.is_dir():
        return []
    return [
        Problem(
            str(p.relative_to(package.root)),
            None,
            None,
            "unlisted-file",
            f"{p.name} is not listed in {DESCRIPTOR}: add it as a resource or remove it",
        )
        for p in sorted(data.glob("*.csv"))
        if p.resolve() not in listed
    ]
