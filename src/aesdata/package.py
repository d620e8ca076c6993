"""Read ``datapackage.json`` safely and resolve its resources inside the package.

A contributor's descriptor is untrusted input: a resource path may try to leave the package
(``..``, an absolute path, a symlink) or point at the network. Such a resource is reported as a
problem and never opened, so validation reads nothing outside the package and fetches nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aesdata.report import Problem

DESCRIPTOR = "datapackage.json"


class PackageError(Exception):
    """The package cannot be read at all (no descriptor, not JSON, not a Data Package)."""


@dataclass(frozen=True)
class Resource:
    """One tabular resource: its name, its file, and its Table Schema (already loaded)."""

    name: str
    relpath: str
    path: Path
    schema: dict[str, Any]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.schema.get("fields", [])]

    def field(self, name: str) -> dict[str, Any]:
        return next(f for f in self.schema["fields"] if f["name"] == name)


@dataclass(frozen=True)
class Package:
    """A Data Package on disk: the descriptor, its safe resources, and what was wrong with it."""

    root: Path
    descriptor: dict[str, Any]
    resources: tuple[Resource, ...]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", "package"))

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", "0.0.0"))

    def entry(self, name: str) -> dict[str, Any]:
        """The descriptor's own entry for resource ``name`` (title, description ...)."""
        found = (
            r for r in self.descriptor["resources"] if isinstance(r, dict) and r.get("name") == name
        )
        return next(found, {})

    def resource(self, name: str) -> Resource:
        for res in self.resources:
            if res.name == name:
                return res
        raise KeyError(name)


def descriptor_path(path: str | Path) -> Path:
    """Accept a package directory or its ``datapackage.json``."""
    p = Path(path)
    return p / DESCRIPTOR if p.is_dir() else p


def open_package(path: str | Path = ".") -> Package:
    """Open the package at ``path``; raise :class:`PackageError` when it cannot be read at all."""
    desc_path = descriptor_path(path)
    if not desc_path.is_file():
        raise PackageError(
            f"{desc_path}: no such file: give a package directory or its {DESCRIPTOR}"
        )
    descriptor = _read_json(desc_path, DESCRIPTOR)
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageError(f"{DESCRIPTOR}: not a Data Package: expected an object with 'resources'")
    root = desc_path.parent.resolve()
    problems: list[Problem] = []
    resources = []
    for i, raw in enumerate(descriptor["resources"]):
        res = _resource(root, i, raw, problems)
        if res is not None:
            resources.append(res)
    return Package(root, descriptor, tuple(resources), tuple(problems))


def safe_path(root: Path, relpath: object) -> tuple[Path | None, str]:
    """Resolve ``relpath`` inside ``root``; return ``(None, reason)`` when it is not safe."""
    if not isinstance(relpath, str) or not relpath:
        return None, "path must be a non-empty string"
    if "://" in relpath:
        return None, f"path {relpath!r} is a URL: resources must be files inside the package"
    if relpath.startswith(("/", "\\")) or Path(relpath).is_absolute() or ":" in relpath:
        return None, f"path {relpath!r} is absolute: use a path relative to the package"
    if ".." in Path(relpath).parts or ".." in relpath.split("\\"):
        return None, f"path {relpath!r} leaves the package ('..')"
    resolved = (root / relpath).resolve()
    if not resolved.is_relative_to(root):
        return None, f"path {relpath!r} leads outside the package (through a symlink)"
    return resolved, ""


MAX_JSON_BYTES = 64 << 20  # a descriptor or schema describes tables; it does not hold them


def _read_json(path: Path, label: str) -> Any:
    """Parse a descriptor or schema, refusing what would exhaust the parser instead of failing."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise PackageError(
                f"{label}: {size} bytes, over the {MAX_JSON_BYTES >> 20} MiB a descriptor may take"
            )
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise PackageError(f"{label}: nested too deeply to be a descriptor") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{label}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{label}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except OSError as exc:
        raise PackageError(f"{label}: cannot be read: {exc.strerror}") from None


def _resource(root: Path, i: int, raw: object, problems: list[Problem]) -> Resource | None:
    """Turn one descriptor entry into a :class:`Resource`, or record why it cannot be used."""
    where = f"{DESCRIPTOR}: resources[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.append(Problem(where, None, None, "package-descriptor", "a resource needs a name"))
        return None
    name, relpath = raw["name"], raw.get("path")
    unread = _unsupported(raw)
    if unread:
        problems.append(Problem(where, None, None, "package-descriptor", f"{name}: {unread}"))
        return None
    path, why = safe_path(root, relpath)
    if path is None:
        problems.append(Problem(where, None, None, "package-path", f"{name}: {why}"))
        return None
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file (a FIFO, socket or device)"
        msg = f"{name}: {relpath!r} is {kind}: a resource must be a regular CSV file"
        problems.append(Problem(where, None, None, "package-resource", msg))
        return None
    if not path.is_file():
        msg = f"{name}: file {relpath!r} does not exist"
        problems.append(Problem(where, None, None, "package-resource", msg))
        return None
    schema = _schema(root, name, raw.get("schema"), where, problems)
    if schema is None:
        return None
    missing_values = schema.get("missingValues", [""])
    if missing_values != [""]:
        msg = (
            f'{name}: missingValues {missing_values!r} changes how cells are read; only [""] '
            "(an empty cell is missing) is supported"
        )
        problems.append(Problem(where, None, None, "package-descriptor", msg))
        return None
    return Resource(name, str(relpath), path, schema)


def _unsupported(raw: dict[str, Any]) -> str:
    """What in a resource would change how its file is read, and the toolkit does not implement.

    The official validator would read the file another way (another delimiter, encoding ...),
    so aesdata and Frictionless could disagree on whether the package is valid, and a release
    would carry that descriptor to every user's client: refused instead.
    """
    if isinstance(raw.get("path"), list):
        return "a multipart path (a list of files) is not supported: give one CSV file"
    if "dialect" in raw:
        return "a CSV dialect is not supported: files are comma-separated, double-quoted, LF"
    if str(raw.get("encoding", "utf-8")).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return f"encoding {raw['encoding']!r} is not supported: files are UTF-8"
    if "compression" in raw:
        return f"compression {raw['compression']!r} is not supported: files are plain CSV"
    if str(raw.get("format", "csv")).lower() != "csv":
        return f"format {raw['format']!r} is not supported: resources are CSV files"
    return ""


def _schema(
    root: Path, name: str, raw: object, where: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """Load an inline or referenced Table Schema; a referenced one must be inside the package."""
    if isinstance(raw, str):
        path, why = safe_path(root, raw)
        if path is None:
            problems.append(Problem(where, None, None, "package-path", f"{name} schema: {why}"))
            return None
        try:
            raw = _read_json(path, raw)
        except PackageError as exc:
            problems.append(Problem(where, None, None, "package-descriptor", str(exc)))
            return None
    fields = raw.get("fields") if isinstance(raw, dict) else None
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
    ):
        msg = f"{name}: the schema needs a list of fields, each with a name"
        problems.append(Problem(where, None, None, "package-descriptor", msg))
        return None
    assert isinstance(raw, dict)  # it has a list of fields
    return raw
