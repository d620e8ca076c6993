"""R reads a real release: CSV (readr, typed from the descriptor), JSON (jsonlite), SQLite (DBI)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from aesdata.release import build

SCRIPT = Path(__file__).resolve().parent / "r" / "read_release.R"
PACKAGES = ["readr", "jsonlite", "DBI", "RSQLite"]


def r_missing() -> str | None:
    """Why R cannot run here (None when it can): .ci/run installs Debian's r-base-core and r-cran-*."""
    if shutil.which("Rscript") is None:
        return "Rscript not found (.ci/run installs Debian's r-base-core)"
    probe = "quit(status = as.integer(!all(sapply(c({}), requireNamespace, quietly = TRUE))))"
    names = ", ".join(f'"{p}"' for p in PACKAGES)
    if subprocess.run(["Rscript", "-e", probe.format(names)], capture_output=True).returncode:
        return f"R packages missing: {', '.join(PACKAGES)} (Debian's r-cran-*)"
    return None


@pytest.mark.skipif(r_missing() is not None, reason=str(r_missing()))
def test_r_reads_the_release_csv_json_and_sqlite(tmp_path: Path) -> None:
    release = build(ROOT, tmp_path / "release", sqlite=True, figures=False).path
    result = subprocess.run(["Rscript", str(SCRIPT), str(release)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    counts = dict(item.split("=") for item in result.stdout.split()[1:])
    with (ROOT / "data" / "events.csv").open(encoding="utf-8", newline="") as fh:
        events = sum(1 for _ in csv.DictReader(fh))
    assert result.stdout.startswith("ok ")
    assert int(counts["events"]) == events
