"""A clean package → a release directory: Parquet, JSON, CSV, descriptor, card, checksums.

The release is flat (every file at the top level, as release assets are) and reproducible: the
same input gives byte-identical files, because nothing depends on the clock (a build date comes
from ``SOURCE_DATE_EPOCH`` or from the data) and every listing is sorted. It is written beside
its destination, flushed to disk and renamed into place, so a failed build leaves the previous
release untouched and a power cut cannot leave a release of empty files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from aesdata import card, changes, database, destination, manifest
from aesdata.check import Progress, validate_package
from aesdata.compare import Comparison
from aesdata.figures import PICTURES
from aesdata.figures import render as render_figures
from aesdata.package import Package, open_package
from aesdata.report import Report, ReportedError
from aesdata.snapshot import SnapshotError
from aesdata.writer import Extras, TableWriter


class BuildError(ReportedError):
    """The build was refused; ``report`` says why (invalid data, a dropped ID ...)."""


@dataclass
class Release:
    """What a build wrote: the directory, its files, and the changes since the previous one."""

    path: Path
    files: list[str] = field(default_factory=list)
    changelog: dict[str, Any] = field(default_factory=dict)


def build(
    path: str | Path = ".",
    out: str | Path = "dist",
    previous: str | None = None,
    archive: bool = False,
    sqlite: bool = False,
    figures: bool = True,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> Release:
    """Validate the package at ``path`` and write its release to ``out`` atomically.

    Each table is written to the staging directory as soon as it passes its own checks, while
    the next one is read; the staging directory only becomes the release once every check
    across tables has passed too.
    """
    say = progress or (lambda _msg: None)
    package = open_package(path)
    out = Path(out)
    try:
        destination.check(package, out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with destination.locked(out):
            destination.sweep_stale(out)
            files, changelog = _build(
                package, out, previous, Extras(archive, sqlite, figures), say, today
            )
    except destination.DestinationError as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(
            f"cannot write the release to {out}: {exc.strerror or exc}{where}; nothing was replaced"
        ) from None
    return Release(out, files, changelog)


def _build(
    package: Package,
    out: Path,
    previous: str | None,
    extras: Extras,
    say: Progress,
    today: dt.date | None,
) -> tuple[list[str], dict[str, Any]]:
    """Write the release into a staging directory beside ``out``, then swap it into place."""
    staging = destination.staging_dir(out)
    writer: TableWriter | None = None
    try:
        staging.mkdir()
        writer = TableWriter(package, staging, extras, keep_raw=bool(previous))
        with writer:
            report, _ = validate_package(
                package, today or dt.date.today(), say, keep=False, on_table=writer.table
            )
        if not report.valid:
            raise BuildError("the data does not pass validation: no release was written", report)
        comparison = _changelog(package, writer.raw, previous, say)
        files = _finish(package, writer, comparison, staging, extras, say)
        changelog = comparison.to_dict() if comparison else {}
        destination.durable(staging)
        destination.check(package, out)  # still replaceable: nothing was put there meanwhile
        with destination.signals_held():
            destination.swap(staging, out)
    except BaseException:
        if writer is not None:
            writer.abandon()
        destination.clear(staging)
        raise
    return files, changelog


def _changelog(
    package: Package, raw: dict[str, pl.DataFrame], previous: str | None, say: Progress
) -> Comparison | None:
    """The comparison with the previous release; refused when an ID or the version breaks a rule."""
    if not previous:
        return None
    say("comparing with the previous release")
    try:
        comparison = changes.against_previous(package, raw, previous)
    except SnapshotError as exc:
        raise BuildError(f"the previous release cannot be read: {exc}", exc.report) from None
    problems = changes.id_problems(comparison)
    if problems:
        raise BuildError("IDs were dropped or reused", Report(problems))
    versions = comparison.version_problems(release=True)
    if versions:
        raise BuildError("; ".join(versions))
    return comparison


def _finish(
    package: Package,
    writer: TableWriter,
    comparison: Comparison | None,
    out: Path,
    extras: Extras,
    say: Progress,
) -> list[str]:
    """Everything written from the tables' files and summaries: bundle, card, figures, database."""
    say("writing the descriptor and card")
    if comparison:
        changes.write(comparison, out)
    (out / "README.md").write_text(
        card.render(package, writer.heights, writer.coverage, comparison), encoding="utf-8"
    )
    rest = [name for name in PICTURES if name not in writer.drawn]
    if extras.figures and rest:  # a figure's table was missing: drawn here, as it can be
        say("drawing the figures")
        render_figures(writer.kept, out, note=writer.note, pictures=rest)
    if extras.sqlite:
        say("finishing the SQLite database")  # filled as the tables came
        writer.close_database()
        database.write_metadata(package, out / "datasette-metadata.json")
    manifest.write_descriptor(package, writer.latest, out, writer.digests)
    if extras.archive:
        say("finishing the archive")  # the tables' files went in as they were written
        writer.finish_archive()
    manifest.write_checksums(out, writer.digests)
    return sorted(p.name for p in out.iterdir())
