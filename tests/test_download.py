"""`aesdata download` against a real HTTP server on loopback: versions, latest, failures."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

from click.testing import CliRunner
from conftest import VERSION, publish

from aesdata.cli import main


def same_files(a: Path, b: Path) -> bool:
    def digests(d: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in d.iterdir()}

    return digests(a) == digests(b)


def run(*args: str) -> object:
    return CliRunner().invoke(main, ["download", *args])


def test_a_version_lands_in_the_cache_verified(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    result = run(VERSION)
    assert result.exit_code == 0, result.output
    cached = tmp_path / "cache" / VERSION
    assert result.output == f"downloaded release {VERSION} to {cached}\n"
    assert same_files(cached, release)
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=cached)
    assert check.returncode == 0


def test_latest_into_a_directory(release: Path, http_root, tmp_path: Path, monkeypatch) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    for _ in range(2):  # a new directory, then the previous release in it, replaced
        result = run("latest", "--out", str(tmp_path / "mine"))
        assert result.exit_code == 0, result.output
        assert same_files(tmp_path / "mine", release)
    assert not (tmp_path / "cache").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "www"]


def test_a_directory_of_the_users_is_not_replaced(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep\n", encoding="utf-8")
    result = run("latest", "--out", str(mine))
    assert result.exit_code == 1
    assert "holds 1 entries that are not an aesdata release (notes.txt)" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_mismatch_is_refused_and_nothing_is_cached(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    root, base = http_root
    publish(release, root, VERSION)
    served = root / "download" / f"v{VERSION}" / "claims.csv"
    served.write_bytes(served.read_bytes().replace(b"paragraph 2", b"paragraph 3", 1))
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    result = run(VERSION)
    assert result.exit_code == 1
    assert "claims.csv: checksum mismatch" in result.output and "refusing it" in result.output
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_missing_version_is_a_404(http_root, tmp_path: Path, monkeypatch) -> None:
    _root, base = http_root
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    result = run("9.9.9")
    assert result.exit_code == 1
    assert (
        result.output
        == f"download failed: {base}/download/v9.9.9/SHA256SUMS: the server answered 404 File not found\n"
    )


def test_an_unreachable_port_is_one_line(tmp_path: Path, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AESDATA_RELEASES_URL", f"http://127.0.0.1:{port}/releases")
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    result = run(VERSION)
    assert result.exit_code == 1
    assert "cannot reach the server" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_version_word_is_explained(monkeypatch) -> None:
    monkeypatch.setenv("AESDATA_RELEASES_URL", "https://example.org/releases")
    result = run("newest")
    assert result.exit_code == 1
    assert "'newest': give a version (0.2.0), 'latest' or a release URL" in result.output


def test_what_a_killed_download_left_is_swept_and_nothing_else(
    release: Path, http_root, tmp_path: Path, monkeypatch
) -> None:
    import os
    import sys

    root, base = http_root
    publish(release, root, VERSION)
    cache = tmp_path / "cache"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    dead, alive, mine = (cache / f".download-{pid}-x1y2" for pid in (gone, "1", os.getpid()))
    for d in (dead, alive, mine, cache / "notes"):
        (d / "part").mkdir(parents=True)
    monkeypatch.setenv("AESDATA_RELEASES_URL", base)
    monkeypatch.setenv("AESDATA_CACHE", str(cache))
    result = run(VERSION)
    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert alive.is_dir() and mine.is_dir() and (cache / "notes" / "part").is_dir()
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [alive.name, mine.name, "notes", VERSION]
    )
