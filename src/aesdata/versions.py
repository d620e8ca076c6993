"""What a version number promises: the rule that ties it to what changed.

A version names one state of the data: two releases with different data never share one. A
breaking schema change (see :mod:`aesdata.schemachanges`) tells users their code or data may
break, so it takes a major bump, or while the version is 0.x (where anything may still move)
a minor one. The rule is checked by ``aesdata diff --check`` on every pull request and by
``aesdata build --previous`` on every release.
"""

from __future__ import annotations

from collections.abc import Sequence

from aesdata.download import VERSION
from aesdata.schemachanges import BREAKING, SchemaChange


def parse(version: str) -> tuple[int, int, int] | None:
    """``MAJOR.MINOR.PATCH`` as numbers; None for anything else."""
    if not VERSION.match(version):
        return None
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def lowest(old: tuple[int, int, int], breaking: bool) -> tuple[int, int, int]:
    """The lowest version that may follow ``old``: the next major (0.x: minor) after a break."""
    major, minor, patch = old
    if not breaking:
        return major, minor, patch + 1
    return (major + 1, 0, 0) if major else (0, minor + 1, 0)


def version_problems(
    old: str, new: str, changes: Sequence[SchemaChange], differs: bool
) -> list[str]:
    """What is wrong with ``new`` after ``old``; ``differs``: the data must move on (a release)."""
    before, after = parse(old), parse(new)
    bad = [v for v, parsed in ((old, before), (new, after)) if parsed is None]
    if before is None or after is None:
        return [f"version {v!r} is not MAJOR.MINOR.PATCH" for v in bad]
    if after < before:
        return [f"the version goes backwards: {new} after {old}"]
    breaking = [c for c in changes if c.kind == BREAKING]
    if breaking and after < lowest(before, True):
        bump = "major" if before[0] else "minor (while 0.x)"
        return [
            f"{len(breaking)} breaking schema change(s) (first: {breaking[0]}) need version "
            f"{_text(lowest(before, True))} or higher, a {bump} bump: datapackage.json says {new}"
        ]
    if differs and after == before:
        return [
            f"the data differs from release {old} but the version is still {new}: give this "
            f"release a higher version in datapackage.json ({_text(lowest(before, False))} or higher)"
        ]
    return []


def _text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)
