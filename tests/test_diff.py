"""``aesdata diff``: two real packages, every kind of row and schema change, both formats, git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from conftest import make_package as copy_package

from aesdata.check import validate
from aesdata.cli import main
from aesdata.compare import compare
from aesdata.diffview import COMMENT_LIMIT, markdown
from aesdata.snapshot import open_snapshot

NEW_EVENT = "2024-01-28-aes-states-announce-ecowas-withdrawal"
CITATION = "rfi-2024-01-28-retrait-cedeao"


def make_package(dest: Path) -> Path:
    """The mini package at version 0.1.0, whatever the shipped package's version is now."""
    pkg = copy_package(dest)
    edit_json(pkg / "datapackage.json", lambda d: d.update(version="0.1.0"))
    return pkg


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"no {old!r} in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def edit_json(path: Path, change) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def changed_package(pkg: Path) -> Path:
    """The mini package with a row of each kind changed, and a schema change of each class."""
    data, schemas = pkg / "data", pkg / "schemas"
    # rows: changed, added (an event with its actor, source and claim), removed
    edit(data / "entities.csv", "Capital of Mali.", "Capital city of Mali.")
    edit(
        data / "events.csv",
        "Liptako-Gourma Charter signed,",
        "Liptako-Gourma Charter signed in Bamako,",
    )
    append(
        data / "events.csv",
        f"{NEW_EVENT},withdrawal_announced,AES states announce their withdrawal from ECOWAS,"
        "Les États de l'AES annoncent leur retrait de la CEDEAO,"
        '"Burkina Faso, Mali and Niger announce that they leave ECOWAS.",,bamako,mali,'
        "occurred,2024-01-28,day,,,",
    )
    append(data / "event_actors.csv", f"{NEW_EVENT},mali,announcer")
    append(
        data / "citations.csv",
        f"{CITATION},Les pays de l'AES quittent la Cédéao,RFI,,2024-01-28,day,"
        "https://www.rfi.fr/fr/afrique/20240128-retrait-cedeao,fr,news,2024-02-01,false,",
    )
    append(
        data / "claims.csv",
        f"claim-0003,{CITATION},{NEW_EVENT},,,supports,Ils quittent la Cédéao,,",
    )
    edit(
        data / "event_actors.csv", "2023-09-16-liptako-gourma-charter-signed,niger,signatory\n", ""
    )
    # schema: cosmetic, additive (an enum widened, an optional field, a table), breaking
    edit_json(
        schemas / "events.schema.json",
        lambda s: field(s, "title_en").update(description="A headline in English."),
    )
    edit_json(
        schemas / "events.schema.json",
        lambda s: field(s, "status")["constraints"]["enum"].append("rumoured"),
    )
    edit_json(
        schemas / "tolls.schema.json",
        lambda s: s["fields"].append({"name": "page", "type": "integer", "description": "Page."}),
    )
    edit(data / "tolls.csv", ",notes\n", ",notes,page\n")
    edit_json(
        schemas / "claims.schema.json",
        lambda s: field(s, "quote")["constraints"].update(maxLength=300),
    )
    (schemas / "aliases.schema.json").write_text(
        json.dumps(
            {
                "fields": [
                    {"name": "alias", "type": "string", "constraints": {"required": True}},
                    {"name": "entity_id", "type": "string", "constraints": {"required": True}},
                ],
                "primaryKey": ["alias"],
                "foreignKeys": [
                    {
                        "fields": ["entity_id"],
                        "reference": {"resource": "entities", "fields": ["entity_id"]},
                    }
                ],
            }
        )
    )
    (data / "aliases.csv").write_text("alias,entity_id\nAES,aes\n", encoding="utf-8")

    def tables(descriptor: dict) -> None:
        resources = descriptor["resources"]
        resources[:] = [r for r in resources if r["name"] != "retired_ids"]
        resources.append(
            {"name": "aliases", "path": "data/aliases.csv", "schema": "schemas/aliases.schema.json"}
        )

    edit_json(pkg / "datapackage.json", tables)
    (data / "retired_ids.csv").unlink()
    return pkg


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old = make_package(tmp_path / "old")
    new = changed_package(make_package(tmp_path / "new"))
    assert validate(new).valid, validate(new).render()
    return old, new


def test_markdown_shows_every_kind_of_change(pair: tuple[Path, Path]) -> None:
    old, new = pair
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    text = result.output
    summary = text.split("\n\n")[1].splitlines()
    assert summary[:3] == [
        "| table | removed | added | changed |",
        "|---|---:|---:|---:|",
        "| entities | 0 | 0 | 1 |",
    ]
    assert "| event_actors | 1 | 1 | 0 |" in summary
    assert "| aliases | 0 | 1 | 0 |" in summary
    assert "| retired_ids | 0 | 0 | 0 |" in summary
    assert "schema changes: 2 breaking, 3 additive, 1 cosmetic." in text
    schema = [
        line
        for line in text.splitlines()
        if line.startswith("| breaking")
        or line.startswith("| additive")
        or line.startswith("| cosmetic")
    ]
    assert (
        schema
        == [
            "| breaking | claims | quote | maxLength 400 → 300: tightened |",
            "| breaking | retired_ids |  | table removed |",
            "| additive | events | status | enum value 'rumoured' added |",
            "| additive | tolls | page | optional field added |",
            "| additive | aliases |  | table added |",
            "| cosmetic | events | title_en | description changed |",
        ]
        or schema
    )
    assert "- `bamako`\n  - description: `Capital of Mali.` → `Capital city of Mali.`" in text
    # deletions come first in a table's section
    actors = text.split("## event_actors\n")[1].split("\n## ")[0]
    assert actors.index("### Removed (1)") < actors.index("### Added (1)")
    assert "- `2023-09-16-liptako-gourma-charter-signed | niger | signatory`: (empty)" in actors
    # the sources behind a changed and an added event
    events = text.split("## events\n")[1].split("\n## ")[0]
    assert (
        "  - title_en: `Liptako-Gourma Charter signed` → `Liptako-Gourma Charter signed in Bamako`\n"
        "  - source `claim-0001`: stance: `supports`" in events
    )
    assert (
        "  - source `claim-0003` (new): stance: `supports` · quote: `Ils quittent la Cédéao` — "
        "[Les pays de l'AES quittent la Cédéao](<https://www.rfi.fr/fr/afrique/20240128-retrait-cedeao>)"
    ) in events


def test_json_is_the_whole_comparison(pair: tuple[Path, Path], monkeypatch) -> None:
    old, new = pair
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out == json.loads(
        json.dumps(compare(open_snapshot(str(old)), open_snapshot(str(new))).to_dict())
    )
    assert out["tables"]["event_actors"]["removed"] == [
        {
            "key": "2023-09-16-liptako-gourma-charter-signed | niger | signatory",
            "row": {
                "event_id": "2023-09-16-liptako-gourma-charter-signed",
                "entity_id": "niger",
                "role": "signatory",
            },
        }
    ]
    assert out["tables"]["events"]["changed"][0]["fields"] == {
        "title_en": {
            "old": "Liptako-Gourma Charter signed",
            "new": "Liptako-Gourma Charter signed in Bamako",
        }
    }
    assert [r["key"] for r in out["tables"]["events"]["added"]] == [NEW_EVENT]
    assert [s["claim_id"] for s in out["sources"]["events"][NEW_EVENT]] == ["claim-0003"]
    assert out["sources"]["events"][NEW_EVENT][0]["citation"]["publisher"] == "RFI"
    assert {(s["table"], s["field"], s["kind"]) for s in out["schema"]} >= {
        ("claims", "quote", "breaking"),
        ("aliases", None, "additive"),
        ("events", "title_en", "cosmetic"),
    }


def test_check_fails_on_a_breaking_change_without_a_minor_bump(pair: tuple[Path, Path]) -> None:
    old, new = pair
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--check"])
    assert result.exit_code == 1
    assert (
        "diff --check: 2 breaking schema change(s) (first: breaking: claims.quote: maxLength "
        "400 → 300: tightened) need version 0.2.0 or higher, a minor (while 0.x) bump: "
        "datapackage.json says 0.1.0"
    ) in result.output
    edit_json(new / "datapackage.json", lambda d: d.update(version="0.2.0"))
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--check"])
    assert result.exit_code == 0, result.output


def test_check_fails_when_an_id_disappears_unretired(tmp_path: Path) -> None:
    old = make_package(tmp_path / "old")
    new = make_package(tmp_path / "new")
    edit(
        new / "data" / "claims.csv",
        "claim-0002,seed-article,,mali-founding-member-of-aes,,supports,,paragraph 2,\n",
        "",
    )
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--check"])
    assert result.exit_code == 1
    assert (
        "data/claims.csv: id-removed: claim_id 'claim-0002' was in version 0.1.0" in result.output
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_revisions_compare_like_directories(
    pair: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = pair
    repo = shutil.copytree(old, tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "old")
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / "schemas")
    shutil.copytree(new, repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "new")
    monkeypatch.chdir(repo)
    by_git = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--format", "json"])
    assert by_git.exit_code == 0, by_git.output
    by_dir = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", "json"])
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in ("old", "new")}  # noqa: E731
    assert strip(by_git.output) == strip(by_dir.output)
    assert json.loads(by_git.output)["old"] == {"label": "HEAD~1", "version": "0.1.0"}
    # the working tree is "." by default; an unknown revision is one line
    assert (
        CliRunner()
        .invoke(main, ["diff", "HEAD"])
        .output.startswith("# Changes from HEAD (0.1.0) to . (0.1.0)")
    )
    unknown = CliRunner().invoke(main, ["diff", "no-such-branch"])
    assert unknown.exit_code == 1
    assert unknown.output == (
        "diff failed: no-such-branch: neither a directory, a release URL nor a git revision "
        "of this repository\n"
    )


def test_a_diff_of_a_whole_dataset_fits_in_one_comment(tmp_path: Path) -> None:
    mini = make_package(tmp_path / "mini")
    for old, new in ((mini, ROOT), (ROOT, mini)):
        text = markdown(compare(open_snapshot(str(old)), open_snapshot(str(new))))
        assert len(text) < COMMENT_LIMIT
        assert "more added row(s)" in text or "more removed row(s)" in text
    whole = markdown(
        compare(open_snapshot(str(mini)), open_snapshot(str(ROOT))), samples=None, budget=None
    )
    assert len(whole) > COMMENT_LIMIT  # so the cap did something


def test_values_cannot_inject_markdown_or_mentions(tmp_path: Path) -> None:
    old = make_package(tmp_path / "old")
    new = make_package(tmp_path / "new")
    edit(new / "data" / "entities.csv", "Capital of Mali.", "`x` <b>@someone</b> | ``")
    text = markdown(compare(open_snapshot(str(old)), open_snapshot(str(new))))
    assert "→ ``` `x` <b>@someone</b> | `` ```" in text


def test_a_table_that_cannot_be_read_is_refused_with_its_problems(tmp_path: Path) -> None:
    old = make_package(tmp_path / "old")
    new = make_package(tmp_path / "new")
    edit(new / "data" / "claims.csv", "claim-0002,", 'claim-0002,"broken,')
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 1
    assert "data/claims.csv:3: quote: malformed quoting" in result.output
    assert f"diff failed: {new}: its tables cannot be read" in result.output


def test_validate_holds_the_data_to_the_schemas_of_another_state(tmp_path: Path) -> None:
    """A pull request that relaxes a rule and relies on it passes its own schemas, not the base's."""
    base = make_package(tmp_path / "base")
    pr = make_package(tmp_path / "pr")
    edit_json(
        pr / "schemas" / "claims.schema.json",
        lambda s: field(s, "quote")["constraints"].update(maxLength=1000),
    )
    edit(
        pr / "data" / "claims.csv",
        ",supports,,paragraph 2,",
        f",supports,{'x' * 500},paragraph 2,",
    )
    edit_json(
        pr / "schemas" / "tolls.schema.json",
        lambda s: s["fields"].append({"name": "page", "type": "integer"}),
    )
    edit(pr / "data" / "tolls.csv", ",notes\n", ",notes,page\n")  # an added field is no failure
    assert CliRunner().invoke(main, ["validate", str(pr)]).exit_code == 0
    result = CliRunner().invoke(main, ["validate", str(pr), "--schemas-of", str(base)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "data/claims.csv:3:7: length: quote has 500 characters; allowed: 0 to 400",
        "invalid: 1 problem(s) (length: 1)",
    ]
