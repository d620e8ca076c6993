"""The library's type hints hold: mypy, configured in pyproject.toml, finds no error in src/."""

from __future__ import annotations

import pytest
from conftest import ROOT
from mypy import api


def test_mypy_finds_no_error_in_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # where pyproject.toml names the files to check
    out, err, status = api.run([])
    assert status == 0, out + err
    assert out.startswith("Success: no issues found")
