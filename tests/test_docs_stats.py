"""The data dictionary is in sync with the schemas; ``stats`` counts what an independent count finds."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from aesdata.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_committed_data_dictionary_is_up_to_date(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["docs", ".", "--check"])
    assert result.exit_code == 0, result.output


def test_docs_check_fails_when_stale(mini: Path, monkeypatch) -> None:
    monkeypatch.chdir(mini)
    assert CliRunner().invoke(main, ["docs", "."]).exit_code == 0
    schema = mini / "schemas" / "events.schema.json"
    schema.write_text(schema.read_text().replace("A short headline in English.", "A headline."))
    result = CliRunner().invoke(main, ["docs", ".", "--check"])
    assert result.exit_code == 1
    assert "is stale" in result.output


def test_dictionary_lists_every_field_and_enum_value(mini: Path, monkeypatch) -> None:
    monkeypatch.chdir(mini)
    CliRunner().invoke(main, ["docs", "."])
    text = (mini / "docs" / "data-dictionary.md").read_text()
    for schema_path in (mini / "schemas").glob("*.json"):
        for field in json.loads(schema_path.read_text())["fields"]:
            assert f"| `{field['name']}` |" in text, field["name"]
            for value in field.get("enumDefinitions", {}):
                assert f"| `{value}` |" in text, value


def rows(name: str) -> list[dict[str, str]]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def stats_json() -> dict[str, list[list[object]]]:
    result = CliRunner().invoke(main, ["stats", str(ROOT), "--format", "json"])
    assert result.exit_code == 0, result.output
    return {t["title"]: t["rows"] for t in json.loads(result.output)}


def test_stats_match_an_independent_count() -> None:
    stats = stats_json()
    events = rows("events")
    assert dict(stats["Rows per table"])["events"] == len(events)
    assert dict(stats["Rows per table"])["claims"] == len(rows("claims"))
    assert {str(y): n for y, n in stats["Events per year"]} == dict(
        Counter(e["start_date"][:4] for e in events)
    )
    assert dict(stats["Events per type"]) == dict(Counter(e["event_type"] for e in events))
    precision = {p: n for p, n, _share in stats["Date precision of events"]}
    assert precision == dict(Counter(e["start_precision"] for e in events))
    publishers = Counter(c["publisher"] for c in rows("citations"))
    assert stats["Top publishers"][0][1] == publishers.most_common(1)[0][1]


def test_stats_source_coverage_matches_an_independent_count() -> None:
    seed = {c["citation_id"] for c in rows("citations") if c["in_seed_references"] == "true"}
    supported = {
        c["event_id"]
        for c in rows("claims")
        if c["event_id"] and c["stance"] == "supports" and c["citation_id"] not in seed
    }
    coverage = dict(stats_json()["Source coverage"])
    assert coverage[
        "supported by a source other than the founding article and its references"
    ] == len(supported)
    pairs = {
        (c["event_id"], c["citation_id"])
        for c in rows("claims")
        if c["event_id"] and c["stance"] == "supports"
    }
    per_event = Counter(event for event, _citation in pairs)  # sources, not claims
    buckets = Counter(str(min(n, 4)).replace("4", "4 or more") for n in per_event.values())
    assert dict(stats_json()["Events by number of supporting sources"]) == dict(buckets)


def test_stats_text_output_is_readable_tables() -> None:
    result = CliRunner().invoke(main, ["stats", str(ROOT)])
    assert result.exit_code == 0
    assert "Rows per table\ntable" in result.output
    assert "Events per year" in result.output


def test_figures_command_draws_six_files(mini: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["figures", str(mini), "--out", str(tmp_path / "fig")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == [
        "map.png",
        "map.svg",
        "memberships.png",
        "memberships.svg",
        "timeline.png",
        "timeline.svg",
    ]


def test_toll_sums_match_an_independent_count() -> None:
    """Each event's lowest and highest figure per kind of victim, a total only when unbroken."""
    year = {e["event_id"]: int(e["start_date"][:4]) for e in rows("events")}
    per: dict[tuple[str, str, str], list[int]] = {}
    for t in rows("tolls"):
        lo, hi = int(t["low"]), int(t["high"] or t["low"])
        got = per.setdefault((t["event_id"], t["counted"], t["victims"]), [lo, hi])
        got[0], got[1] = min(got[0], lo), max(got[1], hi)
    broken_down = {(e, c) for e, c, v in per if v != "unspecified"}
    sums: dict[tuple[int, str], list[int]] = {}
    for (event, counted, victims), (lo, hi) in per.items():
        if victims == "unspecified" and (event, counted) in broken_down:
            continue
        total = sums.setdefault((year[event], counted), [0, 0])
        total[0] += lo
        total[1] += hi
    table = next(v for k, v in stats_json().items() if k.startswith("Tolls per year"))
    assert {(y, c): [lo, hi] for y, c, _n, lo, hi in table} == sums
    assert len(sums) > 5
