"""Shared fixtures: a tiny real package built from the project's own descriptor and schemas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


def make_package(dest: Path, data: Path = MINI / "data") -> Path:
    """Copy the repository's descriptor and schemas with ``data`` into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(data, dest / "data")
    return dest


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A valid five-row package, fresh for each test, safe to break."""
    return make_package(tmp_path / "pkg")
