"""A release (bundled, local or downloaded) → pandas DataFrames typed by the Table Schemas.

``source`` may be nothing (the package this code ships with, offline), a local release or
package directory, a release URL, or a version (``"0.2.0"``, ``"latest"``) resolved against
``AESDATA_RELEASES_URL``. Downloads are verified against the release's ``SHA256SUMS`` and cached
per version; a corrupt file or an unreachable server is a :class:`LoadError`, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aesdata import download
from aesdata.checksums import ChecksumError, read_sums
from aesdata.download import VERSION, LoadError
from aesdata.edition import bundled, data_version, newer_cached

RELEASES_ENV = "AESDATA_RELEASES_URL"
CACHE_ENV = "AESDATA_CACHE"
__all__ = ["LoadError", "NewerEditionCached", "load", "load_all"]


class NewerEditionCached(UserWarning):
    """The bundled edition was loaded while a newer release sits in the cache."""


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
        _say_if_newer_cached()
        return bundled()
    text = str(source)
    if text == "latest" or VERSION.match(text) or text.startswith(("http://", "https://")):
        url, version = _url_of(text)
        return fetch_release(url, version=version)
    path = Path(text)
    if path.is_file():
        path = path.parent
    if not (path / "datapackage.json").is_file():
        raise LoadError(
            f"{text}: no datapackage.json there: give a release or package directory, "
            "a release URL or a version"
        )
    return path


def _say_if_newer_cached() -> None:
    import warnings

    mine = data_version()
    newer = newer_cached(cache_root(), mine)
    if newer:
        warnings.warn(
            f"loaded the bundled edition {mine}; release {newer} is in the cache "
            f"({cache_root() / newer}): pass source={newer!r} to load it",
            NewerEditionCached,
            stacklevel=4,
        )


def release_url(version: str) -> str:
    """GitHub-style release downloads: ``BASE/latest/download/`` or ``BASE/download/vX.Y.Z/``."""
    base = os.environ.get(RELEASES_ENV, "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise LoadError(
            f"set {RELEASES_ENV} to the project's releases address (for example "
            "https://github.com/OWNER/REPO/releases) to load a version by number"
        )
    return f"{base}/latest/download/" if version == "latest" else f"{base}/download/v{version}/"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "aesdata")


def fetch_release(url: str, suffix: str = ".parquet", version: str | None = None) -> Path:
    """A release's descriptor and ``suffix`` files, downloaded and verified, in the version's cache.

    See :mod:`aesdata.download` for what is verified; a cache that cannot be written is a
    :class:`LoadError` too.
    """
    try:
        return download.fetch_release(url, cache_root(), suffix, version)
    except OSError as exc:
        raise LoadError(
            f"cannot write to the cache {cache_root()}: {exc.strerror or exc}"
        ) from None


def download_release(
    source: str, out: str | Path | None = None, progress: download.Progress | None = None
) -> Path:
    """Every file of a published release, verified: in the cache, or in ``out``.

    ``out`` must be a new path, an empty directory or a previous release (the rule of
    ``aesdata build --out``); the release is assembled beside it and renamed into place.
    """
    import tempfile

    from aesdata.destination import DestinationError, replaceable

    url, version = _url_of(source)
    if out is None:
        return _cached(lambda cache: download.fetch_release(url, cache, "", version, progress))
    target = Path(out)
    try:
        replaceable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(
            prefix=f".{target.name}.download-", dir=target.parent
        ) as tmp:
            got = download.fetch_release(url, Path(tmp), "", version, progress)
            if target.exists():
                target.rename(Path(tmp) / "previous")
            got.rename(target)
    except DestinationError as exc:
        raise LoadError(str(exc).replace("--out", "out")) from None
    except OSError as exc:
        raise LoadError(f"cannot write the release to {target}: {exc.strerror or exc}") from None
    return target


def _url_of(source: str) -> tuple[str, str | None]:
    """A release URL and the version it must carry (None when any will do)."""
    if source == "latest":
        return release_url(source), None
    if VERSION.match(source):
        return release_url(source), source
    if source.startswith(("http://", "https://")):
        return source, None
    raise LoadError(f"{source!r}: give a version (0.2.0), 'latest' or a release URL")


def _cached(fetch: Any) -> Path:
    try:
        return Path(fetch(cache_root()))
    except OSError as exc:
        raise LoadError(
            f"cannot write to the cache {cache_root()}: {exc.strerror or exc}"
        ) from None


def _from_release(directory: Path, names: list[str] | None) -> dict[str, Any]:
    import hashlib
    import io

    import polars as pl

    try:
        sums = read_sums((directory / "SHA256SUMS").read_bytes())
    except ChecksumError as exc:
        raise LoadError(f"{directory}: {exc}") from None
    available = sorted(n.removesuffix(".parquet") for n in sums if n.endswith(".parquet"))
    out = {}
    for name in names or available:
        if name not in available:
            raise LoadError(f"no table {name!r} in this release: tables are {', '.join(available)}")
        path = directory / f"{name}.parquet"
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sums[path.name]:
            raise LoadError(
                f"{path}: checksum mismatch with SHA256SUMS: the file is corrupt or was altered; "
                "refusing it"
            )
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
