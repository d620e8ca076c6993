"""The loader against a hostile release server on 127.0.0.1: nothing written outside the cache.

Each case serves a real release with one thing made hostile (a name, a body, a redirect, a
silence) and checks: a LoadError that says what happened, no file anywhere in the temporary tree
but the cache's own, no version directory in the cache, and a bounded peak of memory.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aesdata import download
from aesdata.load import LoadError, load

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class Server:
    """Serves a release directory, with some paths answered by hostile routes instead."""

    def __init__(self, release: Path) -> None:
        self.files = {p.name: p.read_bytes() for p in release.iterdir()}
        self.routes: dict[str, Route] = {}
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                if name in server.routes:
                    server.routes[name](self)
                elif name in server.files:
                    body(self, server.files[name])
                else:
                    self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rel/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def sums(self, extra: dict[str, str] | None = None, raw: str = "") -> None:
        """Serve SHA256SUMS listing the real files, plus ``extra`` names and ``raw`` lines."""
        entries = {
            n: hashlib.sha256(b).hexdigest() for n, b in self.files.items() if n != "SHA256SUMS"
        }
        text = "".join(f"{d}  {n}\n" for n, d in sorted({**entries, **(extra or {})}.items())) + raw
        self.files["SHA256SUMS"] = text.encode()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def body(handler: http.server.BaseHTTPRequestHandler, data: bytes, length: bool = True) -> None:
    handler.send_response(200)
    if length:
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def server(release: Path) -> Iterator[Server]:
    s = Server(release)
    yield s
    s.close()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache inside a temporary tree whose every file is checked after the attempt."""
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "home" / "cache"))
    return tmp_path


def files_below(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def refused(server: Server, sandbox: Path, match: str) -> None:
    """Loading fails with ``match``; nothing at all is left in the tree but the empty cache."""
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match=match):
            load("events", server.url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak} bytes"
    assert files_below(sandbox) == ["home", "home/cache"]


DIGEST = "0" * 64


@pytest.mark.parametrize(
    "name",
    [
        "../evil.parquet",
        "/tmp/evil.parquet",
        "/../../../evil.parquet",
        "a\\b.parquet",
        "sub/x.parquet",
        ".hidden.parquet",
    ],
    ids=["dotdot", "absolute", "climbing", "backslash", "separator", "hidden"],
)
def test_names_that_leave_the_cache_are_refused(server: Server, sandbox: Path, name: str) -> None:
    server.sums({name: DIGEST})
    refused(server, sandbox, "is not a plain file name")


def test_a_nul_in_a_name_is_refused(server: Server, sandbox: Path) -> None:
    server.sums(raw=f"{DIGEST}  evil\0.parquet\n")
    refused(server, sandbox, "is not a plain file name")


def test_a_descriptor_path_that_leaves_the_release_is_refused(
    server: Server, sandbox: Path
) -> None:
    meta = json.loads(server.files["datapackage.json"])
    meta["resources"][0]["path"] = "../../outside.csv"
    server.files["datapackage.json"] = json.dumps(meta).encode()
    server.sums()
    refused(server, sandbox, r"resources\[0\].path: '../../outside.csv' is not a plain file name")


def test_a_file_that_does_not_match_is_refused(server: Server, sandbox: Path) -> None:
    server.files["events.parquet"] = server.files["events.parquet"][:-4] + b"XXXX"
    refused(server, sandbox, "events.parquet: checksum mismatch")


def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.end_headers()
    chunk = b"x" * 65536
    try:
        for _ in range(100_000):  # bounded: 6.5 GB at most, cut off long before
            handler.wfile.write(chunk)
    except OSError:
        pass


def test_an_endless_checksum_file_is_cut_off(server: Server, sandbox: Path) -> None:
    server.routes["SHA256SUMS"] = endless
    refused(server, sandbox, "sent more than the 16777216 bytes allowed; cut off")


def test_an_endless_table_is_cut_off_at_its_declared_size(server: Server, sandbox: Path) -> None:
    server.routes["events.parquet"] = endless
    size = len(server.files["events.parquet"])
    refused(server, sandbox, f"sent more than the {size} bytes allowed; cut off")


def test_a_body_announced_larger_than_declared_is_refused(server: Server, sandbox: Path) -> None:
    server.files["events.parquet"] += b"\0" * 1000
    refused(server, sandbox, "the server announces .* bytes, over the .* allowed")


def test_a_stalled_server_times_out(
    server: Server, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download, "TIMEOUT", 0.5)

    def stall(handler: http.server.BaseHTTPRequestHandler) -> None:
        server.stop.wait(10)

    server.routes["events.parquet"] = stall
    started = time.monotonic()
    refused(server, sandbox, "timed out")
    assert time.monotonic() - started < 8


def test_a_stalled_body_times_out(
    server: Server, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download, "TIMEOUT", 0.5)

    def trickle(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"PAR1")
        handler.wfile.flush()
        server.stop.wait(10)

    server.routes["events.parquet"] = trickle
    refused(server, sandbox, "the server stopped sending")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_a_redirect_away_from_http_is_refused(server: Server, sandbox: Path, target: str) -> None:
    def redirect(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.end_headers()

    server.routes["events.parquet"] = redirect
    refused(
        server,
        sandbox,
        r"(refused a redirect to|Redirection to url) .file:|(refused a redirect to|Redirection to url) .ftp:",
    )


def test_a_version_other_than_the_one_asked_is_refused(
    server: Server, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AESDATA_RELEASES_URL", server.url.removesuffix("/rel/"))
    with pytest.raises(LoadError, match=r"asked for version 9\.9\.9"):
        load("events", "9.9.9")


def test_a_damaged_cache_is_fetched_again(server: Server, sandbox: Path) -> None:
    first = load("events", server.url)
    cached = next((sandbox / "home" / "cache").glob("*/events.parquet"))
    cached.write_bytes(b"damaged")
    again = load("events", server.url)
    assert again.equals(first)
    assert cached.read_bytes() == server.files["events.parquet"]
    assert not [p for p in files_below(sandbox) if "/." in p]  # no temporary left
