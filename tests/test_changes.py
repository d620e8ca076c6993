"""The changelog against a previous release, and IDs that are never dropped or reused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import VERSION

from aesdata.cli import main
from aesdata.release import build

EVENT = "2023-09-16-liptako-gourma-charter-signed"


def edit(pkg: Path, table: str, old: str, new: str) -> None:
    path = pkg / "data" / f"{table}.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_changelog_lists_added_removed_and_changed_rows(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1").path
    edit(mini, "entities", "Capital of Mali.", "Capital city of Mali.")
    edit(
        mini,
        "relations",
        "\n",
        "\nniger-founding-member-of-aes,niger,founding_member_of,aes,2023-09-16,day,,,\n",
    )
    edit(
        mini,
        "claims",
        "\n",
        "\nclaim-0003,seed-article,,niger-founding-member-of-aes,,supports,,,\n",
    )
    v2 = build(mini, tmp_path / "v2", previous=str(v1))
    tables = v2.changelog["tables"]
    assert tables["entities"]["changed"] == [{"key": "bamako", "fields": ["description"]}]
    assert tables["relations"]["added"] == ["niger-founding-member-of-aes"]
    assert tables["events"] == {"added": [], "removed": [], "changed": []}
    assert json.loads((v2.path / "changelog.json").read_text())["tables"] == tables
    markdown = (v2.path / "CHANGELOG.md").read_text()
    assert "- changed `bamako`: description" in markdown
    assert "relations: 1 added, 0 removed, 0 changed" in (v2.path / "README.md").read_text()


def _drop_relation(pkg: Path) -> None:
    edit(
        pkg,
        "relations",
        "mali-founding-member-of-aes,mali,founding_member_of,aes,2023-09-16,day,,,\n",
        "",
    )
    edit(
        pkg,
        "claims",
        "claim-0002,seed-article,,mali-founding-member-of-aes,,supports,,paragraph 2,\n",
        "",
    )


def test_a_dropped_id_fails_the_build(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1").path
    _drop_relation(mini)
    result = CliRunner().invoke(
        main, ["build", str(mini), "--out", str(tmp_path / "v2"), "--previous", str(v1)]
    )
    assert result.exit_code == 1
    assert (
        "data/relations.csv: id-removed: relation_id 'mali-founding-member-of-aes' was in release "
        f"{VERSION}" in result.output
    )
    assert not (tmp_path / "v2").exists()


def test_a_retired_id_may_go_but_never_come_back(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1").path
    pristine = shutil.copytree(mini, tmp_path / "pristine")
    _drop_relation(mini)
    retired = (
        "claims,claim-0002,its relation was retired,,2026-01-02\n"
        "relations,mali-founding-member-of-aes,duplicate of another row,,2026-01-02\n"
    )
    (mini / "data" / "retired_ids.csv").write_text(
        "table,id,reason,successor_id,retired_date\n" + retired
    )
    v2 = build(mini, tmp_path / "v2", previous=str(v1))
    assert v2.changelog["tables"]["relations"]["removed"] == ["mali-founding-member-of-aes"]
    (pristine / "data" / "retired_ids.csv").write_text(
        "table,id,reason,successor_id,retired_date\n" + retired
    )
    result = CliRunner().invoke(
        main, ["build", str(pristine), "--out", str(tmp_path / "v3"), "--previous", str(v2.path)]
    )
    assert result.exit_code == 1
    assert (
        "id-reused: relation_id 'mali-founding-member-of-aes' was retired (duplicate of another row)"
        in result.output
    )


def test_previous_release_can_be_a_url(mini: Path, tmp_path: Path, http_root, monkeypatch) -> None:
    root, base = http_root
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    build(mini, root / "v1")
    edit(mini, "entities", "Capital of Mali.", "Capital city of Mali.")
    v2 = build(mini, tmp_path / "v2", previous=f"{base}/v1/")
    assert v2.changelog["tables"]["entities"]["changed"] == [
        {"key": "bamako", "fields": ["description"]}
    ]
