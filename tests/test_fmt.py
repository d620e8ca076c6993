"""``aesdata fmt``: the shipped tables are canonical, and what an editor mangles comes back byte for byte."""

from __future__ import annotations

import csv
import io
import random
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

import aesdata.fmt
from aesdata.check import validate
from aesdata.cli import main
from aesdata.fmt import plan
from aesdata.package import open_package


def shipped(dest: Path) -> Path:
    """A copy of the repository's own package: descriptor, schemas and every shipped table."""
    dest.mkdir()
    shutil.copy(ROOT / "datapackage.json", dest)
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


def tables(pkg: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((pkg / "data").iterdir())}


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def write_rows(
    path: Path, table: list[list[str]], lineterminator: str = "\n", quoting: int = csv.QUOTE_MINIMAL
) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator=lineterminator, quoting=quoting).writerows(table)
    path.write_bytes(out.getvalue().encode("utf-8"))


def test_every_shipped_table_is_already_canonical() -> None:
    assert [t.resource.relpath for t in plan(open_package(ROOT)) if t.changed] == []
    result = CliRunner().invoke(main, ["fmt", str(ROOT), "--check"])
    assert result.exit_code == 0, result.output
    assert result.output == "0 table(s) would be reformatted, 9 already canonical\n"


def test_a_mangled_copy_of_the_shipped_data_comes_back_byte_for_byte(tmp_path: Path) -> None:
    """Rows shuffled, every cell decomposed (NFD) and padded, CRLF, a BOM, every cell quoted."""
    pkg = shipped(tmp_path / "pkg")
    shuffle = random.Random(15)
    for path in (pkg / "data").iterdir():
        header, *body = rows(path)
        shuffle.shuffle(body)
        padded = [[unicodedata.normalize("NFD", c) + " " * bool(c) for c in row] for row in body]
        write_rows(path, [header, *padded], lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert tables(pkg) != tables(ROOT)
    result = CliRunner().invoke(main, ["fmt", str(pkg)])
    assert result.exit_code == 0, result.output
    assert "data/events.csv: reformatted: a byte-order mark; CRLF line endings;" in result.output
    assert tables(pkg) == tables(ROOT)
    again = CliRunner().invoke(main, ["fmt", str(pkg), "--check"])
    assert again.exit_code == 0, again.output


def _columns_swapped(path: Path) -> None:
    table = rows(path)
    write_rows(path, [[r[1], r[0], *r[2:]] for r in table])


def _appended(text: str) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(path.read_bytes() + text.encode())


MANGLINGS = [
    # (id, table, mangling, the reason fmt gives, the rule validate reports)
    (
        "bom",
        "entities",
        lambda p: p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes()),
        "a byte-order mark",
        "bom",
    ),
    (
        "crlf",
        "entities",
        lambda p: p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n")),
        "CRLF line endings",
        "line-ending",
    ),
    ("blank-line", "relations", _appended("\n"), "blank lines", "blank-row"),
    ("columns", "entities", _columns_swapped, "columns out of schema order", "header"),
    (
        "nfd",
        "entities",
        lambda p: p.write_text(p.read_text().replace("États", "E\u0301tats")),
        "1 cell(s) not in Unicode NFC",
        "unicode-nfc",
    ),
    (
        "trailing-space",
        "entities",
        lambda p: p.write_text(p.read_text().replace("Capital of Mali.", "Capital of Mali. ")),
        "1 cell(s) with leading or trailing whitespace",
        "whitespace",
    ),
    (
        "rows",
        "event_actors",
        lambda p: write_rows(p, [rows(p)[0], *reversed(rows(p)[1:])]),
        "rows not sorted by event_id, entity_id, role",
        None,
    ),
    (
        "event-types-follow-their-vocabulary",
        "event_types",
        lambda p: write_rows(p, [rows(p)[0], *sorted(rows(p)[1:])]),
        "rows not sorted by event_type",
        None,
    ),
    (
        "quoting",
        "event_actors",
        lambda p: write_rows(p, rows(p), lineterminator="\n", quoting=csv.QUOTE_ALL),
        "quoting other than the csv module's",
        None,
    ),
    (
        "last-line-break",
        "event_actors",
        lambda p: p.write_bytes(p.read_bytes().rstrip(b"\n")),
        "no line break at the end",
        None,
    ),
]


@pytest.mark.parametrize(
    ("table", "mangle", "reason", "rule"),
    [m[1:] for m in MANGLINGS],
    ids=[m[0] for m in MANGLINGS],
)
def test_each_mangling_is_named_by_check_and_undone(
    mini: Path, table: str, mangle, reason: str, rule: str | None
) -> None:
    original = tables(mini)
    path = mini / "data" / f"{table}.csv"
    mangle(path)
    mangled = tables(mini)
    assert mangled != original
    if rule is not None:  # the validator says that fmt fixes it
        messages = [p.message for p in validate(mini).problems if p.rule == rule]
        assert messages and all("`aesdata fmt`" in m for m in messages), messages
    check = CliRunner().invoke(main, ["fmt", str(mini), "--check"])
    assert check.exit_code == 1
    assert f"data/{table}.csv: would reformat: {reason}" in check.output
    assert tables(mini) == mangled  # --check writes nothing
    assert CliRunner().invoke(main, ["fmt", str(mini)]).exit_code == 0
    assert tables(mini) == original


def test_diff_shows_the_change_and_writes_nothing(mini: Path) -> None:
    path = mini / "data" / "entities.csv"
    path.write_text(path.read_text().replace("Capital of Mali.", "Capital of Mali.  "))
    before = tables(mini)
    result = CliRunner().invoke(main, ["fmt", str(mini), "--diff"])
    assert result.exit_code == 0, result.output
    assert "--- a/data/entities.csv\n+++ b/data/entities.csv\n" in result.output
    assert "\n-bamako,place,Bamako,Bamako,,,,,mali,,,,,,,Capital of Mali.  ,\n" in result.output
    assert "\n+bamako,place,Bamako,Bamako,,,,,mali,,,,,,,Capital of Mali.,\n" in result.output
    assert tables(mini) == before


@pytest.mark.parametrize(
    ("table", "old", "new", "problem"),
    [
        (
            "claims",
            "claim-0002,",
            'claim-0002,"oops,',
            "data/claims.csv:3: quote: malformed quoting",
        ),
        ("entities", "entity_id,entity_type,", "entity_id,kind,", "unknown column 'kind'"),
        ("relations", ",aes,2023", ",aes,extra,2023", "data/relations.csv:2:10: row-shape"),
    ],
    ids=["quote", "unknown-column", "ragged-row"],
)
def test_a_file_that_cannot_be_parsed_is_refused_and_nothing_is_written(
    mini: Path, table: str, old: str, new: str, problem: str
) -> None:
    path = mini / "data" / f"{table}.csv"
    path.write_text(path.read_text().replace(old, new, 1))
    fixable = mini / "data" / "events.csv"
    fixable.write_bytes(fixable.read_bytes().replace(b"\n", b"\r\n"))  # would be fixed alone
    before = tables(mini)
    result = CliRunner().invoke(main, ["fmt", str(mini)])
    assert result.exit_code == 1
    assert problem in result.output
    assert "fmt failed: cannot format what cannot be read" in result.output
    assert tables(mini) == before


def test_a_canonical_form_that_would_change_a_row_is_not_written(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = mini / "data" / "event_actors.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = tables(mini)
    render = aesdata.fmt.render

    def loses_a_row(frame, header: list[str]) -> bytes:
        return render(frame[:-1] if header[:2] == ["event_id", "entity_id"] else frame, header)

    monkeypatch.setattr(aesdata.fmt, "render", loses_a_row)
    result = CliRunner().invoke(main, ["fmt", str(mini)])
    assert result.exit_code == 1
    assert (
        "data/event_actors.csv: its canonical form changes the rows: not written" in result.output
    )
    assert tables(mini) == before
    assert sorted(p.name for p in (mini / "data").iterdir()) == sorted(before)  # no stray file


def test_a_reformatted_file_keeps_its_permissions_and_leaves_nothing_beside_it(mini: Path) -> None:
    path = mini / "data" / "entities.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    path.chmod(0o640)
    assert CliRunner().invoke(main, ["fmt", str(mini)]).exit_code == 0
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in (mini / "data").iterdir()) == sorted(tables(mini))


def test_a_value_outside_the_declared_vocabulary_sorts_after_it(mini: Path) -> None:
    path = mini / "data" / "event_types.csv"
    header, first, *rest = rows(path)
    write_rows(path, [header, ["aaa_new", *first[1:]], first, *rest])
    assert CliRunner().invoke(main, ["fmt", str(mini)]).exit_code == 0
    assert [r[0] for r in rows(path)][1:3] == ["coup", "coup_attempt"]
    assert rows(path)[-1][0] == "aaa_new"
