"""Shared fixtures: a tiny real package built from the project's own descriptor and schemas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
VERSION = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["version"]


def make_package(dest: Path, data: Path = MINI / "data") -> Path:
    """Copy the repository's descriptor and schemas with ``data`` into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(data, dest / "data")
    return dest


def publish(release: Path, root: Path, version: str) -> None:
    """Lay a release out as GitHub does: /download/vX.Y.Z/ and /latest/download/."""
    shutil.copytree(release, root / "download" / f"v{version}")
    shutil.copytree(release, root / "latest" / "download", dirs_exist_ok=True)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A valid five-row package, fresh for each test, safe to break."""
    return make_package(tmp_path / "pkg")


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini package built once into a release directory (read-only for tests)."""
    from aesdata.release import build

    src = make_package(tmp_path_factory.mktemp("src") / "pkg")
    return build(src, tmp_path_factory.mktemp("rel") / "release").path


@pytest.fixture
def http_root(tmp_path: Path):
    """A real HTTP server on loopback serving ``tmp_path / "www"``; yields (root, base URL)."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _quiet_handler():
    import http.server

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    return Handler


_QuietHandler = _quiet_handler()
