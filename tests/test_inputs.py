"""Whatever a contributor sends, validation reports it: located, exit 1, never a traceback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aesdata.cli import main

HEADER = "event_id,entity_id,role\n"
ROW = "2023-09-16-liptako-gourma-charter-signed,mali,signatory\n"


def run(pkg: Path, *args: str):
    result = CliRunner().invoke(main, ["validate", str(pkg), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def write(pkg: Path, table: str, content: bytes) -> None:
    (pkg / "data" / f"{table}.csv").write_bytes(content)


def actors(mini: Path) -> bytes:
    return (mini / "data" / "event_actors.csv").read_bytes()


BROKEN = [
    ("empty", b"", "data/event_actors.csv:1: empty-file"),
    (
        "latin-1",
        HEADER.encode() + ROW.replace("mali", "mal\xe9").encode("latin-1"),
        "data/event_actors.csv:2: encoding",
    ),
    ("bom", b"\xef\xbb\xbf" + (HEADER + ROW).encode(), "data/event_actors.csv:1:1: bom"),
    ("crlf", (HEADER + ROW).replace("\n", "\r\n").encode(), "data/event_actors.csv:1: line-ending"),
    (
        "unbalanced-quote",
        (HEADER + ROW + '"2023-x,mali,signatory\n').encode(),
        "data/event_actors.csv:3: quote",
    ),
    ("ragged", (HEADER + ROW + "a,b\n" + ROW).encode(), "data/event_actors.csv:3:2: row-shape"),
    ("blank-row", (HEADER + "\n" + ROW).encode(), "data/event_actors.csv:2: blank-row"),
    (
        "duplicate-header",
        b"event_id,event_id,role\n" + ROW.encode(),
        "data/event_actors.csv:1:2: header",
    ),
    (
        "missing-header",
        b"event_id,role\n2023-09-16-liptako-gourma-charter-signed,signatory\n",
        "data/event_actors.csv:1: header: missing column 'entity_id'",
    ),
    (
        "huge-field",
        (HEADER + ROW.replace("signatory", "x" * 2_000_000)).encode(),
        "data/event_actors.csv:2:3: enum",
    ),
    (
        "quoted-newline",
        (
            HEADER
            + '"2023-09-16-liptako-gourma-charter-signed",mali,"sign\natory"\n'
            + ROW.replace("mali", "niger")
        ).encode(),
        "data/event_actors.csv:2:3: enum",
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_csv_is_reported_not_raised(mini: Path, content: bytes, expected: str) -> None:
    write(mini, "event_actors", content)
    result = run(mini)
    assert result.exit_code == 1
    assert expected in result.output


def test_lines_after_a_quoted_newline_keep_their_physical_number(mini: Path) -> None:
    multi = '"2023-09-16-liptako-gourma-charter-signed",mali,"sign\natory"\n'
    write(mini, "event_actors", (HEADER + multi + ROW.replace("mali", "Niger")).encode())
    assert "data/event_actors.csv:4:2: pattern" in run(mini).output


DESCRIPTORS = [
    ("not-json", b"{not json", "package-json"),
    ("latin-1", '{"name": "caf\xe9"}'.encode("latin-1"), "package-json"),
    ("no-resources", b'{"name": "x"}', "package-json"),
    (
        "dotdot",
        b'{"resources": [{"name": "x", "path": "../secret.csv", "schema": {"fields": []}}]}',
        "package-path",
    ),
    (
        "absolute",
        b'{"resources": [{"name": "x", "path": "/etc/passwd", "schema": {"fields": []}}]}',
        "package-path",
    ),
    (
        "url",
        b'{"resources": [{"name": "x", "path": "https://example.org/x.csv", "schema": {"fields": []}}]}',
        "package-path",
    ),
    (
        "schema-outside",
        b'{"resources": [{"name": "x", "path": "data/claims.csv", "schema": "../s.json"}]}',
        "package-path",
    ),
    (
        "missing-file",
        b'{"resources": [{"name": "x", "path": "data/nope.csv", "schema": {"fields": []}}]}',
        "package-resource",
    ),
]


@pytest.mark.parametrize(
    ("content", "rule"), [d[1:] for d in DESCRIPTORS], ids=[d[0] for d in DESCRIPTORS]
)
def test_broken_descriptor_is_reported_not_raised(mini: Path, content: bytes, rule: str) -> None:
    (mini / "datapackage.json").write_bytes(content)
    result = run(mini)
    assert result.exit_code == 1
    assert f": {rule}: " in result.output


def test_symlink_out_of_the_package_is_refused(mini: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_bytes(actors(mini))
    link = mini / "data" / "event_actors.csv"
    link.unlink()
    link.symlink_to(outside)
    result = run(mini)
    assert result.exit_code == 1
    assert (
        "package-path: event_actors: path 'data/event_actors.csv' leads outside the package"
        in result.output
    )


def test_unlisted_csv_is_reported(mini: Path) -> None:
    (mini / "data" / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    assert "data/extra.csv: unlisted-file" in run(mini).output


def test_validation_changes_no_file(mini: Path) -> None:
    write(mini, "event_actors", b"\xef\xbb\xbf" + (HEADER + ROW).replace("\n", "\r\n").encode())

    def digest() -> dict[str, str]:
        return {
            str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(mini.rglob("*"))
            if p.is_file()
        }

    before = digest()
    run(mini)
    assert digest() == before


def test_exit_codes(mini: Path) -> None:
    assert run(mini).exit_code == 0
    assert CliRunner().invoke(main, ["validate", str(mini / "nope")]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", str(mini), "--format", "xml"]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", str(mini), "--bogus"]).exit_code == 2
    write(mini, "event_actors", b"")
    assert run(mini).exit_code == 1


def test_datapackage_json_path_is_accepted(mini: Path) -> None:
    result = run(mini / "datapackage.json")
    assert result.exit_code == 0, result.output
    assert json.loads(run(mini / "datapackage.json", "--format", "json").output)["valid"] is True


def test_line_breaks_are_looked_for_once_however_many_problems(mini: Path, monkeypatch) -> None:
    from aesdata.read import Table

    calls = []
    original = Table._has_line_breaks
    monkeypatch.setattr(Table, "_has_line_breaks", lambda self: calls.append(1) or original(self))
    write(mini, "event_actors", (HEADER + ROW.replace("signatory", "x") * 3).encode())
    assert run(mini).output.count(": enum: ") == 3
    assert len(calls) == 1


READ_OTHERWISE = [
    ("dialect", {"dialect": {"delimiter": ";"}}, "a CSV dialect is not supported"),
    ("encoding", {"encoding": "latin-1"}, "encoding 'latin-1' is not supported"),
    ("compression", {"compression": "gz"}, "compression 'gz' is not supported"),
    ("format", {"format": "xlsx"}, "format 'xlsx' is not supported"),
    ("multipart", {"path": ["data/event_actors.csv", "data/more.csv"]}, "a multipart path"),
]


def change_resource(pkg: Path, name: str, **changes: object) -> None:
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        if res["name"] == name:
            res.update(changes)
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "message"), [r[1:] for r in READ_OTHERWISE], ids=[r[0] for r in READ_OTHERWISE]
)
def test_a_resource_read_otherwise_is_refused(mini: Path, changes: dict, message: str) -> None:
    change_resource(mini, "event_actors", **changes)
    output = run(mini).output
    assert f"datapackage.json: resources[4]: package-descriptor: event_actors: {message}" in output


def test_missing_values_other_than_empty_are_refused(mini: Path) -> None:
    schema = json.loads((mini / "schemas" / "event_actors.schema.json").read_text())
    schema["missingValues"] = ["", "NA"]
    (mini / "schemas" / "event_actors.schema.json").write_text(json.dumps(schema))
    assert (
        "package-descriptor: event_actors: missingValues ['', 'NA'] changes how" in run(mini).output
    )


def _agreement_cases() -> list[tuple[str, object]]:
    cases: list[tuple[str, object]] = [(f"csv-{b[0]}", b[1]) for b in BROKEN]
    cases += [(f"descriptor-{r[0]}", r[1]) for r in READ_OTHERWISE]
    return cases


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the official validator's own leaks
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    "case", [c[1] for c in _agreement_cases()], ids=[c[0] for c in _agreement_cases()]
)
def test_whatever_the_official_validator_rejects_aesdata_rejects(mini: Path, case: object) -> None:
    import frictionless

    if isinstance(case, bytes):
        write(mini, "event_actors", case)
    else:
        assert isinstance(case, dict)
        change_resource(mini, "event_actors", **case)
    try:
        official = frictionless.validate(mini / "datapackage.json").valid
    except Exception:  # the official validator may raise on what it cannot read
        official = False
    if not official:
        assert run(mini).exit_code == 1
