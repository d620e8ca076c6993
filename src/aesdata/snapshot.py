"""One state of the dataset, wherever it is: a package or release directory, a release URL, or a
git revision of the repository. Two of them are what ``aesdata diff`` and a release's changelog
compare, and what ``validate --schemas-of`` takes its rules from.

Everything is read into memory as text (every cell a string, as the validator reads it), so a
revision's files live only in a temporary directory while they are read. A release describes
only its CSV files as tables, with their fields and keys inline: its descriptor keeps no
table-level rule (those stay in the source package), which :attr:`Snapshot.rules` records so that
a comparison does not take their absence for a change.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from aesdata.fmt import fixable
from aesdata.package import DESCRIPTOR, Package, PackageError, Resource, open_package, safe_path
from aesdata.read import read_table
from aesdata.report import Problem, Report, ReportedError
from aesdata.schemachanges import KEYS

GIT_TIMEOUT = 60.0  # seconds for one git command on a local repository


class SnapshotError(ReportedError):
    """A side of a comparison cannot be read; ``report`` holds any located problems."""


@dataclass(frozen=True)
class Snapshot:
    """The version, the Table Schemas and the tables (as text) of one state of the dataset."""

    label: str
    version: str
    schemas: dict[str, dict[str, Any]]
    tables: dict[str, pl.DataFrame]
    rules: bool = True  # whether the schemas carry their table-level rules (a release's do not)


def from_package(package: Package, frames: dict[str, pl.DataFrame], label: str) -> Snapshot:
    """A package already read (by a build, say): its own schemas and frames."""
    schemas = {res.name: res.schema for res in package.resources}
    return Snapshot(label, package.version, schemas, {n: frames[n] for n in schemas})


def open_snapshot(source: str, cwd: Path | None = None, tables: bool = True) -> Snapshot:
    """``source`` read whole: a directory, a release URL, or a git revision of ``cwd``'s repository.

    A path that exists is a directory even when a branch has the same name. With ``tables``
    false only the schemas are read (the tables are left empty).
    """
    here = cwd or Path.cwd()
    if source.startswith(("http://", "https://")):
        from aesdata.load import LoadError, fetch_release

        try:
            return read_directory(fetch_release(source, suffix=".csv"), source, tables)
        except LoadError as exc:
            raise SnapshotError(str(exc)) from None
    path = here / source
    if path.exists():
        return read_directory(path.parent if path.is_file() else path, source, tables)
    commit = _commit(source, here)
    if commit is None:
        raise SnapshotError(
            f"{source}: neither a directory, a release URL nor a git revision of this repository"
        )
    with tempfile.TemporaryDirectory(prefix="aesdata-revision-") as tmp:
        _materialise(commit, here, Path(tmp), tables)
        return read_directory(Path(tmp), source, tables)


def read_directory(directory: Path, label: str, tables: bool = True) -> Snapshot:
    """A source package (schemas in files) or a release (CSVs with their schemas inline)."""
    try:
        if (directory / "SHA256SUMS").is_file():
            package, rules = _release(directory), False
        else:
            package, rules = open_package(directory), True
    except PackageError as exc:
        raise SnapshotError(f"{label}: {exc}") from None
    problems: list[Problem] = list(package.problems)
    frames = {}
    for res in package.resources if tables else ():
        table, found = read_table(res)
        problems += [p for p in found if not fixable(p, res, table.header if table else [])]
        if table is not None:
            frames[res.name] = table.frame
    if problems:
        raise SnapshotError(f"{label}: its tables cannot be read", Report(problems))
    schemas = {res.name: res.schema for res in package.resources}
    return Snapshot(label, package.version, schemas, frames, rules)


def _release(directory: Path) -> Package:
    """A release's tables: the descriptor's ``table`` resources, each a CSV beside it."""
    root = directory.resolve()
    try:
        descriptor = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{DESCRIPTOR}: cannot be read as JSON ({exc})") from None
    resources = []
    for raw in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
        if not isinstance(raw, dict) or raw.get("type") != "table":
            continue
        path, why = safe_path(root, raw.get("path"))
        schema = raw.get("schema")
        if path is None or not path.is_file() or not isinstance(schema, dict):
            raise PackageError(f"{raw.get('name')}: {why or 'no such table in the release'}")
        resources.append(Resource(str(raw["name"]), str(raw["path"]), path, schema))
    return Package(root, descriptor, tuple(resources))


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SnapshotError(f"git {args[0]} failed: {exc}") from None


def _commit(revision: str, cwd: Path) -> str | None:
    """The commit ``revision`` names in ``cwd``'s repository; None when it names none."""
    if not revision or revision.startswith("-") or re.search(r"[\x00-\x20]", revision):
        return None
    try:
        found = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd)
    except SnapshotError:
        return None  # no git: then no revision either
    return found.stdout.decode().strip() if found.returncode == 0 else None


def _materialise(commit: str, cwd: Path, dest: Path, tables: bool) -> None:
    """The package as it was at ``commit``: its descriptor and every file it names, into ``dest``.

    The package is the one at the current directory's place in the repository; the paths its
    descriptor names are untrusted and must stay inside ``dest``.
    """
    prefix = _git(["rev-parse", "--show-prefix"], cwd).stdout.decode().strip()

    def show(relpath: str) -> bytes:
        found = _git(["show", f"{commit}:{prefix}{relpath}"], cwd)
        if found.returncode != 0:
            raise SnapshotError(f"{commit[:12]}: no {prefix}{relpath} in that revision")
        return found.stdout

    raw = show(DESCRIPTOR)
    (dest / DESCRIPTOR).write_bytes(raw)
    try:
        descriptor = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # open_package reports it
    for relpath, wanted in _named_files(descriptor, tables):
        target, _why = safe_path(dest.resolve(), relpath)
        if target is not None:  # an unsafe path is reported by open_package
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(show(relpath) if wanted else b"")


def _named_files(descriptor: Any, tables: bool) -> list[tuple[str, bool]]:
    """Every file a descriptor's resources name (schemas, data), and whether it is wanted.

    A resource's file must exist for the package to open: an unwanted one is left empty.
    """
    names = []
    for raw in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
        if isinstance(raw, dict):
            for value, wanted in ((raw.get("path"), tables), (raw.get("schema"), True)):
                if isinstance(value, str):
                    names.append((value, wanted))
    return names


def with_rules_of(package: Package, other: Snapshot) -> Package:
    """``package`` held to ``other``'s rules: a pull request's data against the base's schemas.

    Each field the other side describes keeps that description (its type and constraints); a
    field only this side has keeps its own, so that adding an optional field is no failure. The
    other side's table rules apply too, except those naming a field this side no longer has
    (that removal is a breaking change, which ``aesdata diff`` reports). A table the other side
    lacks keeps its own schema.
    """
    resources = []
    for res in package.resources:
        theirs = other.schemas.get(res.name)
        if theirs is None:
            resources.append(res)
            continue
        described = {f["name"]: f for f in theirs["fields"]}
        fields = [described.get(f["name"], f) for f in res.schema["fields"]]
        base = (
            theirs if other.rules else {**res.schema, **{k: theirs[k] for k in KEYS if k in theirs}}
        )
        gone = set(described) - {f["name"] for f in fields}
        schema = {k: _without(v, gone) for k, v in base.items() if k != "fields"}
        resources.append(dataclasses.replace(res, schema={**schema, "fields": fields}))
    return dataclasses.replace(package, resources=tuple(resources))


def _without(rule: Any, gone: set[str]) -> Any:
    """A table rule, or a list of them, less those that name one of the fields ``gone``."""
    if isinstance(rule, list) and any(isinstance(item, dict | list) for item in rule):
        return [item for item in rule if not _names(item, gone)]
    return rule


def _names(value: Any, names: set[str]) -> bool:
    if isinstance(value, str):
        return value in names
    if isinstance(value, dict):
        return any(_names(v, names) or _names(k, names) for k, v in value.items())
    if isinstance(value, list):
        return any(_names(v, names) for v in value)
    return False
