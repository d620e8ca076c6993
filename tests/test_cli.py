"""The command line: formats, exit codes, and the JSON report equal to the library's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aesdata.check import validate
from aesdata.cli import main
from aesdata.ruleids import RULES

ROOT = Path(__file__).resolve().parent.parent


def broken(mini: Path) -> Path:
    path = mini / "data" / "events.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",bamako,", ",niamy,"), encoding="utf-8"
    )
    return mini


def test_json_output_equals_the_library_report(mini: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(broken(mini)), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == validate(mini).to_dict()


def test_text_output_is_compiler_style_with_a_summary(mini: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(broken(mini))])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "data/events.csv:2:7: foreign-key: place_id 'niamy' matches no entity_id in "
        "data/entities.csv: add it there first, or fix the spelling",
        "invalid: 1 problem(s) (foreign-key: 1)",
    ]


def test_github_output_is_workflow_annotations(mini: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(broken(mini)), "--format", "github"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "::error file=data/events.csv,line=2,col=7,title=foreign-key::place_id 'niamy'"
    )


def test_cap_per_rule_says_how_many_were_left_out(mini: Path) -> None:
    path = mini / "data" / "event_actors.csv"
    rows = "".join(
        f"2023-09-16-liptako-gourma-charter-signed,ghost-{i},signatory\n" for i in range(5)
    )
    path.write_text(path.read_text(encoding="utf-8") + rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(mini), "--max-per-rule", "2"])
    assert result.exit_code == 1
    assert result.output.count(": foreign-key: ") == 2
    assert "... 3 more foreign-key problem(s) not shown" in result.output
    assert "(foreign-key: 5)" in result.output


def test_valid_package_exits_zero(mini: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(mini)])
    assert result.exit_code == 0, result.output
    assert result.output == "valid: no problems found\n"


def test_every_rule_is_documented_in_contributing() -> None:
    documented = set(
        re.findall(r"^\| `([a-z-]+)` \|", (ROOT / "CONTRIBUTING.md").read_text(), re.M)
    )
    assert set(RULES) <= documented


def test_every_reported_rule_is_a_known_rule(mini: Path) -> None:
    (mini / "data" / "claims.csv").write_bytes(b"\xef\xbb\xbfclaim_id\r\n\xff\r\n")
    assert {p.rule for p in validate(broken(mini)).problems} <= set(RULES)


def test_progress_is_reported_to_a_callback_and_quiet_when_piped(mini: Path) -> None:
    seen: list[str] = []
    assert validate(mini, progress=seen.append).valid
    assert "reading data/events.csv" in seen and "checking events" in seen
    result = CliRunner().invoke(main, ["validate", str(mini)])
    assert "reading" not in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be a descriptor"),
        (b'{"resources": [], "description": "' + b"x" * 50_000_000 + b'"}', None),
    ],
    ids=["nested-100000-deep", "50-megabytes"],
)
def test_hostile_descriptors_give_a_problem_or_pass_never_a_traceback(
    tmp_path: Path, content: bytes, expected: str | None
) -> None:
    (tmp_path / "datapackage.json").write_bytes(content)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert "Traceback" not in result.output
    if expected is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1
        assert f"datapackage.json: package-json: datapackage.json: {expected}" in result.output


def test_an_os_error_is_one_line(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device", "docs/figures/map.png")

    monkeypatch.setattr("aesdata.figures.render", full)
    result = CliRunner().invoke(main, ["figures", str(mini), "--out", str(mini / "fig")])
    assert result.exit_code == 1
    assert result.output == "aesdata: No space left on device: docs/figures/map.png\n"


def test_an_unexpected_error_is_one_line_with_a_hint_unless_debugging(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("aesdata.stats.compute", broken)
    result = CliRunner().invoke(main, ["stats", str(mini)])
    assert result.exit_code == 1
    assert result.output.startswith("aesdata: unexpected error: RuntimeError: boom. This is a bug")
    assert len(result.output.strip().splitlines()) == 1
    monkeypatch.setenv("AESDATA_DEBUG", "1")
    result = CliRunner().invoke(main, ["stats", str(mini)])
    assert isinstance(result.exception, RuntimeError)


def test_an_interrupted_command_is_one_line(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("aesdata.stats.compute", interrupted)
    result = CliRunner().invoke(main, ["stats", str(mini)])
    assert result.exit_code == 1
    assert result.output == "aesdata: interrupted: nothing half-written was left behind\n"


def test_docs_replaces_only_a_data_dictionary(mini: Path, tmp_path: Path) -> None:
    mine = tmp_path / "notes.md"
    mine.write_text("# my notes\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", str(mini), "--out", str(mine)])
    assert result.exit_code == 1
    assert "is not a data dictionary written by `aesdata docs`" in result.output
    assert mine.read_text(encoding="utf-8") == "# my notes\n"
    dictionary = tmp_path / "dictionary.md"
    for _ in range(2):
        assert (
            CliRunner().invoke(main, ["docs", str(mini), "--out", str(dictionary)]).exit_code == 0
        )
