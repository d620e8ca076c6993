"""Run every layer of validation and merge the results into one :class:`Report`.

The layers: the package itself (descriptor, safe paths), the structure of each CSV (bytes,
quoting, row shape, header), then per table the checks its Table Schema states plus the
cross-column, cross-table and hygiene rules, reported through a generated Pandera schema. Nothing stops at the first problem, and
nothing is written or fetched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from aesdata.checkbook import CheckBook, CheckSpec, pandera_schema
from aesdata.package import DESCRIPTOR, Package, PackageError, open_package
from aesdata.read import Table, read_table
from aesdata.report import DEFAULT_CAP, Problem, Report
from aesdata.rules import declare_link_rules, declare_table_rules, link_columns
from aesdata.schema import declare, typed_frame

if TYPE_CHECKING:
    from aesdata.snapshot import Snapshot

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default progress: say nothing (the CLI passes a printer when a person is watching)."""


def validate(
    path: str | Path = ".",
    today: dt.date | None = None,
    cap: int = DEFAULT_CAP,
    progress: Progress = _quiet,
    rules_of: Snapshot | None = None,
) -> Report:
    """Validate the package at ``path``; never raises for bad input, it reports it.

    With ``rules_of``, the data is held to that other state's schemas (see
    :func:`aesdata.snapshot.with_rules_of`), so that a pull request cannot weaken a rule unseen.
    """
    report = Report(cap=cap)
    try:
        package = open_package(path)
    except PackageError as exc:
        report.extend([Problem(DESCRIPTOR, None, None, "package-json", str(exc))])
        return report
    if rules_of is not None:
        from aesdata.snapshot import with_rules_of

        package = with_rules_of(package, rules_of)
    found, _tables = validate_package(package, today or dt.date.today(), progress, keep=False)
    report.extend(found.problems)
    return report


def validate_package(
    package: Package,
    today: dt.date,
    progress: Progress = _quiet,
    keep: bool = True,
    on_table: Callable[[Table, bool], None] | None = None,
) -> tuple[Report, dict[str, Table]]:
    """Every problem of an opened package, and its tables as read.

    Each table is checked on its own as soon as it is read; the rules across tables run last.
    With ``keep`` false, a table is cut down to its linking columns once checked, so that
    memory holds one whole table at a time rather than all of them; ``on_table`` sees each whole
    table first, with whether it passed its own checks (a build writes it out then).
    """
    problems = list(package.problems) + _unlisted(package)
    links = link_columns({res.name: res.schema for res in package.resources})
    tables = {}
    for res in package.resources:
        progress(f"reading {res.relpath}")
        table, found = read_table(res)
        problems += found
        if table is None:
            continue
        progress(f"checking {res.name}")
        found = _check(table, _table_book(table, today))
        problems += found
        if on_table is not None:
            on_table(table, not found)
        if not keep:
            table.slim(sorted(links.get(res.name, set())), clean=not found)
        tables[res.name] = table
    frames = {name: t.frame for name, t in tables.items()}
    for name, table in tables.items():
        book = CheckBook()
        declare_link_rules(name, table.resource.schema, frames, book)
        problems += _check(table, book)
    return Report(problems), tables


def _table_book(table: Table, today: dt.date) -> CheckBook:
    book = CheckBook()
    declare(table.resource.schema, book)
    declare_table_rules(table.resource.schema, table.frame, book, today, table.line)
    return book


def _check(table: Table, book: CheckBook) -> list[Problem]:
    """Screen ``book`` on the table in one query; let Pandera locate what fails."""
    failing = book.screen(table.frame)
    return _report(failing, table) if failing else []


class InvalidPackage(Exception):
    """The package does not pass validation; ``report`` holds every problem."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary())
        self.report = report


def checked_frames(
    package: Package, today: dt.date | None = None, progress: Progress = _quiet
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Raw (text) and typed frames of a valid package; :class:`InvalidPackage` otherwise."""
    report, tables = validate_package(package, today or dt.date.today(), progress)
    if not report.valid:
        raise InvalidPackage(report)
    raw = {res.name: tables[res.name].frame for res in package.resources}
    typed = {name: typed_frame(frame, package.resource(name).schema) for name, frame in raw.items()}
    return raw, typed


def _report(failing: list[CheckSpec], table: Table) -> list[Problem]:
    """Pandera's lazy validation of the failing checks, turned into located problems."""
    import pandera.polars as pa

    schema = pandera_schema(failing, table.frame.columns)
    found: list[Problem] = []
    try:
        schema.validate(table.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        found = _problems(exc.failure_cases, table, {s.name: s for s in failing})
    located = {(p.rule, p.column) for p in found}
    return found + [
        _unlocated(s, table)
        for s in failing
        if (s.rule, table.column_number(s.field)) not in located and s.rule != "hygiene"
    ]


def _unlocated(spec: CheckSpec, table: Table) -> Problem:
    """A check the screen saw fail but Pandera could not locate: reported, never dropped."""
    return Problem(
        table.resource.relpath,
        None,
        table.column_number(spec.field),
        spec.rule,
        f"{spec.field} fails this rule somewhere in the table, but the rows could not be "
        "located: please report this",
    )


BUILTIN = {
    "not_nullable": "required",
    "field_uniqueness": "unique",
    "multiple_fields_uniqueness": "key",
}


def _problems(cases: pl.DataFrame, table: Table, specs: dict[str, CheckSpec]) -> list[Problem]:
    """Pandera's failure cases → located problems with a message a contributor can act on."""
    file, frame = table.resource.relpath, table.frame
    keys = {
        s.kind if s.kind == "key" else f"{s.kind}:{s.field}": s
        for s in specs.values()
        if s.kind != "check"
    }
    out = []
    for case in cases.iter_rows(named=True):
        index, check = case["index"], case["check"]
        kind = BUILTIN.get(check)
        spec = specs.get(check) or keys.get(kind if kind == "key" else f"{kind}:{case['column']}")
        if spec is None or index is None:
            line = table.line(index) if index is not None else None
            out.append(
                Problem(
                    file,
                    line,
                    table.column_number(case["column"] or ""),
                    "schema",
                    f"{check}: {case['failure_case']}",
                )
            )
            continue
        row: dict[str, Any] = frame.row(index, named=True)
        value = row.get(spec.field) if spec.kind == "key" else case["failure_case"]
        colno = table.column_number(spec.field)
        line = table.line(index)
        out += [
            Problem(file, line, colno, rule, message) for rule, message in spec.explain(value, row)
        ]
    return out


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
