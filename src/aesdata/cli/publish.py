"""`aesdata build` and `download`: write a release, fetch a published one."""

from __future__ import annotations

import signal
import sys

import click

from aesdata.cli import (
    _bytes_progress,
    _lean_arrow,
    _progress,
    _stopped,
    main,
    needs,
    package_path,
)


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
    if archive:
        needs("isal", "--archive")
    if sqlite:
        needs("sqlite_utils", "--sqlite")
        needs("adbc_driver_sqlite", "--sqlite")
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
