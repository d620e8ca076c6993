"""The second round of rules: data that contradicts itself, invisible text, unsafe links.

Each case breaks a real copy of the mini package in one way and checks the rule id, file, line,
column and, where the rule compares two rows, that the message names the other one.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from aesdata.check import validate

EVENT = {
    "event_type": "statement",
    "title_en": "A statement",
    "title_fr": "Une déclaration",
    "summary_en": "A statement was made.",
    "summary_fr": "",
    "place_id": "",
    "country_id": "mali",
    "status": "occurred",
    "start_precision": "day",
    "end_date": "",
    "end_precision": "",
    "notes": "",
}
CHARTER = "2023-09-16-liptako-gourma-charter-signed"


def add(pkg: Path, table: str, *rows: dict[str, str]) -> None:
    """Append rows (missing fields empty) to a table of the package, as a contributor would."""
    path = pkg / "data" / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writerows({k: r.get(k, "") for k in header} for r in rows)


def add_event(pkg: Path, event_id: str, start: str, claim: str, **fields: str) -> None:
    """An event with an actor and a supporting claim, so that only the rule under test fails."""
    precision = {4: "year", 7: "month", 10: "day"}[len(start)]
    row = {**EVENT, "event_id": event_id, "start_date": start, "start_precision": precision}
    add(pkg, "events", {**row, **fields})
    add(pkg, "event_actors", {"event_id": event_id, "entity_id": "mali", "role": "announcer"})
    add_claim(pkg, claim, event_id=event_id)


def add_claim(pkg: Path, claim: str, citation: str = "seed-article", **target: str) -> None:
    add(pkg, "claims", {"claim_id": claim, "citation_id": citation, "stance": "supports", **target})


def problems(pkg: Path) -> list[str]:
    return [str(p) for p in validate(pkg).problems]


def only(pkg: Path, rule: str) -> list[str]:
    found = problems(pkg)
    assert {s.split(": ")[1] for s in found} == {rule}, found
    return found


def test_a_duplicate_event_points_at_the_first(mini: Path) -> None:
    add_event(
        mini,
        f"{CHARTER}-again",
        "2023-09-16",
        "claim-0003",
        event_type="agreement_signed",
        title_en="Liptako-Gourma charter  signed.",
        title_fr="signature de la charte du Liptako Gourma",
    )
    found = only(mini, "duplicate-event")
    assert found[0].startswith(
        f"data/events.csv:3:3: duplicate-event: likely a duplicate of line 2 ({CHARTER})"
    )
    assert found[1].startswith("data/events.csv:3:4: duplicate-event: likely a duplicate of line 2")


def test_same_title_in_another_month_or_type_is_not_a_duplicate(mini: Path) -> None:
    title = {"title_en": "Liptako-Gourma Charter signed"}
    add_event(
        mini,
        "2023-11-liptako-gourma-charter-signed",
        "2023-11",
        "claim-0003",
        event_type="agreement_signed",
        **title,
    )
    add_event(mini, "2023-09-16-charter-statement", "2023-09-16", "claim-0004", **title)
    assert problems(mini) == []


def test_a_month_overlapping_a_day_is_a_duplicate(mini: Path) -> None:
    add_event(
        mini,
        "2023-09-charter",
        "2023-09",
        "claim-0003",
        event_type="agreement_signed",
        title_en="Liptako-Gourma Charter signed",
    )
    assert only(mini, "duplicate-event")[0].startswith("data/events.csv:3:3:")


def citation(citation_id: str, url: str) -> dict[str, str]:
    return {
        "citation_id": citation_id,
        "title": "A page",
        "publisher": "Example",
        "url": url,
        "language": "en",
        "kind": "news",
        "accessed_date": "2026-12-01",
        "in_seed_references": "false",
    }


def test_a_duplicate_citation_is_the_same_url_once_normalised(mini: Path) -> None:
    add(
        mini,
        "citations",
        citation("example-a", "https://www.example.org/news/item/"),
        citation("example-b", "http://EXAMPLE.org/news/item?utm_source=x&fbclid=y#top"),
        citation("example-c", "https://example.org/news/item?id=2"),
    )
    found = only(mini, "duplicate-citation")
    assert found == [
        "data/citations.csv:4:7: duplicate-citation: likely a duplicate of line 3 (example-a): the "
        "same URL once scheme, host case, www., tracking parameters, fragment and trailing slash "
        "are set aside; merge them (retire one ID in "
        "data/retired_ids.csv with the other as its successor), or tell them apart"
    ]


def person(
    entity_id: str, founded: str = "", dissolved: str = "", kind: str = "person"
) -> dict[str, str]:
    precision = {4: "year", 7: "month", 10: "day"}
    return {
        "entity_id": entity_id,
        "entity_type": kind,
        "name_en": entity_id,
        "founded_date": founded,
        "founded_precision": precision.get(len(founded), ""),
        "dissolved_date": dissolved,
        "dissolved_precision": precision.get(len(dissolved), ""),
    }


def office(
    rid: str, subject: str, start: str, end: str = "", predicate: str = "head_of_state_of"
) -> dict[str, str]:
    precision = {4: "year", 7: "month", 10: "day"}
    return {
        "relation_id": rid,
        "subject_id": subject,
        "predicate": predicate,
        "object_id": "mali",
        "start_date": start,
        "start_precision": precision.get(len(start), ""),
        "end_date": end,
        "end_precision": precision.get(len(end), ""),
    }


def add_offices(pkg: Path, *rows: dict[str, str]) -> None:
    add(pkg, "entities", person("ruler-a"), person("ruler-b"), person("ruler-c"))
    add(pkg, "relations", *rows)
    for i, row in enumerate(rows):
        add_claim(pkg, f"claim-01{i:02d}", relation_id=row["relation_id"])


def test_two_heads_of_state_at_once_are_refused(mini: Path) -> None:
    add_offices(
        mini,
        office("a-rules", "ruler-a", "2020-08-19", "2020-09-25"),
        office("b-rules", "ruler-b", "2020-09-01"),
    )
    assert only(mini, "exclusive-office") == [
        "data/relations.csv:4:5: exclusive-office: head_of_state_of mali can have one holder at a "
        "time, and this period overlaps line 3 (a-rules): fix the dates, or end one term where "
        "the other begins"
    ]


def test_terms_that_touch_or_that_partial_dates_cannot_order_are_fine(mini: Path) -> None:
    add_offices(
        mini,
        office("a-rules", "ruler-a", "2020-08-19", "2020-09-25"),
        office("b-rules", "ruler-b", "2020-09-25", "2021-05"),
        office("c-rules", "ruler-c", "2021-05-28"),
    )
    assert problems(mini) == []


def test_offices_that_allow_many_holders_may_overlap(mini: Path) -> None:
    add_offices(
        mini,
        office("a-minister", "ruler-a", "2020-08-19", predicate="minister_of"),
        office("b-minister", "ruler-b", "2020-09-01", predicate="minister_of"),
    )
    assert problems(mini) == []


def test_an_entity_acting_before_it_was_founded_is_refused(mini: Path) -> None:
    add_event(mini, "2023-08-02-early", "2023-08-02", "claim-0003")
    add_event(mini, "2023-09-founding-month", "2023-09", "claim-0004")
    add(
        mini,
        "event_actors",
        {"event_id": "2023-08-02-early", "entity_id": "aes", "role": "participant"},
        {"event_id": "2023-09-founding-month", "entity_id": "aes", "role": "participant"},
    )
    found = only(mini, "lifetime")
    assert found == [
        "data/event_actors.csv:7:2: lifetime: entity_id 'aes' existed from 2023-09-16 "
        "(data/entities.csv), but this row is dated 2023-08-02: fix the dates, or the entity's "
        "founded_date / dissolved_date"
    ]


def test_a_relation_after_dissolution_is_refused(mini: Path) -> None:
    add(
        mini,
        "entities",
        person("old-bloc", "2000", "2010-06", kind="intergovernmental_organisation"),
    )
    row = {
        **office("mali-in-old-bloc", "mali", "2011"),
        "predicate": "member_of",
        "object_id": "old-bloc",
    }
    add(mini, "relations", row)
    add_claim(mini, "claim-0003", relation_id="mali-in-old-bloc")
    assert only(mini, "lifetime")[0].startswith(
        "data/relations.csv:3:4: lifetime: object_id 'old-bloc' existed from 2000 to 2010-06"
    )


def test_a_place_cannot_be_head_of_state(mini: Path) -> None:
    add(mini, "relations", office("bamako-rules", "bamako", "2020"))
    add_claim(mini, "claim-0003", relation_id="bamako-rules")
    assert only(mini, "predicate-domain") == [
        "data/relations.csv:3:2: predicate-domain: subject_id 'bamako' is a place, but a "
        "head_of_state_of takes person as its subject_id"
    ]


def test_an_event_id_must_start_with_its_date(mini: Path) -> None:
    add_event(mini, "2023-09-17-late-statement", "2023-09-16", "claim-0003")
    (found,) = only(mini, "id-date")
    assert found.startswith(
        "data/events.csv:3:1: id-date: event_id '2023-09-17-late-statement' must start with its start_date '2023-09-16'"
    )
    assert "'2023-09-16-late-statement'" in found and "retired_ids.csv" in found


def toll(toll_id: str, citation: str, low: str, high: str) -> dict[str, str]:
    return {
        "toll_id": toll_id,
        "event_id": CHARTER,
        "citation_id": citation,
        "counted": "killed",
        "victims": "civilians",
        "low": low,
        "high": high,
        "reported_by": "media_tally",
        "quote": "at least 3 killed",
    }


def test_tolls_low_above_high_and_an_unsupporting_citation(mini: Path) -> None:
    add(mini, "citations", citation("example-a", "https://example.org/a"))
    add(
        mini,
        "tolls",
        toll("toll-0001", "seed-article", "3", ""),
        toll("toll-0002", "seed-article", "30", "20"),
        toll("toll-0003", "example-a", "3", "3"),
    )
    assert problems(mini) == [
        "data/tolls.csv:3:7: value-order: low 30 is greater than high 20: swap them, or fix one",
        "data/tolls.csv:4:3: supported-by: no row of data/claims.csv with stance 'supports' and "
        f"citation_id 'example-a', event_id '{CHARTER}': a figure's citation must also support "
        "its event: add that claim to data/claims.csv",
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Zero\u200bwidth", "U+200B ZERO WIDTH SPACE"),
        ("Trojan \u202eesrever", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("soft\u00adhyphen", "U+00AD SOFT HYPHEN"),
        ("inner\ufeffbom", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ],
    ids=["zero-width", "bidi-override", "soft-hyphen", "inner-bom"],
)
def test_invisible_format_characters_are_named(mini: Path, text: str, named: str) -> None:
    add_event(mini, "2023-10-01-x", "2023-10-01", "claim-0003", summary_en=text)
    (found,) = only(mini, "format-char")
    assert found.startswith("data/events.csv:3:5: format-char:") and named in found


def test_a_crlf_line_in_an_lf_file_is_reported_at_its_line(mini: Path) -> None:
    path = mini / "data" / "event_actors.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] += b"\r"
    path.write_bytes(b"\n".join(lines))
    assert only(mini, "line-ending") == [
        "data/event_actors.csv:3: line-ending: this line ends with CRLF where the file's first "
        "line ends with LF: save the file with LF line endings (`aesdata fmt` does it)"
    ]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://user:secret@example.org/page", "carries a user name or password"),
        ("http://127.0.0.1/admin", "is an IP address"),
        ("http://10.0.0.7/", "is an IP address"),
        ("http://[::1]/x", "is an IP address"),
        ("http://localhost/", "is local or reserved"),
        ("http://printer/queue", "is local or reserved"),
        ("https://intranet.corp/x", "is local or reserved"),
        ("https://example.org/a page", "holds whitespace"),
    ],
    ids=[
        "credentials",
        "loopback",
        "private",
        "ipv6",
        "localhost",
        "single-label",
        "reserved",
        "space",
    ],
)
def test_urls_must_name_a_public_host(mini: Path, url: str, why: str) -> None:
    add(mini, "citations", citation("example-a", url))
    (found,) = only(mini, "url-host")
    assert found.startswith("data/citations.csv:3:7: url-host:") and why in found


@pytest.mark.parametrize(
    "url",
    [
        "https://fr.wikipedia.org/wiki/Niamey",
        "https://en.m.wikipedia.org./wiki/Kidal",
        "http://www.xn--80ak6aa92e.com/",
    ],
)
def test_public_urls_pass(mini: Path, url: str) -> None:
    add(mini, "citations", citation("example-a", url))
    assert problems(mini) == []


def test_a_long_cell_is_a_size_problem_not_a_quoting_one(mini: Path) -> None:
    add_event(mini, "2023-10-01-x", "2023-10-01", "claim-0003", summary_en="word " * 40_000 + "end")
    path = mini / "data" / "events.csv"
    path.write_bytes(
        path.read_bytes() + b"a,b\n"
    )  # a ragged row sends the file to the careful reader
    found = problems(mini)
    assert (
        "data/events.csv:3:5: cell-size: the cell holds 200003 bytes, over the 131072 a cell may hold"
        in "\n".join(found)
    )
    assert not [p for p in found if ": quote:" in p]


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_resource_that_is_not_a_regular_file_says_so(mini: Path, kind: str) -> None:
    path = mini / "data" / "tolls.csv"
    path.unlink()
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    (found,) = problems(mini)
    expected = "is a directory" if kind == "directory" else "is not a regular file (a FIFO"
    assert found.startswith(
        "datapackage.json: resources[7]: package-resource: tolls: 'data/tolls.csv' "
    )
    assert expected in found


def test_an_overlapping_membership_names_the_row_it_overlaps(mini: Path) -> None:
    row = {
        **office("mali-aes-again", "mali", "2024"),
        "predicate": "founding_member_of",
        "object_id": "aes",
    }
    add(mini, "relations", row)
    add_claim(mini, "claim-0003", relation_id="mali-aes-again")
    assert only(mini, "interval-overlap") == [
        "data/relations.csv:3:5: interval-overlap: this interval overlaps line 2 "
        "(mali-founding-member-of-aes), which has the same subject_id, predicate, object_id "
        "(mali, founding_member_of, aes): merge them or fix the dates"
    ]
