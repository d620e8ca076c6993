"""The ``aesdata`` command: parse arguments, call one library function, print, choose the exit code.

Heavy libraries (polars, pandera, pyarrow) are imported inside the commands that need them, so
that ``aesdata --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

import click

FORMATS = ["text", "json", "github"]
# Arrow's jemalloc pool, told to return freed memory quickly, keeps the peak about a third lower
# on a million events than the default pool (see docs/performance.md).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
# No command does linear algebra; numpy only comes in with pyarrow, and OpenBLAS would start a
# thread per core that spins for a while, taking CPU from the readers and writers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ARROW_DECAY_MS = 100  # at once (0) costs a quarter of a second more of page faults at 1M events


def _stopped(signum: int, _frame: object) -> None:
    """Turn a termination signal into an exit that unwinds, so that nothing half-built stays."""
    raise SystemExit(128 + signum)


def _lean_arrow() -> None:
    """Have Arrow's jemalloc give freed pages back soon (where Arrow has jemalloc)."""
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):
        pa.jemalloc_set_decay_ms(ARROW_DECAY_MS)


class Guarded(click.Group):
    """Every failure reaches the user as one line and an exit code, never as a traceback.

    The commands handle the library's own errors; this catches what is left: the operating
    system's (a full disk, a permission), an interruption, and anything unexpected, which is
    worth a report (``AESDATA_DEBUG=1`` shows its traceback).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted: nothing half-written was left behind")
        except BrokenPipeError:  # the reader stopped reading (| head): nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")
        except Exception as exc:
            if os.environ.get("AESDATA_DEBUG") == "1":
                raise
            _fail(
                f"unexpected error: {type(exc).__name__}: {exc}. This is a bug: please report "
                "it with the command you ran (AESDATA_DEBUG=1 shows the traceback)"
            )


def needs(module: str, what: str) -> None:
    """Exit 1 with the extra to install when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        _fail(f"{what} need {module}, which is not installed: pip install 'aesdata[build]'")


def _fail(message: str) -> None:
    click.echo(f"aesdata: {message}", err=True)
    sys.exit(1)


def _versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the toolkit's and the bundled data edition's, which are two things."""
    if not value or ctx.resilient_parsing:
        return
    from aesdata.edition import data_version, toolkit_version
    from aesdata.load import LoadError

    try:
        edition = data_version()
    except LoadError:
        edition = "none bundled"
    click.echo(f"aesdata {toolkit_version()} (toolkit); data edition {edition}")
    ctx.exit()


def package_path(path: str | None, verb: str) -> str:
    """PATH when given; else the package in the current directory; else the bundled edition.

    The bundled edition is named on stderr, so that nobody mistakes it for their own package.
    """
    from pathlib import Path

    from aesdata.edition import bundled, data_version

    if path is not None:
        return path
    if Path("datapackage.json").is_file():
        return "."
    edition = bundled()
    click.echo(f"aesdata: {verb} the bundled edition {data_version()} ({edition})", err=True)
    return str(edition)


@click.group(cls=Guarded)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_versions,
    help="Show the toolkit's and the bundled data edition's versions, and exit.",
)
def main() -> None:
    """aesdata: check and release the open dataset on the Alliance of Sahel States."""


def _valid_package(path: str, command: str) -> tuple[Any, dict[str, Any]]:
    """The package at ``path`` and its typed tables; exit 1 with the problems when invalid."""
    from aesdata.check import InvalidPackage, checked_frames
    from aesdata.package import PackageError, open_package

    try:
        package = open_package(path)
        return package, checked_frames(package)[1]
    except InvalidPackage as exc:
        click.echo(exc.report.render("text"), err=True)
    except PackageError as exc:
        click.echo(f"{command} failed: {exc}", err=True)
    sys.exit(1)


def _progress() -> Callable[[str], None] | None:
    """Progress lines on stderr for a person at a terminal; silent in CI and when piped."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    return lambda message: click.echo(f"aesdata: {message} ...", err=True)


def _bytes_progress() -> Callable[[str, int, int | None], None] | None:
    """A line per file, rewritten as bytes arrive, for a person at a terminal."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(name: str, done: int, total: int | None) -> None:
        of = f" of {total / 1e6:.1f}" if total else ""
        click.echo(f"\raesdata: {name}: {done / 1e6:.1f}{of} MB ", err=True, nl=False)

    return show


# The commands, each module adding its own to the group (imported last: they use the above).
from aesdata.cli import check, publish, describe  # noqa: E402, F401, I001
