"""The files around a release's data: its descriptor, its checksums and its archive.

Each file is hashed once (:class:`Digests`), and the same digests feed ``datapackage.json`` and
``SHA256SUMS``. Nothing depends on the clock: the build date comes from ``SOURCE_DATE_EPOCH``
or from the data, and the zip has fixed timestamps and its members in a fixed order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aesdata.checksums import format_sums
from aesdata.package import Package
from aesdata.schema import release_fields

FIGURES = {
    "timeline": "timeline of events",
    "map": "map of event places",
    "memberships": "memberships of the member states over time",
    "tolls": "people killed and wounded per year and country, as sums of lows and highs",
}


def package_meta(package: Package) -> dict[str, Any]:
    """The descriptor's metadata without its resources: what every release file carries."""
    return {k: v for k, v in package.descriptor.items() if k != "resources"}


class Digests:
    """sha256 and size of release files, each computed once, big files hashed in parallel."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.known: dict[str, tuple[int, str]] = {}

    def of(self, name: str) -> tuple[int, str]:
        if name not in self.known:
            self.known[name] = self._digest(name)
        return self.known[name]

    def record(self, name: str, size: int, digest: str) -> None:
        """The size and sha256 of a file hashed while it was written."""
        self.known[name] = (size, digest)

    def prefetch(self, names: list[str]) -> None:
        todo = [n for n in names if n not in self.known]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for name, result in zip(todo, pool.map(self._digest, todo), strict=True):
                self.known[name] = result

    def entry(self, name: str, rname: str, mediatype: str, **extra: Any) -> dict[str, Any]:
        """A descriptor resource for file ``name``, with its bytes and hash."""
        size, digest = self.of(name)
        entry: dict[str, Any] = {
            "name": rname,
            "path": name,
            "format": name.rsplit(".", 1)[-1],
            "mediatype": mediatype,
            "bytes": size,
            "hash": f"sha256:{digest}",
        }
        if not name.endswith(".parquet"):
            entry["encoding"] = "utf-8"
        return {**entry, **extra}

    def _digest(self, name: str) -> tuple[int, str]:
        path = self.out / name
        with path.open("rb") as fh:
            return path.stat().st_size, hashlib.file_digest(fh, "sha256").hexdigest()


def copy_digest(source: Path, sink: Callable[[memoryview], Any]) -> tuple[int, str]:
    """Stream ``source`` into ``sink``; its size and sha256 on the way.

    One buffer is reused for the whole file: a fresh ``bytes`` per chunk would be allocated and
    freed each time (with 4 MiB chunks that cost more in page faults than the copy itself).
    """
    digest, size = hashlib.sha256(), 0
    buffer = memoryview(bytearray(COPY_CHUNK))
    with source.open("rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            digest.update(buffer[:n])
            sink(buffer[:n])
            size += n
    return size, digest.hexdigest()


COPY_CHUNK = 1 << 18  # 256 KiB: the copy stays in the CPU cache between reading, hashing, writing


def build_date(latest: dt.date | None) -> str:
    """``SOURCE_DATE_EPOCH`` when set, otherwise the latest date in the data: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{latest.isoformat()}T00:00:00Z" if latest else "1980-01-01T00:00:00Z"


def write_descriptor(package: Package, latest: dt.date | None, out: Path, digests: Digests) -> None:
    """The release's own Data Package: every file with its size and sha256.

    CSVs are tabular resources with their Table Schemas, so the official validator checks them
    again; Parquet and JSON are ``file`` resources, whose bytes and hash it verifies.
    """
    extras = [
        (
            f"{package.name}-{package.version}.json",
            "bundle",
            "application/json",
            "every table and the metadata",
        ),
        ("README.md", "card", "text/markdown", "the dataset card"),
        ("CHANGELOG.md", "changelog", "text/markdown", "changes since the previous release"),
        ("changelog.json", "changelog-json", "application/json", "the changes, for tools"),
        (
            f"{package.name}.db",
            "sqlite",
            "application/vnd.sqlite3",
            "every table as SQLite",
        ),
        (
            "datasette-metadata.json",
            "datasette-metadata",
            "application/json",
            "metadata for Datasette",
        ),
    ]
    extras += [
        (f"{figure}.{ext}", f"{figure}-{ext}", media, what)
        for figure, what in FIGURES.items()
        for ext, media in (("png", "image/png"), ("svg", "image/svg+xml"))
    ]
    extras = [extra for extra in extras if (out / extra[0]).is_file()]
    tables = [
        f"{res.name}.{ext}" for res in package.resources for ext in ("csv", "parquet", "json")
    ]
    digests.prefetch([*tables, *(extra[0] for extra in extras)])  # the archive is not finished
    entry = digests.entry
    resources = []
    for res in package.resources:
        keys = {
            k: v
            for k, v in res.schema.items()
            if k in ("primaryKey", "foreignKeys", "missingValues")
        }
        resources += [
            entry(
                f"{res.name}.csv",
                res.name,
                "text/csv",
                title=res.name,
                type="table",
                schema={"fields": res.schema["fields"], **keys},
            ),
            entry(
                f"{res.name}.parquet",
                f"{res.name}-parquet",
                "application/vnd.apache.parquet",
                type="file",
                description=f"{res.name} as typed Parquet (zstd)",
                **{"aesdata:fields": release_fields(res.schema)},
            ),
            entry(
                f"{res.name}.json",
                f"{res.name}-json",
                "application/json",
                type="file",
                description=f"{res.name} as a JSON array of records",
            ),
        ]
    resources += [
        entry(name, rname, media, type="file", description=what)
        for name, rname, media, what in extras
    ]
    descriptor = {**package_meta(package), "created": build_date(latest), "resources": resources}
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (out / "datapackage.json").write_text(text, encoding="utf-8")


def write_checksums(out: Path, digests: Digests) -> None:
    names = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    digests.prefetch(names)
    sums = {name: digests.of(name)[1] for name in names}
    (out / "SHA256SUMS").write_text(format_sums(sums), encoding="utf-8")


def zip_stamp() -> dt.datetime:
    """The archive's timestamp: the build date under ``SOURCE_DATE_EPOCH``, else zip's epoch."""
    return dt.datetime.strptime(
        build_date(None) if os.environ.get("SOURCE_DATE_EPOCH") else "1980-01-01T00:00:00Z",
        "%Y-%m-%dT%H:%M:%SZ",
    )
