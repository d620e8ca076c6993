"""A release as a SQLite database that Datasette serves as a browsable, searchable site.

Every table keeps its primary and foreign keys and typed columns; events get full-text search
over titles and summaries (entities and citations over their names and titles);
``datasette-metadata.json`` carries titles, descriptions, licence, sources and column
descriptions from the same schemas, so journalists can browse with no code.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from aesdata.package import Package
from aesdata.schema import foreign_keys, release_fields

SQL_TYPES = {"integer": int, "number": float, "boolean": int}
SEARCHABLE = {
    "events": ["title_en", "title_fr", "summary_en", "summary_fr"],
    "entities": ["name_en", "name_fr", "description"],
    "citations": ["title", "publisher"],
}


class Database:
    """The release's SQLite file, filled table by table as the build hands tables over.

    sqlite-utils declares the tables (keys, foreign keys, types, the full-text index) once, from
    the schemas, before any row goes in. The rows then go straight from Arrow into SQLite through
    ADBC, in C and without the GIL: turning a million events into Python tuples for
    ``executemany`` cost as long as SQLite's own work, and held the GIL the build's other
    threads need. So the database fills on a thread of its own while the next tables are read,
    checked and written, in whatever order they come (SQLite checks no foreign key while filling).
    The search index is built beside it, on a thread and in a file of its own (see
    :class:`SearchIndex`), and copied in when the database is closed.
    """

    def __init__(self, package: Package, dest: Path) -> None:
        with disk_errors(dest):
            _declare(package, dest)
        # Two copies of SQLite (Python's and ADBC's) must never hold one file open at once:
        # each would take and drop the other's POSIX locks. sqlite-utils' connection is closed.
        self.path = dest
        self.conn = _connect(dest)
        self.cursor = self.conn.cursor()
        self.index = SearchIndex(dest.with_name(f"{dest.name}.search"))
        self.closed = False

    def add(self, name: str, frame: pl.DataFrame) -> None:
        """Write table ``name``, dates as ISO text (as sqlite-utils writes them); its search
        index is built meanwhile, from the same rows."""
        rows = frame.with_columns(
            pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
            pl.col(pl.Enum, pl.Categorical).cast(pl.String),
            pl.col(pl.Boolean).cast(pl.Int8),
        )
        if name in SEARCHABLE:
            self.index.add(name, rows.select(SEARCHABLE[name]))
        with disk_errors(self.path):
            _ingest(self.cursor, name, rows)

    def close(self, complete: bool = True) -> None:
        """Close the file; when every table is in (``complete``), with its search index.

        A failed build closes it without the index: the file goes with the staging directory.
        """
        if self.closed:
            return
        self.closed = True
        try:
            if complete:
                with disk_errors(self.path):
                    self.index.copy_into(self.cursor)
        finally:
            self.index.close()
            self.cursor.close()
            self.conn.close()


class SearchIndex:
    """The full-text indexes, built in a file of their own while the rows go into the database.

    Tokenising the titles and summaries is SQLite's largest job (7 of the 11 s a million events
    took), and one connection does one job at a time. So each searchable table's text goes, on a
    thread of its own, into a contentless FTS5 table of the same columns in a second file, with
    the rowids the rows get in the database (1, 2, ... in the order they go in). FTS5 keeps the
    same index for a contentless table as for one over external content, so closing copies its
    shadow tables (the index, the terms and the documents' sizes) into the database's, which
    ``integrity-check`` confirms against the rows (see the tests).
    """

    SHADOWS = ("data", "idx", "docsize")

    def __init__(self, path: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.path = path
        self.pool = ThreadPoolExecutor(max_workers=1)  # one connection, used by this thread only
        self.conn: Any = None
        self.tables: list[str] = []
        self.futures: list[Any] = [self.pool.submit(self._open)]

    def add(self, name: str, text: pl.DataFrame) -> None:
        self.tables.append(name)
        self.futures.append(self.pool.submit(self._index, name, text))

    def copy_into(self, cursor: Any) -> None:
        """Wait for every index, then copy them into the database ``cursor`` writes."""
        for future in self.futures:
            future.result()
        self.pool.submit(self._shut).result()
        path = str(self.path).replace("'", "''")
        _run(cursor, f"ATTACH DATABASE '{path}' AS search")
        _run(cursor, "BEGIN")
        for table in self.tables:
            for shadow in self.SHADOWS:
                name = f'"{table}_fts_{shadow}"'
                _run(cursor, f"DELETE FROM main.{name}")
                _run(cursor, f"INSERT INTO main.{name} SELECT * FROM search.{name}")
        _run(cursor, "COMMIT")
        _run(cursor, "DETACH DATABASE search")

    def close(self) -> None:
        """Let go of the thread, the connection and the file (unfinished indexes are dropped)."""
        for future in self.futures:
            future.cancel()
        self.pool.submit(self._shut).result()
        self.pool.shutdown()
        self.path.unlink(missing_ok=True)

    def _open(self) -> None:
        self.conn = _connect(self.path)

    def _shut(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _index(self, name: str, text: pl.DataFrame) -> None:
        with disk_errors(self.path), self.conn.cursor() as cursor:
            columns = ", ".join(f'"{c}"' for c in text.columns)
            _run(cursor, f"CREATE VIRTUAL TABLE \"{name}_fts\" USING FTS5 ({columns}, content='')")
            rowids = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rowid")
            _ingest(cursor, f"{name}_fts", text.select(rowids, pl.all()))


def _connect(path: Path) -> Any:
    """An ADBC connection to a new file, which is discarded if the build fails: no journal or syncs
    while it is filled, and 64 MiB of page cache (the default is 2 MiB), so that the keys'
    indexes stay in memory while a million rows go in."""
    import adbc_driver_sqlite.dbapi as adbc

    conn = adbc.connect(str(path), autocommit=True)
    with conn.cursor() as cursor:
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
            _run(cursor, f"PRAGMA {pragma}")
    return conn


def _ingest(cursor: Any, table: str, rows: pl.DataFrame) -> None:
    """Append ``rows`` to ``table`` straight from Arrow (text as views: not copied), in one
    transaction."""
    _run(cursor, "BEGIN")
    cursor.adbc_ingest(table, rows.to_arrow(compat_level=pl.CompatLevel.newest()), mode="append")
    _run(cursor, "COMMIT")


def _run(cursor: Any, sql: str) -> None:
    cursor.execute(sql)
    cursor.fetchall()


#: How SQLite words a disk that refuses (its result codes' texts), in its errors and ADBC's.
DISK_ERRORS = {
    "database or disk is full": errno.ENOSPC,
    "attempt to write a readonly database": errno.EROFS,
    "disk I/O error": errno.EIO,
}


@contextlib.contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """Raise SQLite's word for a full or read-only disk as the ``OSError`` it is, so that the
    build reports it like any other (one line, nothing replaced), not as a bug."""
    try:
        yield
    except OSError:
        raise
    except Exception as exc:
        code = next((c for text, c in DISK_ERRORS.items() if text in str(exc)), None)
        if code is None:
            raise
        raise OSError(code, os.strerror(code), str(path)) from exc


def _declare(package: Package, dest: Path) -> None:
    """Every table, empty, with its keys, types and full-text index, in dependency order.

    The search index has no triggers: the database is a snapshot of the release, and a trigger
    per row made a million events take 37.7 s, against 13 s to insert them and then index them
    (``sqlite-utils enable-fts --create-triggers --replace`` adds them to a copy that is to be
    edited). Its shadow tables are filled by :class:`SearchIndex`.
    """
    import sqlite3

    import sqlite_utils

    db = sqlite_utils.Database(sqlite3.connect(dest))
    for res in _ordered(package):
        fields = release_fields(res.schema)
        table = db.table(res.name)
        table.create(
            {f["name"]: SQL_TYPES.get(f.get("type", "string"), str) for f in fields},
            pk=_primary_key(res.schema),
            foreign_keys=foreign_keys(res.name, res.schema),
            not_null={
                f["name"] for f in res.schema["fields"] if f.get("constraints", {}).get("required")
            },
        )
        if res.name in SEARCHABLE:
            table.enable_fts(SEARCHABLE[res.name])
    db.close()


def _primary_key(schema: dict[str, Any]) -> str | tuple[str, ...] | None:
    """sqlite-utils' form: one column's name, or a tuple of several."""
    key = schema.get("primaryKey", [])
    return key[0] if len(key) == 1 else tuple(key) or None


def _ordered(package: Package) -> list[Any]:
    """Resources with the tables they reference first (self-references aside)."""
    done: list[str] = []
    pending = list(package.resources)
    while pending:
        for res in pending:
            needs = {fk["reference"]["resource"] for fk in res.schema.get("foreignKeys", [])} - {
                "",
                res.name,
            }
            if needs <= set(done):
                done.append(res.name)
                pending.remove(res)
                break
        else:
            done += [r.name for r in pending]
            break
    return [package.resource(name) for name in done]


def datasette_metadata(package: Package) -> dict[str, Any]:
    """Titles, descriptions, licence, sources and column descriptions, for ``datasette -m``."""
    d = package.descriptor
    licence = (d.get("licenses") or [{}])[0]
    tables = {}
    for res in package.resources:
        entry = package.entry(res.name)
        tables[res.name] = {
            "title": entry.get("title", res.name),
            "description": entry.get("description", ""),
            "columns": {f["name"]: f.get("description", "") for f in release_fields(res.schema)},
        }
    return {
        "title": d.get("title", package.name),
        "description": d.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": "aesdata: citations table (every fact links to a source)",
        "databases": {package.name: {"tables": tables}},
    }


def write_metadata(package: Package, dest: Path) -> None:
    dest.write_text(
        json.dumps(datasette_metadata(package), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
