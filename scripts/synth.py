"""Write a complete, valid synthetic aesdata package with N events, for benchmarks and scale tests.

    python scripts/synth.py --events 100000 --out /tmp/synth-100k [--seed 1] [--inject-errors]

The package uses the repository's own descriptor and schemas, so it is checked by exactly the
rules the real data is. It is deterministic (seeded) and realistic where it matters to a parser:
accented names, partial dates of every precision, empty optional cells, commas and double quotes
inside text. With ``--inject-errors`` it also breaks one cell per rule and writes
``expected-problems.json``: the (file, line, rule) that ``aesdata validate`` must report.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
TOWNS = [
    "Niamey",
    "Ségou",
    "Tillabéri",
    "Gao",
    "Kidal",
    "Djibo",
    "Dori",
    "Ménaka",
    "Tahoua",
    "Ouahigouya",
    "Mopti",
    "Kayes",
    "Agadez",
    "Fada N'Gourma",
    "Bobo-Dioulasso",
    "Tombouctou",
]
WORDS = [
    "sécurité",
    "confédération",
    "frontière",
    "armée",
    "ministre",
    "souveraineté",
    "réunion",
    'le "sommet"',
    "accord, signé",
    "retrait",
    "force unifiée",
    "l'État",
    "coopération",
]
TODAY_YEARS = (2015, 2025)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True, help="number of events")
    parser.add_argument("--out", type=Path, required=True, help="package directory to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--inject-errors", action="store_true", help="break one cell per rule")
    args = parser.parse_args()
    tables = synthesize(args.events, np.random.default_rng(args.seed))
    write_package(args.out, tables)
    if args.inject_errors:
        expected = inject_errors(args.out)
        (args.out / "expected-problems.json").write_text(json.dumps(expected, indent=1) + "\n")
    rows = sum(t.height for t in tables.values())
    print(f"wrote {args.out}: {args.events} events, {rows} rows in {len(tables)} tables")


def synthesize(n: int, rng: np.random.Generator) -> dict[str, pl.DataFrame]:
    n_entities, n_citations, n_relations = max(60, n // 20), max(80, n // 4), max(40, n // 100)
    entities = _entities(n_entities, rng)
    places = entities.filter(pl.col("entity_type") == "place").get_column("entity_id")
    states = entities.filter(pl.col("entity_type") == "state").get_column("entity_id")
    events = _events(n, rng, places, states)
    citations = _citations(n_citations, rng)
    relations = _relations(n_relations, entities)
    claims = _claims(events, relations, citations, rng)
    return {
        "entities": entities,
        "event_types": pl.read_csv(ROOT / "data" / "event_types.csv", infer_schema=False),
        "events": events,
        "citations": citations,
        "event_actors": _actors(events, entities, rng),
        "relations": relations,
        "claims": claims,
        "tolls": _tolls(claims, rng),
        "retired_ids": pl.DataFrame(
            schema={c: pl.Utf8 for c in ["table", "id", "reason", "successor_id", "retired_date"]}
        ),
    }


def _pick(rng: np.random.Generator, values: list[str] | pl.Series, n: int) -> pl.Series:
    values = list(values)
    return pl.Series([values[i] for i in rng.integers(0, len(values), n)])


def _partial_dates(rng: np.random.Generator, n: int, start: int = 0) -> tuple[pl.Series, pl.Series]:
    """Dates at day (70%), month (20%) or year (10%) precision, written as precisely as known."""
    base = np.datetime64(f"{TODAY_YEARS[0]}-01-01") + rng.integers(start, 3650, n).astype(
        "timedelta64[D]"
    )
    text = pl.Series(base.astype(str))
    precision = pl.Series(rng.choice(["day", "month", "year"], n, p=[0.7, 0.2, 0.1]))
    frame = pl.DataFrame({"d": text, "p": precision})
    date = frame.select(
        pl.when(pl.col("p") == "month")
        .then(pl.col("d").str.slice(0, 7))
        .when(pl.col("p") == "year")
        .then(pl.col("d").str.slice(0, 4))
        .otherwise(pl.col("d"))
    ).to_series()
    return date, precision


def _entities(n: int, rng: np.random.Generator) -> pl.DataFrame:
    kinds = ["state"] + ["place"] * 11 + ["person"] * 5 + ["armed_group"] * 2 + ["institution"]
    kind = pl.Series([kinds[i % len(kinds)] for i in range(n)])
    ids = pl.Series([f"entity-{i}" for i in range(n)])
    name = pl.Series([f"{TOWNS[i % len(TOWNS)]} {i}" for i in range(n)])
    is_state, is_place = kind == "state", kind == "place"
    states = ids.filter(is_state)
    iso = [
        f"{chr(65 + (i // 676) % 26)}{chr(65 + (i // 26) % 26)}{chr(65 + i % 26)}" for i in range(n)
    ]
    lat = pl.Series(rng.uniform(10, 24, n).round(5)).cast(pl.Utf8)
    lon = pl.Series(rng.uniform(-12, 16, n).round(5)).cast(pl.Utf8)
    empty = pl.lit(None, pl.Utf8)
    return pl.DataFrame({"entity_id": ids, "entity_type": kind, "name_en": name}).with_columns(
        pl.col("name_en").alias("name_fr"),
        empty.alias("acronym_en"),
        empty.alias("acronym_fr"),
        pl.when(is_state).then(pl.Series(iso)).alias("iso3"),
        empty.alias("wikidata_qid"),
        pl.when(~is_state).then(_pick(rng, states, n)).alias("country_id"),
        pl.when(is_place).then(lat).alias("latitude"),
        pl.when(is_place).then(lon).alias("longitude"),
        empty.alias("founded_date"),
        empty.alias("founded_precision"),
        empty.alias("dissolved_date"),
        empty.alias("dissolved_precision"),
        pl.lit('Synthetic entity, "for benchmarks", not a real one').alias("description"),
        empty.alias("notes"),
    )


def _events(n: int, rng: np.random.Generator, places: pl.Series, states: pl.Series) -> pl.DataFrame:
    types = pl.read_csv(ROOT / "data" / "event_types.csv", infer_schema=False).get_column(
        "event_type"
    )
    start, start_p = _partial_dates(rng, n)
    has_end = pl.Series(rng.random(n) < 0.1)
    words = _pick(rng, WORDS, n)
    town = _pick(rng, TOWNS, n)
    return (
        pl.DataFrame(
            {
                "index": pl.Series(range(n)).cast(pl.Utf8),
                "event_type": _pick(rng, types, n),
                "town": town,
                "words": words,
                "place_id": _pick(rng, places, n),
                "country_id": _pick(rng, states, n),
                "status": _pick(rng, ["occurred"] * 8 + ["announced", "disputed"], n),
                "start_date": start,
                "start_precision": start_p,
            }
        )
        .with_columns(
            pl.concat_str("start_date", pl.lit("-event-"), "index").alias("event_id"),
            pl.concat_str(pl.lit("Event "), "index", pl.lit(" at "), "town").alias("title_en"),
            pl.concat_str(pl.lit("Événement "), "index", pl.lit(" à "), "town").alias("title_fr"),
            pl.concat_str(pl.lit("Synthetic, with a comma: "), "words").alias("summary_en"),
            pl.concat_str(pl.lit("Synthétique, « "), "words", pl.lit(" »")).alias("summary_fr"),
            pl.when(has_end).then(pl.col("start_date").str.slice(0, 4)).alias("end_date"),
            pl.when(has_end).then(pl.lit("year")).alias("end_precision"),
            pl.when(pl.Series(rng.random(n) < 0.2))
            .then(pl.lit("Sources disagree on the toll."))
            .alias("notes"),
        )
        .drop("town", "words", "index")
    )


def _citations(n: int, rng: np.random.Generator) -> pl.DataFrame:
    date, prec = _partial_dates(rng, n)
    return pl.DataFrame(
        {
            "citation_id": [f"citation-{i}" for i in range(n)],
            "title": [f"Reportage n° {i}: « la crise », vue de Niamey" for i in range(n)],
            "publisher": _pick(rng, ["RFI", "Jeune Afrique", "Sidwaya", "L'Essor", "ActuNiger"], n),
            "author": pl.Series([None] * n, dtype=pl.Utf8),
            "published_date": date,
            "published_precision": prec,
            "url": [f"https://example.org/news/{i}" for i in range(n)],
            "language": _pick(rng, ["fr", "fr", "en"], n),
            "kind": _pick(rng, ["news", "official_statement", "report"], n),
            "accessed_date": pl.Series(["2026-01-15"] * n),
            "in_seed_references": pl.Series(["false"] * n),
            "notes": pl.Series([None] * n, dtype=pl.Utf8),
        }
    )


def _actors(events: pl.DataFrame, entities: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    n = events.height
    ids = entities.get_column("entity_id")
    first = pl.DataFrame(
        {
            "event_id": events.get_column("event_id"),
            "entity_id": _pick(rng, ids, n),
            "role": _pick(rng, ["initiator", "host", "perpetrator"], n),
        }
    )
    second = pl.DataFrame(
        {
            "event_id": events.get_column("event_id"),
            "entity_id": _pick(rng, ids, n),
            "role": _pick(rng, ["target", "participant", "victim"], n),
        }
    )
    return (
        pl.concat([first, second])
        .unique(maintain_order=True)
        .sort(["event_id", "entity_id", "role"])
    )


def _relations(n: int, entities: pl.DataFrame) -> pl.DataFrame:
    people = entities.filter(pl.col("entity_type") == "person").get_column("entity_id")
    states = entities.filter(pl.col("entity_type") == "state").get_column("entity_id")
    n = min(n, people.len())
    return pl.DataFrame(
        {
            "relation_id": [f"relation-{i}" for i in range(n)],
            "subject_id": people.head(n),
            "predicate": ["minister_of"] * n,
            "object_id": [states[i % states.len()] for i in range(n)],
            "start_date": ["2020-05"] * n,
            "start_precision": ["month"] * n,
            "end_date": [None] * n,
            "end_precision": [None] * n,
            "notes": [None] * n,
        },
        schema_overrides={"end_date": pl.Utf8, "end_precision": pl.Utf8, "notes": pl.Utf8},
    )


def _claims(
    events: pl.DataFrame, relations: pl.DataFrame, citations: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    cits = citations.get_column("citation_id")
    n_e, n_r = events.height, relations.height
    none_e, none_r = pl.Series([None] * n_e, dtype=pl.Utf8), pl.Series([None] * n_r, dtype=pl.Utf8)
    on_events = pl.DataFrame(
        {
            "citation_id": _pick(rng, cits, n_e),
            "event_id": events.get_column("event_id"),
            "relation_id": none_e,
            "entity_id": none_e,
        }
    )
    on_relations = pl.DataFrame(
        {
            "citation_id": _pick(rng, cits, n_r),
            "event_id": none_r,
            "relation_id": relations.get_column("relation_id"),
            "entity_id": none_r,
        }
    )
    claims = pl.concat([on_events, on_relations])
    m = claims.height
    return claims.with_columns(
        pl.Series([f"claim-{i}" for i in range(m)]).alias("claim_id"),
        pl.lit("supports").alias("stance"),
        pl.when(pl.Series(rng.random(m) < 0.3))
        .then(pl.lit('« Ils ont dit "oui", puis non »'))
        .alias("quote"),
        pl.lit("paragraph 2").alias("locator"),
        pl.lit(None, pl.Utf8).alias("notes"),
    ).select(
        "claim_id",
        "citation_id",
        "event_id",
        "relation_id",
        "entity_id",
        "stance",
        "quote",
        "locator",
        "notes",
    )


def _tolls(claims: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A figure for every fifth event, from the citation that supports it (as the rules ask)."""
    on_events = claims.filter(pl.col("event_id").is_not_null()).gather_every(5)
    m = on_events.height
    low = pl.Series(rng.integers(1, 200, m), dtype=pl.Int64)
    open_ended = pl.Series(rng.random(m) < 0.2)
    return pl.DataFrame(
        {
            "toll_id": [f"toll-{i:04d}" for i in range(m)],
            "event_id": on_events.get_column("event_id"),
            "citation_id": on_events.get_column("citation_id"),
            "counted": _pick(rng, ["killed", "wounded", "abducted"], m),
            "victims": _pick(rng, ["civilians", "soldiers", "unspecified"], m),
            "low": low,
            "high": pl.select(
                pl.when(open_ended).then(None).otherwise(low + pl.Series(rng.integers(0, 50, m)))
            ).to_series(),
            "reported_by": _pick(rng, ["government", "un", "local_sources"], m),
            "quote": pl.Series(["au moins « dix » morts"] * m),
            "locator": pl.Series([None] * m, dtype=pl.Utf8),
            "notes": pl.Series([None] * m, dtype=pl.Utf8),
        }
    )


def write_package(out: Path, tables: dict[str, pl.DataFrame]) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    shutil.copy(ROOT / "datapackage.json", out / "datapackage.json")
    shutil.copytree(ROOT / "schemas", out / "schemas")
    for name, frame in tables.items():
        columns = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())["fields"]
        frame.select([f["name"] for f in columns]).write_csv(
            out / "data" / f"{name}.csv", null_value=""
        )


# Row 18 of the events is made a copy of row 17 (all but its ID) for the duplicate rule.
DUPLICATED = [
    "event_type",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "title_fr",
    "title_en",
]
# One broken cell per rule: (table, row index, column, new value, rule or None when the edit only
# prepares the next one). The expected line is the row index + 2.
INJECTIONS = [
    ("events", 5, "place_id", "nowhere", "foreign-key"),
    ("events", 6, "status", "happened", "enum"),
    ("events", 7, "title_en", "", "required"),
    ("events", 8, "start_date", "2023-01", None),
    ("events", 8, "start_precision", "day", "date-precision"),
    ("events", 9, "start_date", "2099-01-01", "future-date"),
    ("events", 10, "place_id", "entity-0", "entity-type"),
    ("events", 11, "title_fr", "Événement ", "whitespace"),
    ("events", 12, "summary_en", "=SUM(A1)", "formula"),
    ("events", 13, "title_en", "E\u0301vénement", "unicode-nfc"),
    ("events", 14, "end_date", "2010", "date-order"),
    ("entities", 3, "latitude", "123.5", "range"),
    ("entities", 20, "iso3", "XX", "pattern"),
    ("entities", 6, "longitude", "", "coordinates"),
    ("entities", 7, "iso3", "ABC", "present-when"),
    ("citations", 2, "url", "ftp://example.org/x", "url-scheme"),
    ("citations", 3, "accessed_date", "2025-02-30", "type"),
    ("claims", 4, "relation_id", "relation-0", "exactly-one"),
    ("claims", 5, "claim_id", "claim-6", "primary-key"),
    ("relations", 1, "object_id", "entity-13", "not-equal"),
    ("relations", 3, "subject_id", "entity-14", None),
    ("relations", 3, "object_id", "entity-40", "interval-overlap"),
    ("event_actors", 3, "entity_id", "Entity 3", "pattern"),
    ("events", 15, "start_date", "@events:16:start_date", None),
    ("events", 15, "start_precision", "@events:16:start_precision", "id-date"),
    *[("events", 18, c, f"@events:17:{c}", None) for c in DUPLICATED[:-1]],
    ("events", 18, DUPLICATED[-1], f"@events:17:{DUPLICATED[-1]}", "duplicate-event"),
    ("events", 19, "title_en", "Trojan\u202esource", "format-char"),
    ("events", 20, "summary_en", "x" * 140_000, "cell-size"),
    ("citations", 5, "url", "@citations:4:url", "duplicate-citation"),
    ("citations", 6, "url", "http://127.0.0.1/admin", "url-host"),
    ("relations", 5, "predicate", "head_of_state_of", None),
    ("relations", 6, "predicate", "head_of_state_of", None),
    ("relations", 6, "object_id", "@relations:5:object_id", "exclusive-office"),
    ("relations", 8, "object_id", "entity-1", "predicate-domain"),
    ("tolls", 2, "citation_id", "@citations:7:citation_id", "supported-by"),
    ("tolls", 3, "high", "0", "value-order"),
]
# Edits whose problem shows in another table: (table, row, column, value, rule, file, line).
ELSEWHERE = [
    ("claims", 0, "event_id", "@events:1:event_id", "unreferenced", "data/events.csv", 2),
    ("entities", 25, "dissolved_date", "1990", None, "", 0),
    ("entities", 25, "dissolved_precision", "year", None, "", 0),
    ("event_actors", 7, "entity_id", "entity-25", "lifetime", "data/event_actors.csv", 9),
]


def inject_errors(out: Path) -> list[dict[str, object]]:
    """Break the package as listed in :data:`INJECTIONS`; return what must be reported."""
    expected = []
    by_table: dict[str, list[tuple[int, str, str]]] = {}
    edits = [(*i, f"data/{i[0]}.csv", i[1] + 2) for i in INJECTIONS] + ELSEWHERE
    for table, row, column, value, rule, file, line in edits:
        by_table.setdefault(table, []).append((row, column, value))
        if rule is not None:
            expected.append({"file": file, "line": line, "rule": rule})
    originals = {t: pl.read_csv(out / "data" / f"{t}.csv", infer_schema=False) for t in by_table}
    for table, cells in by_table.items():
        path = out / "data" / f"{table}.csv"
        frame = originals[table]
        for row, column, value in cells:
            if value.startswith("@"):  # another cell's original value: @table:row:column
                source, index, name = value[1:].split(":")
                value = originals[source].get_column(name)[int(index)]
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == row)
                .then(pl.lit(value or None, pl.Utf8))
                .otherwise(pl.col(column))
                .alias(column)
            )
        frame.write_csv(path, null_value="")
    return expected


if __name__ == "__main__":
    main()
