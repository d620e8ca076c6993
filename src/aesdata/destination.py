"""Where a build may write: only a new path, an empty directory, or a release it made before.

A build replaces its destination whole, so a mistyped ``--out`` must never reach the user's own
files: the package being built (or its ``data/`` and ``schemas/``), the current directory or a
parent of it, a file, a link, or any directory holding something that is not a release. Such a
destination is refused before anything is written, with what is there and what to do.

Builds beside one destination take a lock next to it, so two of them cannot both swap; and a
build killed outright (SIGKILL, a power cut) leaves staging directories named after its PID,
which the next build beside the same destination removes once that PID no longer runs.

The finished release is put on disk, then swapped into place with signals held, so that a swap
is never left half-way.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from aesdata.checksums import is_release
from aesdata.package import Package


class DestinationError(Exception):
    """The destination cannot be written or replaced; the message says why and what to do."""


def check(package: Package, out: Path) -> None:
    """Refuse ``out`` unless it is new, empty, or a release; raise :class:`DestinationError`."""
    target = out.resolve()
    for mine, what in _protected(package):
        if target == mine or mine.is_relative_to(target):
            raise DestinationError(
                f"--out {out}: it is or contains {what} ({mine}): a build replaces its "
                "destination whole; choose a directory of its own, such as dist"
            )
        if target.is_relative_to(mine) and mine != package.root:
            raise DestinationError(
                f"--out {out}: it lies inside {what} ({mine}), which holds the package's own "
                "files; choose a directory of its own, such as dist"
            )
    cwd = Path.cwd().resolve()
    if target == cwd or cwd.is_relative_to(target):
        raise DestinationError(
            f"--out {out}: it is the current directory or a parent of it; choose a new "
            "directory, such as dist"
        )
    replaceable(out)


def _protected(package: Package) -> list[tuple[Path, str]]:
    """The package and the directories of its files, which no release may replace."""
    found = [(package.root, "the package being built")]
    paths = [res.path for res in package.resources]
    for res in package.resources:
        schema = package.entry(res.name).get("schema")
        if isinstance(schema, str):
            paths.append(package.root / schema)
    for parent in sorted({p.resolve().parent for p in paths}):
        if parent != package.root:
            found.append((parent, f"the package's {parent.relative_to(package.root)}/"))
    return found


def replaceable(out: Path) -> None:
    """Refuse ``out`` unless it is new, an empty directory or a release (nothing else lost)."""
    if out.is_symlink():
        raise DestinationError(f"--out {out}: it is a symbolic link; give the real directory")
    if not out.exists():
        return
    if not out.is_dir():
        raise DestinationError(f"--out {out}: it is a file, not a directory; choose another path")
    entries = sorted(p.name for p in out.iterdir())
    if entries and not is_release(out):
        shown = ", ".join(entries[:5]) + (" ..." if len(entries) > 5 else "")
        raise DestinationError(
            f"--out {out}: it holds {len(entries)} entries that are not an aesdata release "
            f"({shown}); a build only replaces an empty directory or a release it wrote "
            "(recognised by its SHA256SUMS): choose a new directory, or empty this one yourself"
        )


def staging_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.building-{os.getpid()}"


def aside_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.old-{os.getpid()}"


def sweep_stale(out: Path) -> list[Path]:
    """Remove staging and set-aside directories of builds beside ``out`` that no longer run."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(building|old)-([0-9]+)")
    removed = []
    for entry in out.parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not running(int(match[2])):
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (one of another user's counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``out`` for the whole build; a second build is refused.

    The lock file is removed when the build ends; a build that finds the file replaced while it
    waited (another build removed it) opens the new one, so two builds never hold two files.
    """
    path = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise DestinationError(
                    f"--out {out}: another build is writing it (lock {path} is held); "
                    "wait for it to finish, or choose another directory"
                ) from None
            raise
        if _same_file(fd, path):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def durable(staging: Path) -> None:
    """Every file of the release on disk before it is renamed into place.

    Without it a power cut just after the rename could leave a release of empty files. Big
    files were already flushed one by one as they were finished, while the build went on, so
    this mostly waits for the small ones; and a big build leaves no gigabytes of dirty pages
    behind to throttle whatever writes next (the next build, typically).
    """
    for path in sorted(staging.iterdir()):
        fsync(path)
    fsync(staging)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then act: a swap is never left half-way.

    Python runs signal handlers in the main thread only, so only there can they be held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    saved = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    for number in caught[:1]:
        handler = saved[signal.Signals(number)]
        if callable(handler):
            handler(number, None)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(number)


def swap(staging: Path, out: Path) -> None:
    """Put the finished release in place; the old one is removed only once the new one is there."""
    old = aside_dir(out)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    fsync(out.parent)
    clear(old)


def clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
