"""`aesdata validate`, `fmt` and `diff`: check a package, put it in canonical form, compare two."""

from __future__ import annotations

import sys

import click

from aesdata.cli import (
    FORMATS,
    _lean_arrow,
    _progress,
    main,
    package_path,
)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for pull-request annotations.",
)
@click.option(
    "--max-per-rule",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Problems shown per rule in text and github output (0: all).",
)
@click.option(
    "--schemas-of",
    metavar="REF",
    help="Hold the data to the schemas of REF instead (a directory, release URL or git revision).",
)
def validate(path: str | None, fmt: str, max_per_rule: int, schemas_of: str | None) -> None:
    """Check the package at PATH (a directory or its datapackage.json): every problem, located."""
    from aesdata.check import validate as run
    from aesdata.snapshot import SnapshotError, open_snapshot

    path = package_path(path, "validating")
    _lean_arrow()
    progress = _progress()
    try:
        rules_of = open_snapshot(schemas_of, tables=False) if schemas_of else None
    except SnapshotError as exc:
        click.echo(f"validate failed: {exc}", err=True)
        sys.exit(1)
    report = (
        run(path, cap=max_per_rule, rules_of=rules_of, progress=progress)
        if progress
        else run(path, cap=max_per_rule, rules_of=rules_of)
    )
    click.echo(report.render(fmt))
    sys.exit(report.exit_code)


@main.command("fmt")
@click.argument("path", default=".", type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing each table that is not in canonical form, and why.",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Write nothing; show the changes as a unified diff."
)
def fmt_command(path: str, check: bool, show_diff: bool) -> None:
    """Rewrite the tables of the package at PATH in canonical form (order, encoding, NFC ...)."""
    from aesdata.fmt import FormatError, plan, unified_diff, write
    from aesdata.package import PackageError, open_package

    try:
        package = open_package(path)
        tables = plan(package)
        changed = [t for t in tables if t.changed]
        if show_diff:
            for table in changed:
                click.echo(unified_diff(table), nl=False)
        if not (check or show_diff):
            write(package, tables)
    except FormatError as exc:
        if exc.report.problems:
            click.echo(exc.report.render("text"), err=True)
        click.echo(f"fmt failed: {exc}", err=True)
        sys.exit(1)
    except PackageError as exc:
        click.echo(f"fmt failed: {exc}", err=True)
        sys.exit(1)
    verb = "would reformat" if check or show_diff else "reformatted"
    for table in changed:
        click.echo(f"{table.resource.relpath}: {verb}: {'; '.join(table.reasons)}", err=show_diff)
    tail = "would be reformatted" if check or show_diff else "reformatted"
    click.echo(
        f"{len(changed)} table(s) {tail}, {len(tables) - len(changed)} already canonical",
        err=show_diff,
    )
    if check and changed:
        click.echo("run `aesdata fmt` to put them in canonical form", err=True)
        sys.exit(1)


@main.command()
@click.argument("old")
@click.argument("new", default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown for a pull-request comment (capped to fit), json for tools (everything).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when the version does not follow the changes or an ID was dropped or reused.",
)
def diff(old: str, new: str, fmt: str, check: bool) -> None:
    """Compare OLD with NEW (directories, release URLs or git revisions) by primary key."""
    import json

    from aesdata.changes import id_problems
    from aesdata.compare import compare
    from aesdata.diffview import markdown
    from aesdata.snapshot import SnapshotError, open_snapshot

    try:
        comparison = compare(open_snapshot(old), open_snapshot(new))
    except SnapshotError as exc:
        if exc.report.problems:
            click.echo(exc.report.render("text"), err=True)
        click.echo(f"diff failed: {exc}", err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(markdown(comparison), nl=False)
    if check:
        problems = comparison.version_problems() + [str(p) for p in id_problems(comparison)]
        for problem in problems:
            click.echo(f"diff --check: {problem}", err=True)
        sys.exit(1 if problems else 0)
