"""The loader: typed DataFrames from the bundled package, a release directory, or over HTTP."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pandas as pd
import pytest
from conftest import VERSION, make_package, publish

import aesdata
from aesdata.load import LoadError, load, load_all
from aesdata.release import build


def test_default_source_is_the_bundled_data() -> None:
    events = aesdata.load("events")
    assert len(events) >= 60
    assert isinstance(events["event_type"].dtype, pd.CategoricalDtype)
    assert isinstance(events["title_fr"].dtype, pd.StringDtype)
    assert str(events["start_earliest"].dtype).startswith("datetime64")
    assert (events["start_earliest"] <= events["start_latest"]).all()


def test_release_directory_and_package_give_the_same_frames(release: Path, mini: Path) -> None:
    from_release = load_all(release)
    from_package = load_all(mini)
    assert set(from_release) == set(from_package)
    for name, frame in from_release.items():
        pd.testing.assert_frame_equal(frame, from_package[name], check_categorical=True)


def test_dtypes_follow_the_schema(release: Path) -> None:
    entities = load("entities", release)
    assert isinstance(entities["latitude"].dtype, pd.Float64Dtype)
    assert isinstance(entities["entity_type"].dtype, pd.CategoricalDtype)
    assert list(entities["entity_type"].cat.categories)[:2] == [
        "state",
        "intergovernmental_organisation",
    ]
    citations = load("citations", release)
    assert str(citations["accessed_date"].dtype).startswith("datetime64")


def test_integers_and_booleans_become_nullable_dtypes(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "counts.csv").write_text(
        "id,n,ok\na,3,true\nb,,false\nc,-1,\n", encoding="utf-8"
    )
    fields = [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "integer"},
        {"name": "ok", "type": "boolean"},
    ]
    descriptor = {
        "name": "t",
        "resources": [{"name": "counts", "path": "data/counts.csv", "schema": {"fields": fields}}],
    }
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    frame = load("counts", pkg)
    assert str(frame["n"].dtype) == "Int64"
    assert str(frame["ok"].dtype) == "boolean"
    assert frame["n"].tolist()[0] == 3 and pd.isna(frame["n"][1])
    assert frame["ok"].tolist()[:2] == [True, False] and pd.isna(frame["ok"][2])


def test_load_a_version_over_http_and_cache_it(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    events = load("events", VERSION)
    assert len(events) == len(load("events", release))
    assert (tmp_path / "cache" / VERSION / "events.parquet").is_file()
    assert len(load("events", "latest")) == len(events)


def test_a_tampered_download_is_refused(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    served = root / "download" / f"v{VERSION}" / "events.parquet"
    served.write_bytes(served.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LoadError, match=r"events.parquet: checksum mismatch .* refusing it"):
        load("events", VERSION)
    assert not (tmp_path / "cache" / VERSION / "events.parquet").exists()


def test_a_tampered_cache_is_refused(release: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(release, tmp_path / "copy")
    (copy / "claims.parquet").write_bytes(
        b"PAR1" + (copy / "claims.parquet").read_bytes()[4:][::-1]
    )
    with pytest.raises(LoadError, match="checksum mismatch"):
        load("claims", copy)


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LoadError, match="cannot reach the server"):
        load("events", f"http://127.0.0.1:{port}/release/")


def test_a_missing_file_on_the_server_is_a_clear_error(
    http_root, tmp_path: Path, monkeypatch
) -> None:
    _root, base = http_root
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LoadError, match="the server answered 404"):
        load("events", f"{base}/nothing-here/")


def test_version_without_a_releases_url_says_what_to_set(monkeypatch) -> None:
    monkeypatch.delenv("AESDATA_RELEASES_URL", raising=False)
    with pytest.raises(LoadError, match="set AESDATA_RELEASES_URL"):
        load("events", VERSION)


def test_unknown_table_and_invalid_package(release: Path, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no table 'nope'"):
        load("nope", release)
    pkg = make_package(tmp_path / "bad")
    (pkg / "data" / "events.csv").write_text("event_id\n", encoding="utf-8")
    with pytest.raises(LoadError, match="does not pass validation"):
        load("events", pkg)


def test_build_of_the_shipped_data_loads(tmp_path: Path) -> None:
    out = build(Path(__file__).resolve().parent.parent, tmp_path / "r").path
    assert len(load("relations", out)) == len(aesdata.load("relations"))
