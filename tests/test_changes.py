"""The changelog against a previous release, IDs that are never dropped or reused, and versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aesdata.cli import main
from aesdata.release import BuildError, build

EVENT = "2023-09-16-liptako-gourma-charter-signed"


def edit(pkg: Path, table: str, old: str, new: str) -> None:
    path = pkg / "data" / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"no {old!r} in {table}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def version(pkg: Path, number: str) -> None:
    path = pkg / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**descriptor, "version": number}, indent=2), encoding="utf-8")


@pytest.fixture(autouse=True)
def first_version(mini: Path) -> None:
    """Each test starts from version 0.1.0, whatever the shipped package's version is now."""
    version(mini, "0.1.0")


def test_changelog_shows_old_and_new_values_and_the_sources(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1", figures=False).path
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
        "\nclaim-0003,seed-article,,niger-founding-member-of-aes,,supports,Niger too,,\n",
    )
    version(mini, "0.1.1")
    v2 = build(mini, tmp_path / "v2", previous=str(v1), figures=False)
    tables = v2.changelog["tables"]
    assert tables["entities"]["changed"] == [
        {
            "key": "bamako",
            "fields": {"description": {"old": "Capital of Mali.", "new": "Capital city of Mali."}},
        }
    ]
    assert [r["key"] for r in tables["relations"]["added"]] == ["niger-founding-member-of-aes"]
    assert tables["events"] == {"key": ["event_id"], "removed": [], "added": [], "changed": []}
    assert v2.changelog["schema"] == []
    [source] = v2.changelog["sources"]["relations"]["niger-founding-member-of-aes"]
    assert (source["claim_id"], source["new"], source["citation"]["citation_id"]) == (
        "claim-0003",
        True,
        "seed-article",
    )
    assert json.loads((v2.path / "changelog.json").read_text())["tables"] == tables
    markdown = (v2.path / "CHANGELOG.md").read_text()
    assert markdown.startswith("# Changes from 0.1.0 to 0.1.1\n")
    assert "- `bamako`\n  - description: `Capital of Mali.` → `Capital city of Mali.`" in markdown
    assert "  - source `claim-0003` (new): stance: `supports` · quote: `Niger too`" in markdown
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
    v1 = build(mini, tmp_path / "v1", figures=False).path
    _drop_relation(mini)
    version(mini, "0.1.1")
    result = CliRunner().invoke(
        main,
        ["build", str(mini), "--no-figures", "--out", str(tmp_path / "v2"), "--previous", str(v1)],
    )
    assert result.exit_code == 1
    assert (
        "data/relations.csv: id-removed: relation_id 'mali-founding-member-of-aes' was in "
        f"version 0.1.0 ({v1}) and is gone"
    ) in result.output
    assert not (tmp_path / "v2").exists()


def test_a_retired_id_may_go_but_never_come_back(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1", figures=False).path
    pristine = shutil.copytree(mini, tmp_path / "pristine")
    _drop_relation(mini)
    retired = (
        "claims,claim-0002,its relation was retired,,2026-01-02\n"
        "relations,mali-founding-member-of-aes,duplicate of another row,,2026-01-02\n"
    )
    (mini / "data" / "retired_ids.csv").write_text(
        "table,id,reason,successor_id,retired_date\n" + retired
    )
    version(mini, "0.1.1")
    v2 = build(mini, tmp_path / "v2", previous=str(v1), figures=False)
    assert [r["key"] for r in v2.changelog["tables"]["relations"]["removed"]] == [
        "mali-founding-member-of-aes"
    ]
    (pristine / "data" / "retired_ids.csv").write_text(
        "table,id,reason,successor_id,retired_date\n" + retired
    )
    version(pristine, "0.1.2")
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(pristine),
            "--no-figures",
            "--out",
            str(tmp_path / "v3"),
            "--previous",
            str(v2.path),
        ],
    )
    assert result.exit_code == 1
    assert (
        "id-reused: relation_id 'mali-founding-member-of-aes' was retired (duplicate of another row)"
        in result.output
    )


def test_previous_release_can_be_a_url(mini: Path, tmp_path: Path, http_root, monkeypatch) -> None:
    root, base = http_root
    monkeypatch.setenv("AESDATA_CACHE", str(tmp_path / "cache"))
    build(mini, root / "v1", figures=False)
    edit(mini, "entities", "Capital of Mali.", "Capital city of Mali.")
    version(mini, "0.2.0")
    v2 = build(mini, tmp_path / "v2", previous=f"{base}/v1/", figures=False)
    assert [c["key"] for c in v2.changelog["tables"]["entities"]["changed"]] == ["bamako"]


def test_a_release_whose_data_differs_needs_a_higher_version(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1", figures=False).path
    again = build(
        mini, tmp_path / "same", previous=str(v1), figures=False
    )  # the same data may be rebuilt
    assert again.changelog["tables"]["events"]["changed"] == []
    edit(mini, "entities", "Capital of Mali.", "Capital city of Mali.")
    result = CliRunner().invoke(
        main,
        ["build", str(mini), "--no-figures", "--out", str(tmp_path / "v2"), "--previous", str(v1)],
    )
    assert result.exit_code == 1
    assert result.output == (
        "build failed: the data differs from release 0.1.0 but the version is still 0.1.0: give "
        "this release a higher version in datapackage.json (0.1.1 or higher)\n"
    )
    assert not (tmp_path / "v2").exists()
    version(mini, "0.0.9")
    with pytest.raises(BuildError, match=r"the version goes backwards: 0\.0\.9 after 0\.1\.0"):
        build(mini, tmp_path / "v2", previous=str(v1), figures=False)
    version(mini, "0.1.1")
    assert (
        build(mini, tmp_path / "v2", previous=str(v1), figures=False).changelog["new"]["version"]
        == "0.1.1"
    )


def test_a_breaking_schema_change_needs_a_minor_bump_while_0x(mini: Path, tmp_path: Path) -> None:
    v1 = build(mini, tmp_path / "v1", figures=False).path
    schema = mini / "schemas" / "events.schema.json"
    schema.write_text(schema.read_text().replace('"disputed"\n', '"disputed",\n"rumoured"\n', 1))
    schema.write_text(schema.read_text().replace('"planned",\n', "", 1))
    version(mini, "0.1.1")
    with pytest.raises(BuildError) as caught:
        build(mini, tmp_path / "v2", previous=str(v1), figures=False)
    assert str(caught.value) == (
        "1 breaking schema change(s) (first: breaking: events.status: enum value 'planned' "
        "removed) need version 0.2.0 or higher, a minor (while 0.x) bump: datapackage.json says "
        "0.1.1"
    )
    version(mini, "0.2.0")
    changelog = build(mini, tmp_path / "v2", previous=str(v1), figures=False).changelog
    assert [(s["kind"], s["change"]) for s in changelog["schema"]] == [
        ("breaking", "enum value 'planned' removed"),
        ("additive", "enum value 'rumoured' added"),
    ]
