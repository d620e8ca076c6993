"""The tables of a release, written as they pass their checks: Parquet, JSON, CSV, the JSON
bundle, and the figures' and the database's share of them.

The build hands each table over as soon as its own checks pass, while the next one is read.
The writers run on threads (polars, ISA-L, SQLite, hashlib and the disk let go of the GIL), so
reading, checking and writing overlap on every core; a bounded number of rows waits on its
writers at any time, so memory holds a part of the data rather than all of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from aesdata import card, database, destination, manifest
from aesdata.figures import COLUMNS as FIGURE_COLUMNS
from aesdata.figures import drawable, load_matplotlib
from aesdata.figures import render as render_figures
from aesdata.package import Package
from aesdata.schema import arrow_schema, typed_frame

if TYPE_CHECKING:
    from aesdata.archive import Archive


@dataclass(frozen=True)
class Extras:
    """The optional outputs of a build, beyond the tables, descriptor, card and checksums."""

    archive: bool = False
    sqlite: bool = False
    figures: bool = True


class TableWriter:
    """Types each table that passes its checks and writes it out in the background.

    It keeps only what the rest of the release needs: row counts, the latest date, the card's
    coverage, and whole typed tables only for the figures or the database when they are asked for.
    Every file is hashed as it is written or read back, never later: the descriptor and the
    checksums only collect the digests.
    """

    def __init__(self, package: Package, out: Path, extras: Extras, keep_raw: bool) -> None:
        self.package, self.out, self.extras, self.keep_raw = package, out, extras, keep_raw
        self.digests = manifest.Digests(out)
        self.bundle = Bundle(package, out, self.digests)
        self.heights: dict[str, int] = {}
        self.latest: dt.date | None = None
        self.coverage: dict[str, Any] = {}
        self.kept: dict[str, pl.DataFrame] = {}
        self.raw: dict[str, pl.DataFrame] = {}
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.in_order = ThreadPoolExecutor(max_workers=1)  # the bundle takes tables in order
        self.flusher = ThreadPoolExecutor(max_workers=1)  # waits on the disk, not on a core
        self.futures: list[Future[Any]] = []
        self.writing: list[tuple[list[Future[Any]], int]] = []
        self.in_flight = 0
        # Each figure is drawn on the drawing thread as soon as its tables are in (the map
        # after the events), while the next tables are checked and written: matplotlib holds the
        # GIL, polars and the writers mostly do not. matplotlib is imported there meanwhile.
        self.drawer = ThreadPoolExecutor(max_workers=1)
        self.drawn: set[str] = set()
        self.note = f"Source: {package.name} v{package.version}"
        if extras.figures:
            self.futures.append(self.drawer.submit(load_matplotlib))
        # The database fills on a thread of its own too, each table as soon as it is typed:
        # SQLite uses one core (without the GIL), and would otherwise start only once everything
        # else is written.
        self.filler = ThreadPoolExecutor(max_workers=1)
        self.database: Future[database.Database] | None = None
        if extras.sqlite:
            dest = out / f"{package.name}.db"
            self.database = self.filler.submit(database.Database, package, dest)
        # The archive takes each table's files as soon as they are written, on the bundle's
        # thread (in order), so that deflating them overlaps the next tables rather than
        # following the whole build. (A thread of its own measured slower: 22.0 s against 20.7 s.)
        self.archive: Archive | None = None
        if extras.archive:
            from aesdata.archive import Archive  # ISA-L comes with the build extra

            stem = f"{package.name}-{package.version}"
            self.archive = Archive(out / f"{stem}.zip", stem, manifest.zip_stamp())

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        failed = exc[0] is not None
        for pool in (
            self.pool,
            self.in_order,
            self.flusher,
            self.drawer,
            self.filler,
        ):
            pool.shutdown(wait=True, cancel_futures=failed)  # each feeds the next
        errors = [] if failed else [e for f in self.futures if (e := f.exception())]
        self.bundle.close(complete=not (failed or errors))
        if errors:
            raise errors[0]

    def close_database(self, complete: bool = True) -> None:
        """Close the database: once every table is in it (``complete``: its search index goes
        in too), or when the build failed and the file goes with the rest of the staging."""
        if self.database is not None and self.database.exception() is None:
            self.database.result().close(complete)

    def finish_archive(self) -> None:
        """The bundle, composed from the tables' deflated pieces, then every other file of the
        release in name order (the checksums, written last, list the archive instead)."""
        if self.archive is None:
            return
        self.archive.compose(self.bundle.path.name, self.bundle.segments)
        for path in sorted(self.out.iterdir()):
            if path.is_file() and path.name not in self.archive.names | {self.archive.name}:
                self.archive.add(path)
        self.archive.close()

    def abandon(self) -> None:
        """Let go of the files still open when the build failed: they go with the staging."""
        self.close_database(complete=False)
        if self.archive is not None:
            self.archive.close(complete=False)

    def table(self, table: Any, clean: bool) -> None:
        if not clean:
            return
        name = table.resource.name
        typed = typed_frame(table.frame, table.resource.schema)
        self._note(name, typed)
        if self.keep_raw:
            self.raw[name] = table.frame
        if self.database is not None:
            self.futures.append(self.filler.submit(self._fill, name, typed))
        if self.extras.figures and name in FIGURE_COLUMNS:  # only the columns they read
            self.kept[name] = typed.select(FIGURE_COLUMNS[name])
        ready = [p for p in drawable(self.kept) if p not in self.drawn]
        if self.extras.figures and ready:
            self.drawn.update(ready)
            self.futures.append(
                self.drawer.submit(
                    render_figures, dict(self.kept), self.out, note=self.note, pictures=ready
                )
            )
        # Tables are written while the next ones are read, up to a budget of rows in flight:
        # past it the oldest writers finish first, so memory holds a bounded part of the data.
        while self.writing and self.in_flight + typed.height > IN_FLIGHT_ROWS:
            self._drain_oldest()
        stem = self.out / name
        parquet, as_json, csv = (stem.with_suffix(s) for s in (".parquet", ".json", ".csv"))
        writers: list[Future[Any]] = [
            self.pool.submit(self._parquet, name, typed, parquet),
            self.pool.submit(typed.write_json, as_json),  # polars streams it to the file
            self.pool.submit(self._copy, table.resource.path, csv),
        ]
        self.futures += writers
        self.futures.append(self.in_order.submit(self._bundle, name, writers[1], as_json))
        if self.archive is not None:
            self.futures.append(
                self.in_order.submit(self._archive, writers, [csv, as_json, parquet])
            )
        self.writing.append((writers, typed.height))
        self.in_flight += typed.height

    def _fill(self, name: str, typed: pl.DataFrame) -> None:
        assert self.database is not None
        self.database.result().add(name, typed)

    def _parquet(self, name: str, typed: pl.DataFrame, dest: Path) -> None:
        self.digests.record(dest.name, *write_parquet(self.package, name, typed, dest))
        self._flush(dest)

    def _copy(self, source: Path, dest: Path) -> None:
        with dest.open("wb") as fh:
            self.digests.record(dest.name, *manifest.copy_digest(source, fh.write))
        self._flush(dest)

    def _bundle(self, name: str, written: Future[Any], part: Path) -> None:
        written.result()
        self.bundle.append(name, part)
        self._flush(part)
        self._flush(self.bundle.path)

    def _archive(self, written: list[Future[Any]], paths: list[Path]) -> None:
        """A table's files into the archive, its JSON's pieces kept for the bundle."""
        assert self.archive is not None
        for future in written:
            future.result()
        for path in sorted(paths):
            self.archive.add(path, keep=path.suffix == ".json")

    def _flush(self, path: Path) -> None:
        """Put a finished file on disk in the background (see :func:`aesdata.destination.durable`)."""
        self.futures.append(self.flusher.submit(destination.fsync, path))

    def _drain_oldest(self) -> None:
        """Wait for the oldest table's writers, so that its frame can be let go."""
        futures, rows = self.writing.pop(0)
        for future in futures:
            future.result()
        self.in_flight -= rows

    def _note(self, name: str, typed: pl.DataFrame) -> None:
        self.heights[name] = typed.height
        days = [typed.get_column(c).max() for c, t in typed.schema.items() if t == pl.Date]
        known = [d for d in [*days, self.latest] if isinstance(d, dt.date)]
        self.latest = max(known, default=None)
        if name == "events":
            self.coverage = card.coverage(typed)


def parquet_metadata(package: Package, table: str) -> dict[str, str]:
    res = package.resource(table)
    meta = {
        "package": package.name,
        "version": package.version,
        "table": table,
        "title": res.schema.get("title", table),
    }
    return {"aesdata": json.dumps(meta, ensure_ascii=False, sort_keys=True)}


IN_FLIGHT_ROWS = 1_000_000  # rows whose frames may wait on their writers while more are read


def write_parquet(package: Package, table: str, frame: pl.DataFrame, dest: Path) -> tuple[int, str]:
    """zstd Parquet typed by the Table Schema, with descriptions in the metadata; its size and
    SHA-256.

    Polars' own writer encodes the columns in parallel straight from the frame: at a million
    events it takes a third of the time of converting to Arrow and writing with pyarrow. It
    encodes into memory (compressed: 25 MB for a million events), and Python writes the file:
    polars words a full or read-only disk in errors of its own, which would read as a bug, where
    Python's ``OSError`` reads as the disk's. The bytes are hashed there, never read back.
    """
    meta = parquet_metadata(package, table)
    schema = arrow_schema(frame, package.resource(table).schema)
    encoded = io.BytesIO()
    frame.write_parquet(encoded, compression="zstd", arrow_schema=schema, metadata=meta)
    data = encoded.getbuffer()
    with dest.open("wb") as fh:
        fh.write(data)
    return len(data), hashlib.sha256(data).hexdigest()


class Bundle:
    """``<name>-<version>.json``: the metadata and every table, assembled as the tables land.

    Each table's JSON is read back once, while the page cache still holds it, and the same bytes
    are hashed for the table's file, hashed for the bundle and appended to it. So the bundle, as
    big as all the JSON together, is never read again to be hashed, and its assembly overlaps the
    reading of the next tables instead of following them. ``segments`` says what it is made
    of, texts and the tables' files in order, so that the archive can compose it from the
    pieces it deflated for those files.
    """

    def __init__(self, package: Package, out: Path, digests: manifest.Digests) -> None:
        self.path = out / f"{package.name}-{package.version}.json"
        self.digests, self.hash, self.size = digests, hashlib.sha256(), 0
        self.segments: list[bytes | Path] = []
        self.fh = self.path.open("wb")
        head = json.dumps(manifest.package_meta(package), ensure_ascii=False, sort_keys=True)
        self._text(f'{{"package":{head},"tables":{{')

    def append(self, table: str, part: Path) -> None:
        after_one = any(isinstance(s, Path) for s in self.segments)
        self._text(("," if after_one else "") + json.dumps(table) + ":")
        self.digests.record(part.name, *manifest.copy_digest(part, self._write))
        self.segments.append(part)

    def close(self, complete: bool) -> None:
        """Close the file; a complete bundle gets its ending and its digest."""
        if complete:
            self._text("}}\n")
            self.digests.record(self.path.name, self.size, self.hash.hexdigest())
        self.fh.close()

    def _text(self, text: str) -> None:
        data = text.encode()
        self.segments.append(data)
        self._write(data)

    def _write(self, data: bytes | memoryview) -> None:
        self.hash.update(data)
        self.size += len(data)
        self.fh.write(data)
