"""A clean package → a release directory: Parquet, JSON, CSV, descriptor, card, checksums.

The release is flat (every file at the top level, as release assets are) and reproducible: the
same input gives byte-identical files, because nothing depends on the clock (a build date comes
from ``SOURCE_DATE_EPOCH`` or from the data) and every listing is sorted. It is written beside
its destination and renamed into place, so a failed build leaves the previous release untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from aesdata import card, changes
from aesdata.check import validate_package
from aesdata.package import Package, open_package
from aesdata.report import Problem, Report
from aesdata.schema import arrow_schema, release_fields, typed_frame

Progress = Callable[[str], None]


class BuildError(Exception):
    """The build was refused; ``report`` says why (invalid data, a dropped ID ...)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report or Report()


@dataclass
class Release:
    """What a build wrote: the directory, its files, and the changes since the previous one."""

    path: Path
    files: list[str] = field(default_factory=list)
    changelog: dict[str, Any] = field(default_factory=dict)


def build(
    path: str | Path = ".",
    out: str | Path = "dist",
    previous: str | None = None,
    archive: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> Release:
    """Validate the package at ``path`` and write its release to ``out`` atomically."""
    say = progress or (lambda _msg: None)
    package = open_package(path)
    say("validating")
    raw, frames = _validated_frames(package, today or dt.date.today())
    changelog: dict[str, Any] = {}
    if previous:
        say("comparing with the previous release")
        changelog = changes.compare(package, raw, changes.previous_release(previous))
    if changelog.get("problems"):
        raise BuildError(
            "IDs were dropped or reused", Report([Problem(**p) for p in changelog["problems"]])
        )
    out = Path(out)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    _clear(staging)
    staging.mkdir(parents=True)
    try:
        files = _write_release(package, frames, changelog, staging, archive, say)
        _swap(staging, out)
    except BaseException:
        _clear(staging)
        raise
    return Release(out, files, changelog)


def _validated_frames(
    package: Package, today: dt.date
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Raw and typed frames of a package that passes validation; otherwise :class:`BuildError`."""
    report, tables = validate_package(package, today)
    if not report.valid:
        raise BuildError("the data does not pass validation: no release was written", report)
    raw = {res.name: tables[res.name].frame for res in package.resources}
    typed = {name: typed_frame(frame, package.resource(name).schema) for name, frame in raw.items()}
    return raw, typed


def _write_release(
    package: Package,
    frames: dict[str, pl.DataFrame],
    changelog: dict[str, Any],
    out: Path,
    archive: bool,
    say: Progress,
) -> list[str]:
    for res in package.resources:
        say(f"writing {res.name}")
        write_parquet(package, res.name, frames[res.name], out / f"{res.name}.parquet")
        (out / f"{res.name}.json").write_bytes(
            frames[res.name].write_json().encode("utf-8") + b"\n"
        )
        shutil.copyfile(res.path, out / f"{res.name}.csv")
    say("writing the bundle, descriptor and card")
    _write_bundle(package, frames, out)
    if changelog:
        changes.write(changelog, out)
    (out / "README.md").write_text(card.render(package, frames, changelog), encoding="utf-8")
    _write_descriptor(package, frames, out)
    if archive:
        say("writing the archive")
        _write_zip(out, out / f"{package.name}-{package.version}.zip")
    _write_checksums(out)
    return sorted(p.name for p in out.iterdir())


def parquet_metadata(package: Package, table: str) -> dict[str, str]:
    res = package.resource(table)
    meta = {
        "package": package.name,
        "version": package.version,
        "table": table,
        "title": res.schema.get("title", table),
    }
    return {"aesdata": json.dumps(meta, ensure_ascii=False, sort_keys=True)}


def write_parquet(package: Package, table: str, frame: pl.DataFrame, dest: Path) -> None:
    """zstd Parquet typed by the Table Schema, with descriptions in the metadata."""
    schema = arrow_schema(package.resource(table).schema, parquet_metadata(package, table))
    pq.write_table(frame.to_arrow().cast(schema), dest, compression="zstd")


def package_meta(package: Package) -> dict[str, Any]:
    """The descriptor's metadata without its resources: what every release file carries."""
    return {k: v for k, v in package.descriptor.items() if k != "resources"}


def _write_bundle(package: Package, frames: dict[str, pl.DataFrame], out: Path) -> None:
    """One JSON file with every table, written from each table's JSON text (no re-parsing)."""
    head = json.dumps(package_meta(package), ensure_ascii=False, sort_keys=True)
    with (out / f"{package.name}-{package.version}.json").open("w", encoding="utf-8") as fh:
        fh.write(f'{{"package":{head},"tables":{{')
        for i, (name, frame) in enumerate(frames.items()):
            fh.write(("," if i else "") + json.dumps(name) + ":" + frame.write_json())
        fh.write("}}\n")


def build_date(frames: dict[str, pl.DataFrame]) -> str:
    """``SOURCE_DATE_EPOCH`` when set, otherwise the latest date in the data: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    latest = [
        frame.get_column(c).max()
        for frame in frames.values()
        for c, t in frame.schema.items()
        if t == pl.Date
    ]
    days = [d for d in latest if isinstance(d, dt.date)]
    return f"{max(days).isoformat()}T00:00:00Z" if days else "1980-01-01T00:00:00Z"


def _write_descriptor(package: Package, frames: dict[str, pl.DataFrame], out: Path) -> None:
    """The release's own Data Package: every file with its size and sha256.

    CSVs are tabular resources with their Table Schemas, so the official validator checks them
    again; Parquet and JSON are ``file`` resources, whose bytes and hash it verifies.
    """
    resources = []
    for res in package.resources:
        schema = {
            k: v
            for k, v in res.schema.items()
            if k in ("primaryKey", "foreignKeys", "missingValues")
        }
        resources.append(
            _entry(
                out,
                f"{res.name}.csv",
                res.name,
                "text/csv",
                title=res.name,
                type="table",
                schema={"fields": res.schema["fields"], **schema},
            )
        )
        resources.append(
            _entry(
                out,
                f"{res.name}.parquet",
                f"{res.name}-parquet",
                "application/vnd.apache.parquet",
                type="file",
                description=f"{res.name} as typed Parquet (zstd)",
                **{"aesdata:fields": release_fields(res.schema)},
            )
        )
        resources.append(
            _entry(
                out,
                f"{res.name}.json",
                f"{res.name}-json",
                "application/json",
                type="file",
                description=f"{res.name} as a JSON array of records",
            )
        )
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
    ]
    resources += [
        _entry(out, name, rname, media, type="file", description=what)
        for name, rname, media, what in extras
        if (out / name).is_file()
    ]
    descriptor = {**package_meta(package), "created": build_date(frames), "resources": resources}
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (out / "datapackage.json").write_text(text, encoding="utf-8")


def _entry(out: Path, name: str, rname: str, mediatype: str, **extra: Any) -> dict[str, Any]:
    data = (out / name).read_bytes()
    entry: dict[str, Any] = {
        "name": rname,
        "path": name,
        "format": name.rsplit(".", 1)[-1],
        "mediatype": mediatype,
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
    }
    if not name.endswith(".parquet"):
        entry["encoding"] = "utf-8"
    return {**entry, **extra}


def _write_checksums(out: Path) -> None:
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(out.iterdir())
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    (out / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def _write_zip(out: Path, dest: Path) -> None:
    """A zip with fixed timestamps and permissions, entries sorted: byte-identical on rebuild."""
    stamp = dt.datetime.strptime(
        build_date({}) if os.environ.get("SOURCE_DATE_EPOCH") else "1980-01-01T00:00:00Z",
        "%Y-%m-%dT%H:%M:%SZ",
    )
    root = dest.stem
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(out.iterdir()):
            if p.is_file() and p != dest:
                info = zipfile.ZipInfo(f"{root}/{p.name}", date_time=stamp.timetuple()[:6])
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, p.read_bytes())


def _swap(staging: Path, out: Path) -> None:
    """Put the finished release in place; the old one is removed only once the new one is there."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    _clear(old)


def _clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
