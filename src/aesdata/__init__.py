"""aesdata: the open dataset on the Alliance of Sahel States, and the toolkit that ships it.

The public API is imported lazily so that ``import aesdata`` (and the CLI's ``--help``) stay fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build", "load", "load_all", "validate"]


def validate(path: str = ".", **kwargs: Any) -> Any:
    """Validate a package directory; see :func:`aesdata.validate.validate`."""
    from aesdata.validate import validate as run

    return run(path, **kwargs)


def build(path: str = ".", out: str = "dist", **kwargs: Any) -> Any:
    """Build a release; see :func:`aesdata.build.build`."""
    from aesdata.build import build as run

    return run(path, out, **kwargs)


def load(table: str, source: Any = None) -> Any:
    """One table as a typed pandas DataFrame; see :func:`aesdata.load.load`."""
    from aesdata.load import load as run

    return run(table, source)


def load_all(source: Any = None) -> dict[str, Any]:
    """Every table as typed pandas DataFrames; see :func:`aesdata.load.load_all`."""
    from aesdata.load import load_all as run

    return run(source)
