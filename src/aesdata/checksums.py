"""``SHA256SUMS``: the one reader and writer of a release's checksums, and what a release file is.

A release's names come from whoever serves it, so they are untrusted: a name read from
``SHA256SUMS`` or a release descriptor must be a plain file name of the release (no separator,
no ``..``, no drive, no control character), or it could make the loader write outside its cache
or the build replace a file that is not a release file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SUMS = "SHA256SUMS"
DIGEST = re.compile(r"[0-9a-f]{64}")
# What the build names its files: letters, digits, dot, dash and underscore, not starting with a
# dot (the loader's and the build's temporary files do), at most 255 bytes.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


class ChecksumError(ValueError):
    """``SHA256SUMS`` (or a release name) cannot be trusted: the message names the entry."""


def plain_name(name: object, where: str) -> str:
    """``name`` if it is a plain file name of a release; otherwise :class:`ChecksumError`."""
    if not isinstance(name, str) or not PLAIN_NAME.fullmatch(name) or name in (".", ".."):
        raise ChecksumError(
            f"{where}: {name!r} is not a plain file name (letters, digits, '.', '-', '_'; "
            "no path, no '..', no control character): refusing the release"
        )
    return name


def format_sums(sums: dict[str, str]) -> str:
    """``SHA256SUMS`` text, as ``sha256sum -c`` reads it: one ``digest  name`` line a file."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))


def read_sums(data: bytes) -> dict[str, str]:
    """File name → sha256 from ``SHA256SUMS`` text; every name must be a plain file name."""
    sums = {}
    for number, line in enumerate(data.decode("utf-8", errors="replace").split("\n"), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or not DIGEST.fullmatch(digest):
            raise ChecksumError(f"{SUMS} line {number}: expected 'sha256  name', got {line!r}")
        sums[plain_name(name, f"{SUMS} line {number}")] = digest
    if not sums:
        raise ChecksumError(f"{SUMS} is empty: refusing to load unverified files")
    return sums


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def is_release(directory: Path) -> bool:
    """Whether ``directory`` holds a release and nothing else, so a build may replace it.

    A release is recognised by what the build writes, not by its name: a ``SHA256SUMS`` that
    lists a ``datapackage.json`` and every other file of the directory, and no subdirectory or
    link. A file of the user's put in there makes it no longer replaceable.
    """
    try:
        sums = read_sums((directory / SUMS).read_bytes())
        entries = list(directory.iterdir())
    except (OSError, ChecksumError):
        return False
    if "datapackage.json" not in sums:
        return False
    return all(
        p.is_file() and not p.is_symlink() and (p.name == SUMS or p.name in sums) for p in entries
    )
