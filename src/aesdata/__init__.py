"""aesdata: the open dataset on the Alliance of Sahel States, and the toolkit that ships it.

``validate`` and ``build`` import their heavy dependencies (polars, pandera, pyarrow) when
called, so that ``import aesdata`` and ``aesdata --help`` stay fast; ``load`` needs only the
standard library until it reads data.
"""

from __future__ import annotations

from typing import Any

from aesdata.load import LoadError, load, load_all

__all__ = ["LoadError", "build", "load", "load_all", "validate"]


def validate(path: str = ".", **kwargs: Any) -> Any:
    """Validate a package directory and return its report; see :func:`aesdata.check.validate`."""
    from aesdata.check import validate as run

    return run(path, **kwargs)


def build(path: str = ".", out: str = "dist", **kwargs: Any) -> Any:
    """Build a release; see :func:`aesdata.release.build`."""
    from aesdata.release import build as run

    return run(path, out, **kwargs)
