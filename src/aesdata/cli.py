"""The ``aesdata`` command: parse arguments, call one library function, print, choose the exit code.

Heavy libraries (polars, pandera, pyarrow) are imported inside the commands that need them, so
that ``aesdata --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

FORMATS = ["text", "json", "github"]
# Arrow's jemalloc pool, told to return freed memory quickly, keeps the peak about a third lower
# on a million events than the default pool (see docs/performance.md).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
# No command does linear algebra; numpy only comes in with pyarrow, and OpenBLAS would start a
# thread per core that spins for a while, taking CPU from the readers and writers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ARROW_DECAY_MS = 100  # at once (0) costs a quarter of a second more of page faults at 1M events


def _stopped(signum: int, _frame: object) -> None:
    """Turn a termination signal into an exit that unwinds, so that nothing half-built stays."""
    raise SystemExit(128 + signum)


def _lean_arrow() -> None:
    """Have Arrow's jemalloc give freed pages back soon (where Arrow has jemalloc)."""
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):
        pa.jemalloc_set_decay_ms(ARROW_DECAY_MS)


class Guarded(click.Group):
    """Every failure reaches the user as one line and an exit code, never as a traceback.

    The commands handle the library's own errors; this catches what is left: the operating
    system's (a full disk, a permission), an interruption, and anything unexpected, which is
    worth a report (``AESDATA_DEBUG=1`` shows its traceback).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted: nothing half-written was left behind")
        except BrokenPipeError:  # the reader stopped reading (| head): nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")
        except Exception as exc:
            if os.environ.get("AESDATA_DEBUG") == "1":
                raise
            _fail(
                f"unexpected error: {type(exc).__name__}: {exc}. This is a bug: please report "
                "it with the command you ran (AESDATA_DEBUG=1 shows the traceback)"
            )


def needs(module: str, what: str) -> None:
    """Exit 1 with the extra to install when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        _fail(f"{what} need {module}, which is not installed: pip install 'aesdata[build]'")


def _fail(message: str) -> None:
    click.echo(f"aesdata: {message}", err=True)
    sys.exit(1)


def _versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the toolkit's and the bundled data edition's, which are two things."""
    if not value or ctx.resilient_parsing:
        return
    from aesdata.edition import data_version, toolkit_version
    from aesdata.load import LoadError

    try:
        edition = data_version()
    except LoadError:
        edition = "none bundled"
    click.echo(f"aesdata {toolkit_version()} (toolkit); data edition {edition}")
    ctx.exit()


def package_path(path: str | None, verb: str) -> str:
    """PATH when given; else the package in the current directory; else the bundled edition.

    The bundled edition is named on stderr, so that nobody mistakes it for their own package.
    """
    from pathlib import Path

    from aesdata.edition import bundled, data_version

    if path is not None:
        return path
    if Path("datapackage.json").is_file():
        return "."
    edition = bundled()
    click.echo(f"aesdata: {verb} the bundled edition {data_version()} ({edition})", err=True)
    return str(edition)


@click.group(cls=Guarded)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_versions,
    help="Show the toolkit's and the bundled data edition's versions, and exit.",
)
def main() -> None:
    """aesdata: check and release the open dataset on the Alliance of Sahel States."""


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


def _valid_package(path: str, command: str) -> tuple[Any, dict[str, Any]]:
    """The package at ``path`` and its typed tables; exit 1 with the problems when invalid."""
    from aesdata.check import InvalidPackage, checked_frames
    from aesdata.package import PackageError, open_package

    try:
        package = open_package(path)
        return package, checked_frames(package)[1]
    except InvalidPackage as exc:
        click.echo(exc.report.render("text"), err=True)
    except PackageError as exc:
        click.echo(f"{command} failed: {exc}", err=True)
    sys.exit(1)


def _progress() -> Callable[[str], None] | None:
    """Progress lines on stderr for a person at a terminal; silent in CI and when piped."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    return lambda message: click.echo(f"aesdata: {message} ...", err=True)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--out",
    "out",
    default="dist",
    show_default=True,
    type=click.Path(),
    help="Release directory: a new path, an empty directory or a previous release (replaced atomically).",
)
@click.option(
    "--previous",
    metavar="DIR_OR_URL",
    help="The previous release, for the changelog and the check that no ID was dropped.",
)
@click.option("--archive", is_flag=True, help="Also write a zip of the whole release.")
@click.option("--sqlite", is_flag=True, help="Also write a SQLite database and Datasette metadata.")
@click.option(
    "--figures/--no-figures",
    default=True,
    show_default=True,
    help="Draw the timeline, map, memberships and tolls figures into the release.",
)
def build(
    path: str | None, out: str, previous: str | None, archive: bool, sqlite: bool, figures: bool
) -> None:
    """Build a versioned release of the package at PATH: Parquet, JSON, CSV, descriptor, checksums."""
    from aesdata.load import LoadError
    from aesdata.package import PackageError
    from aesdata.release import BuildError
    from aesdata.release import build as run

    path = package_path(path, "building")
    if figures:
        needs("matplotlib", "figures (drawn by default; --no-figures skips them)")
    if sqlite:
        needs("sqlite_utils", "--sqlite")
    _lean_arrow()
    signal.signal(signal.SIGTERM, _stopped)  # a killed build cleans up like an interrupted one
    try:
        release = run(
            path,
            out,
            previous=previous,
            archive=archive,
            sqlite=sqlite,
            figures=figures,
            progress=_progress(),
        )
    except BuildError as exc:
        if exc.report.problems:
            click.echo(exc.report.render("text"), err=True)
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    except (LoadError, PackageError) as exc:
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {len(release.files)} files to {release.path}")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Where to write the data dictionary [default: the package's docs/data-dictionary.md].",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the file is missing or stale."
)
def docs(path: str | None, out: str | None, check: bool) -> None:
    """Write the data dictionary of the package at PATH, generated from its schemas."""
    from pathlib import Path

    from aesdata.dictionary import is_dictionary, render
    from aesdata.package import PackageError, open_package

    path = package_path(path, "checking the data dictionary of" if check else "documenting")
    try:
        package = open_package(path)
        text = render(package)
    except PackageError as exc:
        click.echo(f"docs failed: {exc}", err=True)
        sys.exit(1)
    target = Path(out) if out else package.root / "docs" / "data-dictionary.md"
    out = str(target)
    if check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            click.echo(f"{out} is stale: run `aesdata docs` and commit it", err=True)
            sys.exit(1)
        click.echo(f"{out} is up to date")
        return
    if target.exists() and not is_dictionary(target):
        click.echo(
            f"docs failed: {out} exists and is not a data dictionary written by `aesdata docs`; "
            "refusing to replace it: choose another --out",
            err=True,
        )
        sys.exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def stats(path: str | None, fmt: str) -> None:
    """Print statistics of the package at PATH: rows, years, types, precision, sources."""
    import json

    from tabulate import tabulate

    from aesdata.stats import compute

    _package, typed = _valid_package(package_path(path, "describing"), "stats")
    tables = compute(typed)
    if fmt == "json":
        click.echo(json.dumps(tables, ensure_ascii=False, indent=2, default=str))
        return
    for table in tables:
        click.echo(f"{table['title']}\n{tabulate(table['rows'], headers=table['columns'])}\n")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--out",
    default="docs/figures",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the PNG and SVG figures.",
)
def figures(path: str | None, out: str) -> None:
    """Draw the timeline, map, memberships and tolls figures of the package at PATH."""
    from pathlib import Path

    needs("matplotlib", "figures")
    from aesdata.figures import render

    package, typed = _valid_package(package_path(path, "drawing"), "figures")
    names = render(typed, Path(out), note=f"Source: {package.name} v{package.version}")
    stems = ", ".join(dict.fromkeys(n.rsplit(".", 1)[0] for n in names))
    click.echo(f"wrote {len(names)} files to {out}: {stems}, as PNG and SVG")


@main.command()
@click.argument("version", default="latest")
@click.option(
    "--out",
    type=click.Path(),
    help="Put the release in this directory (new, empty, or a previous release) instead of the cache.",
)
def download(version: str, out: str | None) -> None:
    """Download a published release (VERSION, 'latest' or a release URL), verified, every file.

    Versions are resolved against AESDATA_RELEASES_URL; the release goes to the cache that
    aesdata.load reads (AESDATA_CACHE, ~/.cache/aesdata), or to --out.
    """
    from aesdata.load import LoadError, download_release

    try:
        path = download_release(version, out, progress=_bytes_progress())
    except LoadError as exc:
        click.echo(f"download failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"downloaded release {path.name if out is None else version} to {path}")


def _bytes_progress() -> Callable[[str, int, int | None], None] | None:
    """A line per file, rewritten as bytes arrive, for a person at a terminal."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(name: str, done: int, total: int | None) -> None:
        of = f" of {total / 1e6:.1f}" if total else ""
        click.echo(f"\raesdata: {name}: {done / 1e6:.1f}{of} MB ", err=True, nl=False)

    return show
