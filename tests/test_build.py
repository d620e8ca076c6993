"""Releases: contents, the official validator, reproducibility, atomicity, round trips, changelog."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import duckdb
import frictionless
import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import ROOT, VERSION

import aesdata.writer
from aesdata.cli import main
from aesdata.release import build
from aesdata.schema import TRUE_VALUES

TABLES = [r["name"] for r in json.loads((ROOT / "datapackage.json").read_text())["resources"]]


def test_release_has_every_file(release: Path) -> None:
    names = {p.name for p in release.iterdir()}
    for table in TABLES:
        assert {f"{table}.parquet", f"{table}.json", f"{table}.csv"} <= names
    assert {f"aesdata-{VERSION}.json", "datapackage.json", "SHA256SUMS", "README.md"} <= names


def test_release_descriptor_passes_the_official_validator(release: Path) -> None:
    report = frictionless.validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "type", "note"])


def test_release_descriptor_catches_a_tampered_file(release: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(release, tmp_path / "copy")
    (copy / "events.json").write_bytes((copy / "events.json").read_bytes() + b" ")
    assert not frictionless.validate(str(copy / "datapackage.json")).valid


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256sums_is_checkable_with_sha256sum(release: Path) -> None:
    result = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=release, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def digest(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_rebuild_is_byte_identical(mini: Path, tmp_path: Path) -> None:
    """Every file, the archive and the database (filled on two threads) included."""
    first = build(mini, tmp_path / "a", archive=True, sqlite=True).path
    second = build(mini, tmp_path / "b", archive=True, sqlite=True).path
    assert digest(first) == digest(second)
    assert {f"aesdata-{VERSION}.zip", "aesdata.db"} <= set(digest(first))


def test_archive_holds_the_release_files_unchanged(mini: Path, tmp_path: Path) -> None:
    out = build(mini, tmp_path / "r", archive=True).path
    with zipfile.ZipFile(out / f"aesdata-{VERSION}.zip") as zf:
        assert zf.testzip() is None
        packed = {Path(name).name: zf.read(name) for name in zf.namelist()}
    files = digest(out)
    del files[f"aesdata-{VERSION}.zip"], files["SHA256SUMS"]  # SHA256SUMS lists the archive itself
    assert packed == files


def test_build_date_comes_from_source_date_epoch(mini: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    out = build(mini, tmp_path / "r").path
    assert json.loads((out / "datapackage.json").read_text())["created"] == "2026-01-01T00:00:00Z"


def test_invalid_data_writes_no_release(mini: Path, tmp_path: Path) -> None:
    events = mini / "data" / "events.csv"
    events.write_text(
        events.read_text(encoding="utf-8").replace(",bamako,", ",niamy,"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["build", str(mini), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "data/events.csv:2:7: foreign-key:" in result.output
    assert not (tmp_path / "r").exists()


def test_failed_build_leaves_the_previous_release_untouched(
    mini: Path, tmp_path: Path, monkeypatch
) -> None:
    out = build(mini, tmp_path / "r").path
    before = digest(out)

    def explode(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(aesdata.writer.Bundle, "append", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build(mini, out)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "r"]


def test_a_terminated_build_leaves_nothing_behind(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    for _attempt in range(5):  # on 2 busy cores the signal may only arrive once the build is done
        code, stderr = _terminate_build(mini, out)
        assert "Traceback" not in stderr
        assert not list(tmp_path.glob(".r.*")), "a staging or old directory was left behind"
        if code == 128 + signal.SIGTERM:
            assert not out.exists()
            return
        assert code == 0, stderr
        assert (out / "SHA256SUMS").is_file()  # finished before the signal: a whole release
        shutil.rmtree(out)
    pytest.fail("the signal never arrived before the build was done")


def _terminate_build(package: Path, out: Path) -> tuple[int, str]:
    """Start a build, send it SIGTERM once it has written a table, and wait for it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "aesdata", "build", str(package), "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(f".{out.name}.building-*/entities.json")):
        assert proc.poll() is None or proc.returncode == 0, "the build failed"
        if proc.poll() is not None:
            break
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


def test_signals_wait_until_the_release_is_swapped() -> None:
    from aesdata.destination import signals_held

    done = []
    with pytest.raises(KeyboardInterrupt), signals_held():
        signal.raise_signal(signal.SIGINT)
        done.append("swapped")
    assert done == ["swapped"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("table", TABLES)
def test_every_cell_round_trips_through_parquet_and_json(release: Path, table: str) -> None:
    source = _csv_rows(release / f"{table}.csv")
    parquet = pq.read_table(release / f"{table}.parquet").to_pylist()
    records = json.loads((release / f"{table}.json").read_text(encoding="utf-8"))
    assert len(source) == len(parquet) == len(records)
    for row, prow, jrow in zip(source, parquet, records, strict=True):
        for name, text in row.items():
            expected = text or None
            for got in (prow[name], jrow[name]):
                if isinstance(got, bool):
                    assert got == (text in TRUE_VALUES), (table, name)
                elif isinstance(got, float):
                    assert got == float(text)
                else:
                    assert _as_text(got) == expected, (table, name)


def test_partial_dates_get_typed_bounds(release: Path) -> None:
    rel = pq.read_table(release / "relations.parquet").to_pylist()[0]
    assert rel["start_date"] == "2023-09-16"
    assert rel["start_earliest"] == rel["start_latest"] == dt.date(2023, 9, 16)
    assert rel["end_earliest"] is None


def test_parquet_carries_types_descriptions_and_version(release: Path) -> None:
    schema = pq.read_schema(release / "events.parquet")
    assert str(schema.field("event_type").type) == (
        "dictionary<values=string, indices=uint8, ordered=1>"
    )
    vocabulary = _enum(release / "datapackage.json", "events", "event_type")
    column = pq.read_table(release / "events.parquet", columns=["event_type"]).column(0)
    assert column.chunk(0).dictionary.to_pylist() == vocabulary
    assert str(schema.field("title_fr").type) == "large_string"
    assert str(schema.field("start_earliest").type) == "date32[day]"
    assert (
        schema.field("title_fr").metadata[b"description"].startswith(b"A short headline in French")
    )
    meta = json.loads(pq.read_metadata(release / "events.parquet").metadata[b"aesdata"])
    assert (meta["package"], meta["version"], meta["table"]) == ("aesdata", VERSION, "events")
    assert (
        pq.ParquetFile(release / "events.parquet").metadata.row_group(0).column(0).compression
        == "ZSTD"
    )


def _enum(descriptor: Path, table: str, field: str) -> list[str]:
    resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
    fields = next(r["schema"]["fields"] for r in resources if r["name"] == table)
    return next(f["constraints"]["enum"] for f in fields if f["name"] == field)


def test_bundle_holds_every_table_and_the_metadata(release: Path) -> None:
    bundle = json.loads((release / f"aesdata-{VERSION}.json").read_text(encoding="utf-8"))
    assert bundle["package"]["version"] == VERSION
    assert set(bundle["tables"]) == set(TABLES)
    assert "États" in (release / "entities.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", TABLES)
def test_polars_and_duckdb_read_the_same_values(release: Path, table: str) -> None:
    path = release / f"{table}.parquet"
    expected = pq.read_table(path).to_pylist()
    by_polars = pl.read_parquet(path).to_dicts()
    by_duckdb = duckdb.sql(f"select * from '{path}'").fetchall()
    assert len(by_polars) == len(by_duckdb) == len(expected)
    assert by_polars == expected
    assert [tuple(r.values()) for r in expected] == by_duckdb


def test_figures_are_in_the_release_unless_turned_off(mini: Path, tmp_path: Path) -> None:
    with_figures = build(mini, tmp_path / "a").path
    assert {"timeline.svg", "map.png", "memberships.svg", "tolls.png", "tolls.svg"} <= {
        p.name for p in with_figures.iterdir()
    }
    result = CliRunner().invoke(
        main, ["build", str(mini), "--out", str(tmp_path / "b"), "--no-figures"]
    )
    assert result.exit_code == 0, result.output
    assert not list((tmp_path / "b").glob("*.svg"))


@pytest.mark.parametrize("zip64", [False, True], ids=["zip32", "zip64"])
def test_archive_deflates_in_pieces_and_stores_what_is_compressed(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zip64: bool
) -> None:
    from aesdata import archive

    monkeypatch.setattr(archive, "CHUNK", 1000)  # every member in many pieces
    if zip64:
        monkeypatch.setattr(archive, "ZIP64_AT", 0)  # every member with 64-bit sizes
    out = build(mini, tmp_path / "rel", archive=True).path
    dest = out / f"aesdata-{VERSION}.zip"
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        infos = {Path(i.filename).name: i for i in zf.infolist()}
        assert sorted(infos) == sorted(set(digest(out)) - {dest.name, "SHA256SUMS"})
        for name, info in infos.items():
            assert zf.read(info) == (out / name).read_bytes(), name
            stored = name.endswith((".parquet", ".png"))
            assert info.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    if shutil.which("unzip"):
        check = subprocess.run(["unzip", "-tq", str(dest)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_archive_with_the_database_holds_every_file_in_a_fixed_order(
    mini: Path, tmp_path: Path
) -> None:
    """Tables first, as they were written; then the bundle; then the rest, database included."""
    out = build(mini, tmp_path / "r", archive=True, sqlite=True).path
    with zipfile.ZipFile(out / f"aesdata-{VERSION}.zip") as zf:
        names = [Path(n).name for n in zf.namelist()]
        assert zf.read(f"aesdata-{VERSION}/aesdata.db") == (out / "aesdata.db").read_bytes()
    tables = [f"{t}.{ext}" for t in TABLES for ext in ("csv", "json", "parquet")]
    rest = sorted(set(digest(out)) - {*tables, f"aesdata-{VERSION}.json", f"aesdata-{VERSION}.zip"})
    assert names == [*tables, f"aesdata-{VERSION}.json", *(n for n in rest if n != "SHA256SUMS")]
    assert {"aesdata.db", "datasette-metadata.json"} <= set(names)


def test_a_member_composed_of_kept_files_reuses_their_pieces(tmp_path: Path) -> None:
    """The bundle is the tables' JSON end to end: it is written from the pieces deflated for them."""
    import datetime as dt

    from aesdata import archive

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text('[{"x":1}]' * 5000)
    second.write_text("[]")
    dest = tmp_path / "out.zip"
    with archive.Archive(dest, "r", dt.datetime(1980, 1, 1)) as zf:
        zf.add(first, keep=True)
        zf.add(second, keep=True)
        zf.compose("both.json", [b'{"a":', first, b',"b":', second, b"}"])
        assert zf.kept == {}  # each file's pieces used once, then let go
    with zipfile.ZipFile(dest) as zf:
        assert zf.namelist() == ["r/a.json", "r/b.json", "r/both.json"]
        both = b'{"a":' + first.read_bytes() + b',"b":' + second.read_bytes() + b"}"
        assert zf.read("r/both.json") == both
        assert zlib.crc32(both) == zf.getinfo("r/both.json").CRC


def test_a_failed_build_with_an_archive_leaves_nothing(mini: Path, tmp_path: Path) -> None:
    from aesdata.release import BuildError

    path = mini / "data" / "claims.csv"  # checked after the tables already in the archive
    path.write_text(path.read_text(encoding="utf-8").replace(",supports,", ",backs,", 1))
    with pytest.raises(BuildError):
        build(mini, tmp_path / "release", archive=True)
    assert [p.name for p in tmp_path.iterdir()] == [mini.name]  # no release, no staging
