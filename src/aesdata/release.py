"""A clean package → a release directory: Parquet, JSON, CSV, descriptor, card, checksums.

The release is flat (every file at the top level, as release assets are) and reproducible: the
same input gives byte-identical files, because nothing depends on the clock (a build date comes
from ``SOURCE_DATE_EPOCH`` or from the data) and every listing is sorted. It is written beside
its destination and renamed into place, so a failed build leaves the previous release untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from aesdata import card, changes, database, manifest
from aesdata.check import Progress, validate_package
from aesdata.figures import render as render_figures
from aesdata.package import Package, open_package
from aesdata.report import Problem, Report
from aesdata.schema import arrow_schema, typed_frame

FIGURE_TABLES = ("events", "entities", "relations")


class BuildError(Exception):
    """The build was refused; ``report`` says why (invalid data, a dropped ID ...)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report or Report()


@dataclass(frozen=True)
class Extras:
    """The optional outputs of a build, beyond the tables, descriptor, card and checksums."""

    archive: bool = False
    sqlite: bool = False
    figures: bool = True


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
    extras = Extras(archive=archive, sqlite=sqlite, figures=figures)
    out = Path(out)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    _clear(staging)
    staging.mkdir(parents=True)
    writer = TableWriter(package, staging, extras, keep_raw=bool(previous))
    try:
        with writer:
            report, _ = validate_package(
                package, today or dt.date.today(), say, keep=False, on_table=writer.table
            )
        if not report.valid:
            raise BuildError("the data does not pass validation: no release was written", report)
        changelog = _changelog(package, writer.raw, previous, say)
        files = _finish(package, writer, changelog, staging, extras, say)
        _swap(staging, out)
    except BaseException:
        _clear(staging)
        raise
    return Release(out, files, changelog)


def _changelog(
    package: Package, raw: dict[str, pl.DataFrame], previous: str | None, say: Progress
) -> dict[str, Any]:
    if not previous:
        return {}
    say("comparing with the previous release")
    changelog = changes.compare(package, raw, changes.previous_release(previous))
    if changelog.get("problems"):
        raise BuildError(
            "IDs were dropped or reused", Report([Problem(**p) for p in changelog["problems"]])
        )
    return changelog


class TableWriter:
    """Types each table that passes its checks and writes it out in the background.

    It keeps only what the rest of the release needs: row counts, the latest date, the card's
    coverage, and whole typed tables only for the figures or the database when they are asked for.
    """

    def __init__(self, package: Package, out: Path, extras: Extras, keep_raw: bool) -> None:
        self.package, self.out, self.extras, self.keep_raw = package, out, extras, keep_raw
        self.digests = manifest.Digests(out)
        self.heights: dict[str, int] = {}
        self.latest: dt.date | None = None
        self.coverage: dict[str, Any] = {}
        self.kept: dict[str, pl.DataFrame] = {}
        self.raw: dict[str, pl.DataFrame] = {}
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.futures: list[Any] = []
        self.writing: list[tuple[list[tuple[Any, str]], int]] = []
        self.in_flight = 0

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        while exc[0] is None and self.writing:
            self._drain_oldest()
        self.pool.shutdown(wait=True, cancel_futures=exc[0] is not None)
        for future in self.futures:
            future.result()

    def table(self, table: Any, clean: bool) -> None:
        if not clean:
            return
        name = table.resource.name
        typed = typed_frame(table.frame, table.resource.schema)
        self._note(name, typed)
        if self.keep_raw:
            self.raw[name] = table.frame
        if self.extras.sqlite or (self.extras.figures and name in FIGURE_TABLES):
            self.kept[name] = typed
        stem = self.out / name
        jobs = [
            (write_parquet, (self.package, name, typed, stem.with_suffix(".parquet"))),
            (typed.write_json, (stem.with_suffix(".json"),)),  # polars streams it to the file
            (shutil.copyfile, (table.resource.path, stem.with_suffix(".csv"))),
        ]
        # Tables are written while the next ones are read, up to a budget of rows in flight:
        # past it the oldest writers finish first, so memory holds a bounded part of the data.
        while self.writing and self.in_flight + typed.height > IN_FLIGHT_ROWS:
            self._drain_oldest()
        futures = [(self.pool.submit(job, *args), Path(args[-1]).name) for job, args in jobs]
        self.writing.append((futures, typed.height))
        self.in_flight += typed.height

    def _drain_oldest(self) -> None:
        """Wait for the oldest table's writers; hash their files in the background."""
        futures, rows = self.writing.pop(0)
        for future, name in futures:
            future.result()
            self.futures.append(self.pool.submit(self.digests.of, name))
        self.in_flight -= rows

    def _note(self, name: str, typed: pl.DataFrame) -> None:
        self.heights[name] = typed.height
        days = [typed.get_column(c).max() for c, t in typed.schema.items() if t == pl.Date]
        known = [d for d in [*days, self.latest] if isinstance(d, dt.date)]
        self.latest = max(known, default=None)
        if name == "events":
            self.coverage = card.coverage(typed)


def _finish(
    package: Package,
    writer: TableWriter,
    changelog: dict[str, Any],
    out: Path,
    extras: Extras,
    say: Progress,
) -> list[str]:
    """Everything written from the tables' files and summaries: bundle, card, figures, database."""
    say("writing the bundle, descriptor and card")
    _write_bundle(package, [res.name for res in package.resources], out)
    if changelog:
        changes.write(changelog, out)
    (out / "README.md").write_text(
        card.render(package, writer.heights, writer.coverage, changelog), encoding="utf-8"
    )
    if extras.figures:
        say("drawing the figures")
        render_figures(writer.kept, out, note=f"Source: {package.name} v{package.version}")
    if extras.sqlite:
        say("writing the SQLite database")
        database.write_sqlite(package, writer.kept, out / f"{package.name}.db")
        database.write_metadata(package, out / "datasette-metadata.json")
    manifest.write_descriptor(package, writer.latest, out, writer.digests)
    if extras.archive:
        say("writing the archive")
        manifest.write_zip(out, out / f"{package.name}-{package.version}.zip")
    manifest.write_checksums(out, writer.digests)
    return sorted(p.name for p in out.iterdir())


def parquet_metadata(package: Package, table: str) -> dict[str, str]:
    res = package.resource(table)
    meta = {
        "package": package.name,
        "version": package.version,
        "table": table,
        "title": res.schema.get("title", table),
    }
    return {"aesdata": json.dumps(meta, ensure_ascii=False, sort_keys=True)}


IN_FLIGHT_ROWS = 1_500_000  # rows whose frames may wait on their writers while more are read
CHUNK = 200_000  # rows converted to Arrow at a time: bounds the memory of the Parquet writer


def write_parquet(package: Package, table: str, frame: pl.DataFrame, dest: Path) -> None:
    """zstd Parquet typed by the Table Schema, with descriptions in the metadata."""
    schema = arrow_schema(package.resource(table).schema, parquet_metadata(package, table))
    with pq.ParquetWriter(dest, schema, compression="zstd") as writer:
        for start in range(0, max(frame.height, 1), CHUNK):
            writer.write_table(frame.slice(start, CHUNK).to_arrow().cast(schema))


def _write_bundle(package: Package, tables: list[str], out: Path) -> None:
    """One JSON file with every table, assembled from the tables' JSON files (no re-encoding)."""
    head = json.dumps(manifest.package_meta(package), ensure_ascii=False, sort_keys=True)
    with (out / f"{package.name}-{package.version}.json").open("wb") as fh:
        fh.write(f'{{"package":{head},"tables":{{'.encode())
        for i, name in enumerate(tables):
            fh.write((("," if i else "") + json.dumps(name) + ":").encode())
            fh.flush()
            _append_file(out / f"{name}.json", fh)
        fh.write(b"}}\n")


def _append_file(source: Path, fh: Any) -> None:
    """Append ``source`` to the open file ``fh``, in the kernel where it can (no Python copy)."""
    with source.open("rb") as part:
        remaining = source.stat().st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(part.fileno(), fh.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except (AttributeError, OSError):
            part.seek(source.stat().st_size - remaining)
            shutil.copyfileobj(part, fh, 1 << 20)
        fh.seek(0, os.SEEK_END)


def _swap(staging: Path, out: Path) -> None:
    """Put the finished release in place; the old one is removed only once the new one is there."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    _clear(old)


def _clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
