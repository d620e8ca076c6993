"""One small broken package per rule: the exact rule id, file, line and column are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from aesdata.check import validate

EVENT = "2023-09-16-liptako-gourma-charter-signed"


def edit(pkg: Path, table: str, old: str, new: str) -> None:
    path = pkg / "data" / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(pkg: Path, table: str, row: str) -> None:
    with (pkg / "data" / f"{table}.csv").open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")


def test_mini_fixture_is_valid(mini: Path) -> None:
    report = validate(mini)
    assert report.valid, report.render()


CASES = [
    # (id, table, mutation, expected (file, line, column, rule))
    ("foreign-key", "events", (",bamako,mali,", ",niamy,mali,"), ("events", 2, 7, "foreign-key")),
    ("enum", "events", ("occurred", "happened"), ("events", 2, 9, "enum")),
    ("required", "events", ("Liptako-Gourma Charter signed,", ","), ("events", 2, 3, "required")),
    (
        "date-precision",
        "events",
        ("2023-09-16,day", "2023-09,day"),
        ("events", 2, 10, "date-precision"),
    ),
    (
        "future-date",
        "events",
        ("2023-09-16,day", "2099-01-01,day"),
        ("events", 2, 10, "future-date"),
    ),
    ("pattern-slug", "event_actors", (",niger,", ",Niger,"), ("event_actors", 4, 2, "pattern")),
    ("iso3-pattern", "entities", ("MLI", "ML"), ("entities", 5, 7, "pattern")),
    ("present-when", "entities", ("AES,AES,,", "AES,AES,BFA,"), ("entities", 2, 7, "present-when")),
    ("type-date", "citations", ("2026-11-28", "2026-02-30"), ("citations", 2, 10, "type")),
    (
        "url-scheme",
        "citations",
        ("Unknown,,,,,en", "Unknown,,,,ftp://example.org/x,en"),
        ("citations", 2, 7, "url-scheme"),
    ),
    (
        "whitespace",
        "entities",
        ("Capital of Mali.", "Capital of Mali. "),
        ("entities", 3, 16, "whitespace"),
    ),
    ("formula", "claims", ("paragraph 2,\n", "=HYPERLINK(1),\n"), ("claims", 2, 8, "formula")),
    (
        "control-char",
        "entities",
        ("Capital of Mali.", "Capital\tof Mali."),
        ("entities", 3, 16, "control-char"),
    ),
    ("unicode-nfc", "entities", ("États", "E\u0301tats"), ("entities", 2, 4, "unicode-nfc")),
    (
        "exactly-one",
        "claims",
        (",,mali-founding-member-of-aes,,", ",,,,"),
        ("claims", 3, 3, "exactly-one"),
    ),
    (
        "date-order",
        "relations",
        ("2023-09-16,day,,", "2023-09-16,day,2022,year"),
        ("relations", 2, 7, "date-order"),
    ),
    (
        "not-equal",
        "relations",
        ("founding_member_of,aes", "founding_member_of,mali"),
        ("relations", 2, 4, "not-equal"),
    ),
    ("entity-type", "events", (",bamako,mali,", ",mali,mali,"), ("events", 2, 7, "entity-type")),
    (
        "primary-key",
        "entities",
        ("niger,state,Niger,Niger,,,NER", "mali,state,Niger,Niger,,,NER"),
        ("entities", 6, 1, "primary-key"),
    ),
    (
        "interval-overlap",
        "relations",
        (
            "2023-09-16,day,,,\n",
            "2023-09-16,day,,,\nmali-aes-again,mali,founding_member_of,aes,2024,year,,,\n",
        ),
        ("relations", 3, 5, "interval-overlap"),
    ),
]


@pytest.mark.parametrize(
    ("table", "mutation", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_is_located(mini: Path, table: str, mutation: tuple[str, str], where) -> None:
    edit(mini, table, *mutation)
    file, line, column, rule = where
    places = [(p.file, p.line, p.column, p.rule) for p in validate(mini).problems]
    assert (f"data/{file}.csv", line, column, rule) in places


def test_a_failure_pandera_cannot_locate_is_still_reported(mini: Path, monkeypatch) -> None:
    import aesdata.check
    from aesdata.checkbook import pandera_schema

    edit(mini, "events", "occurred", "happened")
    monkeypatch.setattr(
        aesdata.check, "pandera_schema", lambda _specs, cols: pandera_schema([], cols)
    )
    problems = validate(mini).problems
    assert [(p.file, p.line, p.column, p.rule) for p in problems] == [
        ("data/events.csv", None, 9, "enum")
    ]
    assert "could not be located" in problems[0].message


@pytest.mark.parametrize("kind", ["unique", "key"])
def test_uniqueness_screened_on_hashes_is_confirmed_on_values(kind: str, monkeypatch) -> None:
    """Were every value to share one hash, unique values still pass and a repeat still fails."""
    import polars as pl

    from aesdata.checkbook import CheckBook

    monkeypatch.setattr(pl.Expr, "hash", lambda self, *a, **k: pl.lit(7, dtype=pl.UInt64))
    book = CheckBook()
    book.flag(kind, "unique", ["a", "b"] if kind == "key" else ["a"], lambda v, _row: "")
    unique = pl.DataFrame({"a": ["x", "y", "z", None], "b": ["1", "1", "1", "1"]})
    assert book.screen(unique) == []
    repeated = pl.DataFrame({"a": ["x", "y", "x"], "b": ["1", "1", "1"]})
    assert [s.rule for s in book.screen(repeated)] == ["unique"]


SUGGESTIONS = [
    # (id, table, mutation, rule, expected message)
    (
        "enum",
        "events",
        (",agreement_signed,", ",agreement_signd,"),
        "enum",
        "event_type 'agreement_signd' is not allowed: did you mean 'agreement_signed'?",
    ),
    (
        "enum-case",
        "events",
        ("occurred", "Occurred"),
        "enum",
        "status 'Occurred' is not allowed: did you mean 'occurred'?",
    ),
    (
        "foreign-key",
        "events",
        (",bamako,mali,", ",bamak,mali,"),
        "foreign-key",
        "place_id 'bamak' matches no entity_id in data/entities.csv: did you mean 'bamako'?",
    ),
    (
        "foreign-key-event-type",
        "events",
        (",agreement_signed,", ",agreement_signd,"),
        "foreign-key",
        "event_type 'agreement_signd' matches no event_type in data/event_types.csv: "
        "did you mean 'agreement_signed'?",
    ),
    (
        "enum-far",
        "events",
        ("occurred", "happened"),
        "enum",
        "status 'happened' is not allowed: use one of occurred, announced, planned, disputed",
    ),
    (
        "foreign-key-far",
        "events",
        (",bamako,mali,", ",timbuktu,mali,"),
        "foreign-key",
        "place_id 'timbuktu' matches no entity_id in data/entities.csv: add it there first, "
        "or fix the spelling",
    ),
]


@pytest.mark.parametrize(
    ("table", "mutation", "rule", "message"),
    [c[1:] for c in SUGGESTIONS],
    ids=[c[0] for c in SUGGESTIONS],
)
def test_a_misspelt_value_gets_the_close_valid_one(
    mini: Path, table: str, mutation: tuple[str, str], rule: str, message: str
) -> None:
    edit(mini, table, *mutation)
    assert message in [p.message for p in validate(mini).problems if p.rule == rule]


def test_two_equally_close_values_are_both_offered() -> None:
    from aesdata.schema import did_you_mean

    assert did_you_mean("mali-2", ["mali-1", "mali-3", "niger"]) == (
        "did you mean 'mali-1' or 'mali-3'?"
    )
    assert did_you_mean("x", ["mali"]) is None
