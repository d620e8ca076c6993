"""The SQLite release: keys, types, full-text search, and Datasette serving it to a real browser."""

from __future__ import annotations

import csv
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aesdata.database import SEARCHABLE
from aesdata.release import build

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVENT_TITLE = "Liptako-Gourma Charter signed"


@pytest.fixture(scope="module")
def sqlite_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import make_package

    src = make_package(tmp_path_factory.mktemp("src") / "pkg")
    return build(src, tmp_path_factory.mktemp("rel") / "release", sqlite=True).path


def connect(release: Path) -> sqlite3.Connection:
    return sqlite3.connect(release / "aesdata.db")


def test_tables_keep_their_keys_and_types(sqlite_release: Path) -> None:
    db = connect(sqlite_release)
    fks = {(r[3], r[2], r[4]) for r in db.execute("pragma foreign_key_list(events)")}
    assert ("place_id", "entities", "entity_id") in fks
    pk = [r[1] for r in db.execute("pragma table_info(event_actors)") if r[5]]
    assert pk == ["event_id", "entity_id", "role"]
    types = {r[1]: r[2] for r in db.execute("pragma table_info(entities)")}
    assert (types["latitude"], types["entity_id"]) == ("REAL", "TEXT")
    assert db.execute("select count(*) from events").fetchone()[0] == 1
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_tables_handed_over_in_any_order_keep_their_rows_keys_and_search(
    sqlite_release: Path, tmp_path: Path
) -> None:
    """The build hands tables over as they are checked, a table before those it references."""
    import polars as pl

    from aesdata.database import Database
    from aesdata.package import open_package

    package = open_package(sqlite_release)
    frames = {
        r.name: pl.read_parquet(sqlite_release / f"{r.name}.parquet") for r in package.resources
    }
    db = Database(package, tmp_path / "out.db")
    db.add("claims", frames["claims"])  # references events, citations, relations, entities
    for name in reversed(list(frames)):
        if name != "claims":
            db.add(name, frames[name])
    db.close()
    written = sqlite3.connect(tmp_path / "out.db")
    for name, frame in frames.items():
        assert written.execute(f'select count(*) from "{name}"').fetchone()[0] == frame.height
    fks = {r[2] for r in written.execute("pragma foreign_key_list(claims)")}
    assert {"events", "citations", "relations", "entities"} <= fks
    assert written.execute("pragma foreign_key_check").fetchall() == []
    assert written.execute("pragma integrity_check").fetchall() == [("ok",)]
    found = written.execute("select count(*) from events_fts where events_fts match 'charter'")
    assert found.fetchone()[0] > 0
    for table in SEARCHABLE:  # the index built beside the rows agrees with them, row by row
        written.execute(f"insert into {table}_fts({table}_fts, rank) values ('integrity-check', 1)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.db"]  # the index's file is gone


def test_the_search_index_is_checked_against_the_rows(sqlite_release: Path, tmp_path: Path) -> None:
    """FTS5's integrity-check, the one the test above relies on, fails on a row the index
    does not match."""
    shutil.copy(sqlite_release / "aesdata.db", tmp_path / "copy.db")
    db = sqlite3.connect(tmp_path / "copy.db")
    check = "insert into events_fts(events_fts, rank) values ('integrity-check', 1)"
    db.execute(check)
    db.execute("update events set title_en = 'Something else entirely'")  # no trigger
    with pytest.raises(sqlite3.DatabaseError):
        db.execute(check)


def test_a_build_that_fails_leaves_no_database(mini: Path, tmp_path: Path) -> None:
    from aesdata.release import BuildError

    path = mini / "data" / "claims.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",supports,", ",backs,", 1))
    with pytest.raises(BuildError):  # the tables before claims were in the database already
        build(mini, tmp_path / "release", sqlite=True)
    assert [p.name for p in tmp_path.iterdir()] == [mini.name]  # no release, no staging


@pytest.mark.parametrize(
    "table", ["entities", "events", "citations", "event_actors", "relations", "claims"]
)
def test_every_cell_round_trips_through_sqlite(sqlite_release: Path, table: str) -> None:
    from aesdata.schema import TRUE_VALUES

    with (sqlite_release / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh))
    db = connect(sqlite_release)
    db.row_factory = sqlite3.Row
    stored = db.execute(f"select * from {table} order by rowid").fetchall()
    assert len(stored) == len(source) > 0
    for row, got in zip(source, stored, strict=True):
        for name, text in row.items():
            value = got[name]
            if value is None or isinstance(value, str):
                assert value == (text or None), (table, name)
            elif isinstance(value, float):
                assert value == float(text), (table, name)
            else:
                assert value == (text in TRUE_VALUES), (table, name)


def test_full_text_search_over_titles_and_summaries(sqlite_release: Path) -> None:
    db = connect(sqlite_release)
    hits = db.execute(
        "select title_en from events where rowid in "
        "(select rowid from events_fts where events_fts match 'mutual defence')"
    ).fetchall()
    assert hits == [(EVENT_TITLE,)]


def test_datasette_metadata_describes_tables_and_columns(sqlite_release: Path) -> None:
    meta = json.loads((sqlite_release / "datasette-metadata.json").read_text())
    assert meta["license"] == "CC-BY-4.0"
    events = meta["databases"]["aesdata"]["tables"]["events"]
    assert events["columns"]["title_fr"].startswith("A short headline in French")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def datasette(sqlite_release: Path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(sqlite_release / "aesdata.db"),
            "-m",
            str(sqlite_release / "datasette-metadata.json"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_datasette_serves_the_events_table(datasette: str) -> None:
    html = urllib.request.urlopen(datasette + "/aesdata/events", timeout=10).read().decode()
    assert EVENT_TITLE in html
    assert "A short headline in French" in html or "Events" in html


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/run installs Debian's chromium)")
def test_a_browser_shows_the_events_table(datasette: str, tmp_path: Path) -> None:
    url = datasette + "/aesdata/events"
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert EVENT_TITLE in dom.stdout
    shot = tmp_path / "events.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1366,900", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
