"""Fetch a published release into the cache, trusting nothing the server sends until verified.

The server supplies both the files and their checksums, so a checksum alone proves nothing
about where a file may go or how big it may be. Hence: every name must be a plain file name of
the release; every body streams to a temporary file, hashed as it arrives and cut off past its
size limit (the descriptor's ``bytes`` where given, a ceiling otherwise), so memory stays at one
buffer whatever the server sends; connections and reads time out; redirects may only go to
http(s). A version directory appears in the cache only complete and verified: it is assembled
beside its final place and renamed, so a failed download leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from aesdata.checksums import SUMS, ChecksumError, file_sha256, format_sums, plain_name, read_sums
from aesdata.destination import running

TIMEOUT = 30.0  # seconds to connect, and between two reads of a body
DEADLINE = 3600.0  # seconds for a whole file, however slowly it trickles
CHUNK = 1 << 16
SMALL_LIMIT = 16 << 20  # SHA256SUMS and datapackage.json
FILE_LIMIT = 8 << 30  # a release file whose size the descriptor does not give
DESCRIPTOR = "datapackage.json"

Progress = Callable[[str, int, int | None], None]


VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class LoadError(Exception):
    """The data could not be loaded or fetched: the message says why and what to do."""


def fetch_release(
    url: str,
    cache: Path,
    suffix: str,
    version: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """The release at ``url`` with its ``suffix`` files, verified, in ``cache/<version>``.

    ``version``, when given, is the one asked for: a release that says it is another is refused.
    """
    asked = version
    base = url if url.endswith("/") else url + "/"
    sweep_downloads(_made(cache))
    prefix = f".download-{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=cache) as tmp:
        work = Path(tmp)
        sums = _sums(_fetch(base, SUMS, work, SMALL_LIMIT, None, progress))
        descriptor = _fetch(base, DESCRIPTOR, work, SMALL_LIMIT, sums.get(DESCRIPTOR), progress)
        meta = _descriptor(base, descriptor, sums)
        version = str(meta.get("version", ""))
        if not VERSION.match(version):
            raise LoadError(f"{base}{DESCRIPTOR}: version {version!r} is not X.Y.Z")
        if asked is not None and version != asked:
            raise LoadError(
                f"{base}{DESCRIPTOR}: asked for version {asked}, the server sent {version}"
            )
        target = cache / version
        wanted = sorted(n for n in sums if n.endswith(suffix))
        if target.is_dir() and _complete(target, sums, [SUMS, DESCRIPTOR, *wanted]):
            return target
        staged = work / "release"
        staged.mkdir()
        (staged / SUMS).write_text(format_sums(sums), encoding="utf-8")
        os.replace(descriptor, staged / DESCRIPTOR)
        sizes = _sizes(meta)
        for name in wanted:
            kept = target / name
            if kept.is_file() and not kept.is_symlink() and file_sha256(kept) == sums[name]:
                shutil.copyfile(kept, staged / name)
            else:
                got = _fetch(base, name, work, sizes.get(name, FILE_LIMIT), sums[name], progress)
                os.replace(got, staged / name)
        _install(staged, target)
    return target


def sweep_downloads(cache: Path) -> list[Path]:
    """Remove what downloads killed outright (SIGKILL, a power cut) left in ``cache``.

    Each download works in ``.download-<pid>-*``; one whose process no longer runs is removed.
    Nothing else in the cache is touched, nor the download of a process that still runs.
    """
    removed = []
    for entry in cache.iterdir():
        match = re.fullmatch(r"\.download-([0-9]+)-[^/]+", entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not running(int(match[1])):
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def _made(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _sums(path: Path) -> dict[str, str]:
    try:
        return read_sums(path.read_bytes())
    except ChecksumError as exc:
        raise LoadError(str(exc)) from None


def _descriptor(base: str, path: Path, sums: dict[str, str]) -> dict[str, Any]:
    if DESCRIPTOR not in sums:
        raise LoadError(f"{base}{DESCRIPTOR} is not listed in {SUMS}: refusing the release")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LoadError(f"{base}{DESCRIPTOR}: not a readable descriptor ({exc})") from None
    if not isinstance(meta, dict):
        raise LoadError(f"{base}{DESCRIPTOR}: not a Data Package descriptor")
    return meta


def _sizes(meta: dict[str, Any]) -> dict[str, int]:
    """File name → the size the descriptor declares; every path named must be a plain name."""
    sizes = {}
    resources = meta.get("resources", [])
    for i, res in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(res, dict) or "path" not in res:
            continue
        try:
            name = plain_name(res["path"], f"{DESCRIPTOR}: resources[{i}].path")
        except ChecksumError as exc:
            raise LoadError(str(exc)) from None
        if isinstance(res.get("bytes"), int) and res["bytes"] >= 0:
            sizes[name] = res["bytes"]
    return sizes


def _complete(target: Path, sums: dict[str, str], names: list[str]) -> bool:
    """Whether the cached version holds every wanted file, each matching today's checksums."""
    for name in names:
        path = target / name
        if not path.is_file() or path.is_symlink():
            return False
        if name != SUMS and file_sha256(path) != sums[name]:
            return False
    return (target / SUMS).read_bytes() == format_sums(sums).encode()


def _install(staged: Path, target: Path) -> None:
    """Rename the complete version into place; an older copy is moved aside, then removed."""
    old = staged.parent / "previous"
    with contextlib.suppress(FileNotFoundError):
        target.rename(old)
    os.rename(staged, target)


def _fetch(
    base: str, name: str, work: Path, limit: int, digest: str | None, progress: Progress | None
) -> Path:
    """Stream ``base + name`` into a file of ``work``, within ``limit`` bytes, checked."""
    url = base + name
    dest = work / f"{name}.part"
    sha = hashlib.sha256()
    with _open(url) as response, dest.open("wb") as fh:
        declared = _length(response)
        if declared is not None and declared > limit:
            raise LoadError(
                f"{url}: the server announces {declared} bytes, over the {limit} allowed"
            )
        _stream(url, response, fh, sha, limit, lambda n: progress and progress(name, n, declared))
    if digest is not None and sha.hexdigest() != digest:
        raise LoadError(
            f"{url}: checksum mismatch (expected {digest[:12]}..., got {sha.hexdigest()[:12]}...): "
            "the download is corrupt or was altered; refusing it"
        )
    return dest


def _stream(url: str, response: IO[bytes], fh: IO[bytes], sha: Any, limit: int, tick: Any) -> None:
    size, started = 0, time.monotonic()
    while chunk := _read(url, response):
        size += len(chunk)
        if size > limit:
            raise LoadError(f"{url}: the server sent more than the {limit} bytes allowed; cut off")
        if time.monotonic() - started > DEADLINE:
            raise LoadError(f"{url}: the download took over {DEADLINE:.0f} s; cut off")
        sha.update(chunk)
        fh.write(chunk)
        tick(size)


def _read(url: str, response: IO[bytes]) -> bytes:
    try:
        return response.read(CHUNK)
    except (TimeoutError, OSError) as exc:
        raise LoadError(f"{url}: the server stopped sending ({exc})") from None


def _length(response: Any) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


@contextlib.contextmanager
def _open(url: str) -> Any:
    try:
        with OPENER.open(url, timeout=TIMEOUT) as response:
            yield response
    except urllib.error.HTTPError as exc:
        exc.close()  # the error carries the open response
        raise LoadError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LoadError(
            f"{url}: cannot reach the server ({reason}); check the address and "
            "your connection, or load a local release"
        ) from None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http(s) address: never ``file://``, ``ftp://`` ..."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.URLError(
                f"refused a redirect to {newurl!r}: only http(s) is followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """An opener with HTTP(S) only: no file, ftp or data handlers for a server to redirect to."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


OPENER = _opener()
