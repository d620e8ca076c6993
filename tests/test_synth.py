"""The synthetic packages used by the benchmark: valid when clean, every injected error found."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aesdata.check import validate

SYNTH = Path(__file__).resolve().parent.parent / "scripts" / "synth.py"


def synth(out: Path, *args: str) -> Path:
    subprocess.run(
        [sys.executable, str(SYNTH), "--events", "2000", "--out", str(out), *args],
        check=True,
        capture_output=True,
    )
    return out


def test_synthetic_package_is_valid(tmp_path: Path) -> None:
    report = validate(synth(tmp_path / "clean"))
    assert report.valid, report.render()


def test_synthetic_package_is_deterministic(tmp_path: Path) -> None:
    a, b = synth(tmp_path / "a"), synth(tmp_path / "b")
    for path in sorted((a / "data").iterdir()):
        assert path.read_bytes() == (b / "data" / path.name).read_bytes(), path.name


def test_every_injected_error_is_reported_with_its_place(tmp_path: Path) -> None:
    pkg = synth(tmp_path / "bad", "--inject-errors")
    expected = json.loads((pkg / "expected-problems.json").read_text())
    found = {(p.file, p.line, p.rule) for p in validate(pkg).problems}
    missing = [e for e in expected if (e["file"], e["line"], e["rule"]) not in found]
    assert missing == []
    assert len({e["rule"] for e in expected}) >= 20
