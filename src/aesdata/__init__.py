"""aesdata: the open dataset on the Alliance of Sahel States, and the toolkit that ships it.

The public API is imported lazily so that ``import aesdata`` (and the CLI's ``--help``) stay fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["validate"]


def validate(path: str = ".", **kwargs: Any) -> Any:
    """Validate a package directory; see :func:`aesdata.validate.validate`."""
    from aesdata.validate import validate as run

    return run(path, **kwargs)
