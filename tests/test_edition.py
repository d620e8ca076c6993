"""The bundled edition: found through importlib.resources, versioned apart, used when no package is at hand."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, VERSION, make_package

import aesdata
from aesdata import edition
from aesdata.cli import main
from aesdata.load import LoadError, NewerEditionCached


def test_the_edition_is_looked_up_as_a_package_resource(tmp_path: Path, monkeypatch) -> None:
    installed = tmp_path / "site-packages" / "aesdata"
    make_package(installed / "edition")
    monkeypatch.setattr(edition.resources, "files", lambda _name: installed)
    assert edition.bundled() == (installed / "edition").resolve()
    shutil.rmtree(installed / "edition")
    with pytest.raises(LoadError, match="carries no data edition"):
        edition.bundled()


def test_versions_are_two_things_and_both_are_shown() -> None:
    assert aesdata.data_version == VERSION
    assert aesdata.__version__ == edition.toolkit_version() != "unknown"
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"aesdata {aesdata.__version__} (toolkit); data edition {VERSION}\n"


def test_the_checkouts_edition_is_the_repository_data() -> None:
    assert edition.bundled() == ROOT


@pytest.mark.parametrize("command", ["validate", "stats", "docs --check"])
def test_commands_use_the_bundled_edition_when_no_package_is_here(
    command: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, command.split())
    assert result.exit_code == 0, result.output
    assert f"the bundled edition {VERSION} ({ROOT})" in result.output


def test_a_package_in_the_current_directory_wins(mini: Path, monkeypatch) -> None:
    (mini / "data" / "events.csv").write_text("event_id\n", encoding="utf-8")
    monkeypatch.chdir(mini)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert "bundled edition" not in result.output


def test_build_of_the_bundled_edition_outside_a_checkout(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--out", "rel", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "building the bundled edition" in result.output
    assert json.loads((tmp_path / "rel" / "datapackage.json").read_text())["version"] == VERSION


def test_loading_the_bundled_edition_says_when_a_newer_one_is_cached(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path))
    (tmp_path / "0.0.1").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an older cached release is not worth a word
        aesdata.load("event_types")
    (tmp_path / "99.0.0").mkdir()
    with pytest.warns(
        NewerEditionCached,
        match=rf"loaded the bundled edition {VERSION}; release 99.0.0 is in the cache",
    ):
        aesdata.load("event_types")


def test_a_missing_extra_is_named(mini: Path, tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    for args in (["figures", str(mini)], ["build", str(mini), "--out", str(tmp_path / "r")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert (
            "need matplotlib, which is not installed: pip install 'aesdata[build]'" in result.output
        )
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("module", "option"),
    [("isal", "--archive"), ("adbc_driver_sqlite", "--sqlite"), ("sqlite_utils", "--sqlite")],
)
def test_an_output_whose_module_is_missing_names_the_extra(
    mini: Path, tmp_path: Path, monkeypatch, module: str, option: str
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a)
    )
    args = ["build", str(mini), "--out", str(tmp_path / "r"), "--no-figures", option]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"{option} need {module}, which is not installed: pip install 'aesdata[build]'" in (
        result.output
    )
    assert not (tmp_path / "r").exists()
