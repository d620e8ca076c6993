"""The shipped data, checked independently of the validator (plain ``csv``), and by both validators."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import frictionless
import pytest

from aesdata.check import validate

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"]}
LENGTH = {"year": 4, "month": 7, "day": 10}
SEED = ROOT.parent / "shared" / "seed" / "000_06b0c4ec76c08076.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8") if SEED.exists() else ""


def schema(name: str) -> dict:
    return json.loads((ROOT / RESOURCES[name]["schema"]).read_text(encoding="utf-8"))


def rows(name: str) -> list[dict[str, str]]:
    with (ROOT / RESOURCES[name]["path"]).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_descriptor_lists_every_csv_and_nothing_else() -> None:
    listed = sorted(r["path"] for r in DESCRIPTOR["resources"])
    on_disk = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data").glob("*.csv"))
    assert listed == on_disk


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_field_has_a_title_and_description(name: str) -> None:
    missing = [
        f["name"] for f in schema(name)["fields"] if not f.get("title") or not f.get("description")
    ]
    assert missing == []


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_enum_definitions_match_the_enum(name: str) -> None:
    for f in schema(name)["fields"]:
        if "enumDefinitions" in f:
            assert list(f["enumDefinitions"]) == f["constraints"]["enum"], f["name"]


def test_event_type_enum_is_the_vocabulary_table() -> None:
    enum = next(f for f in schema("events")["fields"] if f["name"] == "event_type")["constraints"][
        "enum"
    ]
    assert enum == [r["event_type"] for r in rows("event_types")]


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_foreign_key_resolves(name: str) -> None:
    for fk in schema(name).get("foreignKeys", []):
        parent = fk["reference"]["resource"] or name
        keys = {r[fk["reference"]["fields"][0]] for r in rows(parent)}
        dangling = {r[fk["fields"][0]] for r in rows(name)} - keys - {""}
        assert dangling == set(), fk


def _supported(column: str) -> set[str]:
    return {c[column] for c in rows("claims") if c["stance"] == "supports" and c[column]}


def test_every_event_and_relation_has_a_supporting_claim() -> None:
    assert {e["event_id"] for e in rows("events")} - _supported("event_id") == set()
    assert {r["relation_id"] for r in rows("relations")} - _supported("relation_id") == set()


def test_every_event_has_an_actor() -> None:
    actors = {a["event_id"] for a in rows("event_actors")}
    assert {e["event_id"] for e in rows("events")} - actors == set()


def _partial_dates() -> list[tuple[str, str, str, str]]:
    found = []
    for name in RESOURCES:
        for f in schema(name)["fields"]:
            if "precisionField" in f:
                found += [
                    (name, f["name"], r[f["name"]], r[f["precisionField"]]) for r in rows(name)
                ]
    return found


def test_dates_agree_with_their_precision() -> None:
    bad = [d for d in _partial_dates() if d[2] and LENGTH.get(d[3]) != len(d[2])]
    bad += [d for d in _partial_dates() if bool(d[2]) != bool(d[3])]
    assert bad == []


def test_no_date_lies_in_the_future() -> None:
    today = dt.date.today().isoformat()
    future = [d for d in _partial_dates() if d[2] and d[2] > today[: len(d[2])]]
    future += [
        (c["citation_id"], c["accessed_date"])
        for c in rows("citations")
        if c["accessed_date"] > today
    ]
    assert future == []


def test_ids_are_slugs() -> None:
    slug = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
    for name, key in [
        ("entities", "entity_id"),
        ("events", "event_id"),
        ("citations", "citation_id"),
        ("relations", "relation_id"),
        ("claims", "claim_id"),
    ]:
        assert [r[key] for r in rows(name) if not slug.match(r[key])] == []


def test_shipped_package_passes_aesdata_validate() -> None:
    report = validate(ROOT)
    assert report.valid, report.render()


def test_shipped_package_passes_the_official_validator() -> None:
    report = frictionless.validate(str(ROOT / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


SEED_CITATIONS = {
    "seed-article",
    "seed-ref-wikipedia-alliance-of-sahel-states",
    "seed-ref-sahellibertynews-2025-06-03",
}


def seed_references() -> set[str]:
    return {c["citation_id"] for c in rows("citations") if c["in_seed_references"] == "true"}


def test_seed_references_include_every_entry_of_the_reference_list() -> None:
    seed = seed_references()
    urls = {c["url"] for c in rows("citations") if c["citation_id"] in seed}
    for host in (
        "africanews.com",
        "pulseofafrica.info",
        "trtafrika.com",
        "sahellibertynews.com",
        "en.wikipedia.org/wiki/Alliance_of_Sahel_States",
    ):
        assert any(host in url for url in urls), host
    assert seed_references() >= SEED_CITATIONS


def test_first_edition_minimums() -> None:
    assert len(rows("events")) >= 60
    assert len(rows("entities")) >= 50
    assert len(rows("citations")) >= 80


def test_most_events_rest_on_more_than_the_founding_article() -> None:
    seed = seed_references()
    other = {
        c["event_id"]
        for c in rows("claims")
        if c["event_id"] and c["stance"] == "supports" and c["citation_id"] not in seed
    }
    events = {e["event_id"] for e in rows("events")}
    assert len(events & other) / len(events) >= 0.9


@pytest.mark.skipif(not SEED_TEXT, reason="the shared seed article is not beside this checkout")
def test_every_claim_of_the_founding_article_is_recorded() -> None:
    seed_claims = [c for c in rows("claims") if c["citation_id"] == "seed-article"]
    assert {c["stance"] for c in seed_claims} == {"supports", "contradicts"}
    for c in seed_claims:
        assert c["quote"], c["claim_id"]
        assert c["quote"] in SEED_TEXT, c["quote"]


def test_every_citation_supports_something() -> None:
    used = {c["citation_id"] for c in rows("claims")}
    unused = {c["citation_id"] for c in rows("citations")} - used
    assert unused <= seed_references()


def test_the_coverage_ledger_lists_every_event_and_names_only_real_ones() -> None:
    text = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(\d{4}(?:-\d{2}){0,2}-[a-z0-9-]+)`", text))
    ids = {e["event_id"] for e in rows("events")}
    assert named - ids == set(), "the ledger names events that are not in the data"
    assert ids - named == set(), "events missing from docs/coverage.md"


def test_every_attack_and_armed_clash_has_a_toll_or_says_why_not() -> None:
    with_tolls = {t["event_id"] for t in rows("tolls")}
    lacking = [
        e["event_id"]
        for e in rows("events")
        if e["event_type"] in ("attack", "armed_clash")
        and e["event_id"] not in with_tolls
        and "no casualty figure" not in e["notes"].lower()
    ]
    assert lacking == []
