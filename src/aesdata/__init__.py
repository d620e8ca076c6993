"""aesdata: the open dataset on the Alliance of Sahel States, and the toolkit that ships it.

``validate`` and ``build`` import their heavy dependencies (polars, pandera, pyarrow) when
called, so that ``import aesdata`` and ``aesdata --help`` stay fast; ``load`` needs only the
standard library until it reads data.
"""

from __future__ import annotations

from typing import Any

from aesdata.edition import toolkit_version
from aesdata.load import LoadError, load, load_all

__all__ = ["LoadError", "__version__", "build", "data_version", "load", "load_all", "validate"]
__version__ = toolkit_version()


def __getattr__(name: str) -> Any:
    """``aesdata.data_version``: the bundled edition's version, read when first asked for."""
    if name == "data_version":
        from aesdata.edition import data_version

        return data_version()
    raise AttributeError(f"module 'aesdata' has no attribute {name!r}")


def validate(path: str = ".", **kwargs: Any) -> Any:
    """Validate a package directory and return its report; see :func:`aesdata.check.validate`."""
    from aesdata.check import validate as run

    return run(path, **kwargs)


def build(path: str = ".", out: str = "dist", **kwargs: Any) -> Any:
    """Build a release; see :func:`aesdata.release.build`."""
    from aesdata.release import build as run

    return run(path, out, **kwargs)
