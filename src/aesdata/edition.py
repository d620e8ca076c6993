"""The data edition this installation carries, found through ``importlib.resources``.

A wheel carries the edition (``datapackage.json``, the schemas and the CSVs) inside the package,
as ``aesdata/edition/``; a checkout's ``src/aesdata/edition`` holds links to the repository's own
files, so both are found the same way, and nothing depends on where the source tree lies.
The toolkit's version (the Python distribution's) and the data edition's version (the
descriptor's) are two things, and both are reported.
"""

from __future__ import annotations

import json
import re
from importlib import metadata, resources
from pathlib import Path

from aesdata.download import LoadError

EDITION = "edition"


def bundled() -> Path:
    """The directory of the bundled edition (a Data Package), offline."""
    descriptor = Path(str(resources.files("aesdata").joinpath(EDITION, "datapackage.json")))
    if not descriptor.is_file():
        raise LoadError(
            "this installation carries no data edition (aesdata/edition is missing): reinstall "
            "aesdata, or pass a release directory, URL or version as source"
        )
    return descriptor.resolve().parent  # a checkout's links lead to the repository's files


def data_version() -> str:
    """The version of the bundled data edition."""
    descriptor = json.loads((bundled() / "datapackage.json").read_text(encoding="utf-8"))
    return str(descriptor.get("version", "unknown"))


def toolkit_version() -> str:
    """The version of the installed toolkit (the Python distribution)."""
    try:
        return metadata.version("aesdata")
    except metadata.PackageNotFoundError:
        return "unknown"


def newer_cached(cache: Path, version: str) -> str | None:
    """The newest release version in the cache, when it is newer than ``version``."""
    if not cache.is_dir():
        return None
    found = [
        p.name for p in cache.iterdir() if p.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+", p.name)
    ]
    newest = max(found, key=_key, default=None)
    return newest if newest is not None and _key(newest) > _key(version) else None


def _key(version: str) -> tuple[int, ...]:
    return (
        tuple(int(p) for p in version.split(".")) if re.fullmatch(r"\d+(\.\d+)*", version) else ()
    )
