"""A release (bundled, local or downloaded) → pandas DataFrames typed by the Table Schemas.

``source`` may be nothing (the package this code ships with, offline), a local release or
package directory, a release URL, or a version (``"0.2.0"``, ``"latest"``) resolved against
``AESDATA_RELEASES_URL``. Downloads are verified against the release's ``SHA256SUMS`` and cached
per version; a corrupt file or an unreachable server is a :class:`LoadError`, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

RELEASES_ENV = "AESDATA_RELEASES_URL"
CACHE_ENV = "AESDATA_CACHE"
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
TIMEOUT = 30


class LoadError(Exception):
    """The data could not be loaded: the message says why and what to do."""


def load(table: str, source: str | Path | None = None) -> Any:
    """One table as a pandas DataFrame with dtypes from its schema."""
    return _tables(source, [table])[table]


def load_all(source: str | Path | None = None) -> dict[str, Any]:
    """Every table of the release, by name."""
    return _tables(source, None)


def _tables(source: str | Path | None, names: list[str] | None) -> dict[str, Any]:
    """Local release or package directory, after resolving a URL or version to a cached copy."""
    directory = resolve(source)
    if (directory / "SHA256SUMS").is_file():
        return _from_release(directory, names)
    return _from_package(directory, names)


def resolve(source: str | Path | None) -> Path:
    """The local directory that holds ``source``, downloading it first when it is remote."""
    if source is None:
        return bundled()
    text = str(source)
    if text == "latest" or VERSION.match(text):
        return fetch_release(release_url(text))
    if text.startswith(("http://", "https://")):
        return fetch_release(text)
    path = Path(text)
    if path.is_file():
        path = path.parent
    if not (path / "datapackage.json").is_file():
        raise LoadError(
            f"{text}: no datapackage.json there: give a release or package directory, "
            "a release URL or a version"
        )
    return path


def bundled() -> Path:
    """The package this code ships with: the repository checkout holding ``src/aesdata``."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "datapackage.json").is_file():
        raise LoadError(
            "no bundled data beside this installation: pass a release directory, "
            "URL or version as source"
        )
    return root


def release_url(version: str) -> str:
    """GitHub-style release downloads: ``BASE/latest/download/`` or ``BASE/download/vX.Y.Z/``."""
    base = os.environ.get(RELEASES_ENV, "").rstrip("/")
    if not base:
        raise LoadError(
            f"set {RELEASES_ENV} to the project's releases address (for example "
            "https://github.com/OWNER/REPO/releases) to load a version by number"
        )
    return f"{base}/latest/download/" if version == "latest" else f"{base}/download/v{version}/"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "aesdata")


def fetch_release(url: str, suffix: str = ".parquet") -> Path:
    """Download a release's descriptor and its ``suffix`` files, verified, into the version's cache."""
    import json

    base = url if url.endswith("/") else url + "/"
    sums = read_sums(_get(base + "SHA256SUMS"))
    descriptor = _verified(base, "datapackage.json", _get(base + "datapackage.json"), sums)
    version = str(json.loads(descriptor).get("version", "unknown"))
    if not VERSION.match(version):
        raise LoadError(f"{base}datapackage.json: version {version!r} is not X.Y.Z")
    target = cache_root() / version
    target.mkdir(parents=True, exist_ok=True)
    _store(target, "SHA256SUMS", format_sums(sums).encode())
    _store(target, "datapackage.json", descriptor)
    for name in sorted(n for n in sums if n.endswith(suffix)):
        cached = target / name
        if not (cached.is_file() and _sha256(cached.read_bytes()) == sums.get(name)):
            _store(target, name, _verified(base, name, _get(base + name), sums))
    return target


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise LoadError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LoadError(
            f"{url}: cannot reach the server ({reason}); check the address and "
            "your connection, or load a local release"
        ) from None


def format_sums(sums: dict[str, str]) -> str:
    """``SHA256SUMS`` text, as ``sha256sum -c`` reads it: one ``digest  name`` line a file."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))


def read_sums(data: bytes) -> dict[str, str]:
    """File name → sha256 from ``SHA256SUMS`` text."""
    sums = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if re.fullmatch(r"[0-9a-f]{64}", digest) and name:
            sums[name.strip()] = digest
    if not sums:
        raise LoadError("SHA256SUMS is empty or unreadable: refusing to load unverified files")
    return sums


def _verified(base: str, name: str, data: bytes, sums: dict[str, str]) -> bytes:
    expected = sums.get(name)
    if expected is None:
        raise LoadError(f"{base}{name} is not listed in SHA256SUMS: refusing an unverified file")
    actual = _sha256(data)
    if actual != expected:
        raise LoadError(
            f"{base}{name}: checksum mismatch (expected {expected[:12]}..., got "
            f"{actual[:12]}...): the download is corrupt or was altered; refusing it"
        )
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _store(directory: Path, name: str, data: bytes) -> None:
    """Write beside, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, directory / name)


def _from_release(directory: Path, names: list[str] | None) -> dict[str, Any]:
    import io

    import polars as pl

    sums = read_sums((directory / "SHA256SUMS").read_bytes())
    available = sorted(n.removesuffix(".parquet") for n in sums if n.endswith(".parquet"))
    out = {}
    for name in names or available:
        if name not in available:
            raise LoadError(f"no table {name!r} in this release: tables are {', '.join(available)}")
        path = directory / f"{name}.parquet"
        data = path.read_bytes()
        _verified(f"{directory}/", path.name, data, sums)
        out[name] = to_pandas(pl.read_parquet(io.BytesIO(data)))
    return out


def _from_package(directory: Path, names: list[str] | None) -> dict[str, Any]:
    """A source package (CSV): validated, then typed exactly as a release would be."""
    from aesdata.check import InvalidPackage, checked_frames
    from aesdata.package import open_package

    package = open_package(directory)
    try:
        _raw, typed = checked_frames(package)
    except InvalidPackage as exc:
        raise LoadError(
            f"{directory} does not pass validation: {exc} (run `aesdata validate` for details)"
        ) from None
    out = {}
    for name in names or list(typed):
        if name not in typed:
            raise LoadError(f"no table {name!r}: tables are {', '.join(typed)}")
        out[name] = to_pandas(typed[name])
    return out


def to_pandas(typed: Any) -> Any:
    """A typed polars frame → pandas with nullable dtypes: string, Int64, boolean, category, datetime64.

    A release's Parquet (read by polars, which restores each enum's whole vocabulary) and a
    source package both come through here, so both give the same dtypes.
    """
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    table = typed.to_arrow(compat_level=pl.CompatLevel.newest())
    mapping = {
        pa.string_view(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.float64(): pd.Float64Dtype(),
    }
    frame = table.to_pandas(types_mapper=mapping.get, date_as_object=False)
    for name in frame.columns:
        if pa.types.is_date32(table.schema.field(name).type):
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame
