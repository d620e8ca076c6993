"""A build replaces only a release it made: every other destination is refused, nothing touched."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import frictionless
import pytest
from click.testing import CliRunner
from conftest import ROOT, make_package

from aesdata import destination
from aesdata.cli import main
from aesdata.release import BuildError, build

SCRIPTS = ROOT / "scripts"


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file below ``root`` (links not followed) with its sha256: the state to compare."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def run_build(pkg: Path, out: str, cwd: Path) -> object:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["build", str(pkg), "--out", out, "--no-figures"])
    finally:
        os.chdir(old)


@pytest.mark.parametrize(
    ("out", "where", "message"),
    [
        ("{pkg}", "outside", "is or contains the package being built"),
        (".", "inside", "is or contains the package being built"),
        ("{pkg}/data", "outside", "is or contains the package's data/"),
        ("data", "inside", "is or contains the package's data/"),
        ("schemas", "inside", "is or contains the package's schemas/"),
        ("data/new", "inside", "lies inside the package's data/"),
        ("{tmp}", "outside", "is or contains the package being built"),
        ("..", "inside", "is or contains the package being built"),
        (
            "{foreign}",
            "outside",
            "holds 2 entries that are not an aesdata release (notes.txt, sub)",
        ),
        ("{file}", "outside", "it is a file, not a directory"),
        ("{link}", "outside", "it is a symbolic link"),
    ],
    ids=[
        "package-from-outside",
        "dot-inside-package",
        "data-from-outside",
        "data",
        "schemas",
        "inside-data",
        "parent-of-package",
        "parent-dir",
        "foreign-directory",
        "a-file",
        "a-link",
    ],
)
def test_unsafe_destinations_are_refused_and_nothing_changes(
    tmp_path: Path, out: str, where: str, message: str
) -> None:
    pkg = make_package(tmp_path / "pkg")
    foreign = tmp_path / "mine"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("keep me\n", encoding="utf-8")
    (tmp_path / "a-link").symlink_to(foreign)
    before = tree_hashes(tmp_path)
    target = out.format(
        pkg=pkg, tmp=tmp_path, foreign=foreign, file=tmp_path / "a-file", link=tmp_path / "a-link"
    )
    result = run_build(pkg, target, pkg if where == "inside" else tmp_path)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert tree_hashes(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-link", "mine", "pkg"]


def test_the_current_directory_is_refused_even_outside_the_package(tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg")
    (tmp_path / "work").mkdir()
    result = run_build(pkg, ".", tmp_path / "work")
    assert result.exit_code == 1
    assert "it is the current directory or a parent of it" in result.output


def test_new_empty_and_previous_release_are_accepted(mini: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new" / "rel", tmp_path / "empty", tmp_path / "empty"):
        assert build(mini, out, figures=False).path == out
        assert (out / "SHA256SUMS").is_file()


def test_a_release_holding_a_file_of_the_users_is_refused(mini: Path, tmp_path: Path) -> None:
    out = build(mini, tmp_path / "rel", figures=False).path
    (out / "my-analysis.ipynb").write_text("{}", encoding="utf-8")
    before = tree_hashes(out)
    with pytest.raises(BuildError, match=r"holds \d+ entries that are not an aesdata release"):
        build(mini, out, figures=False)
    assert tree_hashes(out) == before


def test_a_second_build_on_a_locked_destination_is_refused(mini: Path, tmp_path: Path) -> None:
    out = build(mini, tmp_path / "rel", figures=False).path
    before = tree_hashes(out)
    with destination.locked(out), pytest.raises(BuildError, match="another build is writing it"):
        build(mini, out, figures=False)
    assert tree_hashes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "rel"]  # the lock is gone too


def test_dead_builds_staging_is_swept_and_live_ones_kept(mini: Path, tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".rel.building-{dead_pid}"
    (stale / "events.csv").parent.mkdir()
    (stale / "events.csv").write_text("half\n", encoding="utf-8")
    live = tmp_path / f".rel.building-{os.getppid()}"
    live.mkdir()
    build(mini, tmp_path / "rel", figures=False)
    assert not stale.exists()
    assert live.is_dir()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
@pytest.mark.parametrize("state", ["full", "read-only"])
def test_a_full_or_read_only_disk_is_one_line_and_keeps_the_release(
    mini: Path, tmp_path: Path, state: str
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)]).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        out = build(mini, disk / "rel", figures=False).path
        before = tree_hashes(disk)
        if state == "full":
            fill(disk / "filler", leave=64 * 1024)  # room for a table or two, not a release
            before = tree_hashes(disk)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = run_build(mini, str(out), tmp_path)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        expected = "No space left on device" if state == "full" else "Read-only file system"
        assert lines[0].startswith(f"build failed: cannot write the release to {out}: {expected}")
        assert tree_hashes(disk) == before
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_the_parquet_writer_is_an_os_error(mini: Path, tmp_path: Path) -> None:
    """polars words it in a ComputeError of its own; the build must see the OSError it is."""
    import errno

    import polars as pl

    from aesdata.package import open_package
    from aesdata.writer import write_parquet

    package = open_package(mini)
    frame = pl.read_parquet(build(mini, tmp_path / "rel", figures=False).path / "events.parquet")
    with pytest.raises(OSError) as caught:
        write_parquet(package, "events", frame, Path("/dev/full"))
    assert (caught.value.errno, caught.value.strerror) == (errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_under_sqlite_is_an_os_error(mini: Path, tmp_path: Path) -> None:
    """SQLite says "database or disk is full"; the build must see the OSError it is."""
    import errno

    import polars as pl

    from aesdata.database import Database
    from aesdata.package import open_package

    events = build(mini, tmp_path / "rel", figures=False).path / "events.parquet"
    one = pl.read_parquet(events)
    frame = pl.concat(  # a few MB, more than the disk holds, under IDs of their own
        one.with_columns(pl.col("event_id") + f"-{copy}") for copy in range(2000)
    )
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)]).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        db = Database(open_package(mini), disk / "aesdata.db")
        try:
            with pytest.raises(OSError) as caught:
                db.add("events", frame)
        finally:
            db.close(complete=False)
        assert (caught.value.errno, caught.value.filename) == (
            errno.ENOSPC,
            str(disk / "aesdata.db"),
        )
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(path: Path, leave: int) -> None:
    """Fill the file system holding ``path`` up, then give back ``leave`` bytes."""
    with path.open("wb", buffering=0) as fh:
        with contextlib.suppress(OSError):
            while fh.write(b"\0" * 4096):
                pass
        fh.truncate(max(0, fh.tell() - leave))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_a_destination_without_permission_is_one_line(mini: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = run_build(mini, str(locked / "rel"), tmp_path)
    assert result.exit_code == 1
    assert "Permission denied" in result.output


def synthetic(tmp_path: Path, events: int) -> Path:
    out = tmp_path / "synth"
    cmd = [sys.executable, str(SCRIPTS / "synth.py"), "--events", str(events), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def test_a_killed_build_leaves_the_release_and_the_next_sweeps_its_staging(tmp_path: Path) -> None:
    pkg = synthetic(tmp_path, 200_000)
    out = tmp_path / "rel"
    build(make_package(tmp_path / "mini"), out, figures=False)
    before = tree_hashes(out)
    cmd = [sys.executable, "-m", "aesdata", "build", str(pkg), "--out", str(out), "--no-figures"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = tmp_path / f".rel.building-{proc.pid}"
    deadline = time.monotonic() + 120
    while proc.poll() is None and not (staging / "entities.csv").exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if not staging.exists():
        pytest.skip("the build finished before it could be killed")
    assert tree_hashes(out) == before
    build(make_package(tmp_path / "mini2"), out, figures=False)
    assert not staging.exists()
    assert not list(tmp_path.glob(".rel.*"))


def test_two_builds_at_once_leave_one_complete_release(tmp_path: Path) -> None:
    pkg = synthetic(tmp_path, 50_000)
    out = tmp_path / "rel"
    cmd = [sys.executable, "-m", "aesdata", "build", str(pkg), "--out", str(out), "--no-figures"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(), p.stdout.read() if p.stdout else "") for p in procs]
    for p in procs:
        if p.stdout:
            p.stdout.close()
    assert any(code == 0 for code, _ in results), results
    for code, output in results:
        assert code == 0 or "another build is writing it" in output, output
    check = subprocess.run(
        ["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True
    )
    assert check.returncode == 0, check.stdout
    assert frictionless.validate(out / "datapackage.json").valid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel", "synth"]
