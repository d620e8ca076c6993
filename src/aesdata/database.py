"""A release as a SQLite database that Datasette serves as a browsable, searchable site.

Every table keeps its primary and foreign keys and typed columns; events get full-text search
over titles and summaries; ``datasette-metadata.json`` carries titles, descriptions, licence,
sources and column descriptions from the same schemas, so journalists can browse with no code.
"""

from __future__ import annotations

import json
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
    """

    def __init__(self, package: Package, dest: Path) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        _declare(package, dest)
        # Two copies of SQLite (Python's and ADBC's) must never hold one file open at once:
        # each would take and drop the other's POSIX locks. sqlite-utils' connection is closed.
        self.conn = adbc.connect(str(dest), autocommit=True)
        self.cursor = self.conn.cursor()
        # The file is new and discarded if the build fails: no journal or syncs while it is
        # filled, and 64 MiB of page cache (the default is 2 MiB), so that the keys' indexes
        # stay in memory while a million rows go in.
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
            self._run(f"PRAGMA {pragma}")

    def add(self, name: str, frame: pl.DataFrame) -> None:
        """Write table ``name``, dates as ISO text (as sqlite-utils writes them), then index it."""
        rows = frame.with_columns(
            pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
            pl.col(pl.Enum, pl.Categorical).cast(pl.String),
            pl.col(pl.Boolean).cast(pl.Int8),
        )
        self._run("BEGIN")
        self.cursor.adbc_ingest(
            name, rows.to_arrow(compat_level=pl.CompatLevel.newest()), mode="append"
        )
        if name in SEARCHABLE:  # FTS5's own rebuild reads the table once, in C
            self._run(f'INSERT INTO "{name}_fts" ("{name}_fts") VALUES (\'rebuild\')')
        self._run("COMMIT")

    def close(self) -> None:
        """Close the file: every table is in, or the build failed and the file goes with it."""
        self.cursor.close()
        self.conn.close()

    def _run(self, sql: str) -> None:
        self.cursor.execute(sql)
        self.cursor.fetchall()


def _declare(package: Package, dest: Path) -> None:
    """Every table, empty, with its keys, types and full-text index, in dependency order.

    The search index has no triggers: the database is a snapshot of the release, and a trigger
    per row made a million events take 37.7 s, against 13 s to insert them and then rebuild the
    index (``sqlite-utils enable-fts --create-triggers --replace`` adds them to a copy that is to
    be edited).
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
