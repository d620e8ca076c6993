"""Each kind of schema change gets its class and its one reason; the version rule that follows."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ROOT

from aesdata.schemachanges import ADDITIVE, BREAKING, COSMETIC, classify
from aesdata.snapshot import Snapshot
from aesdata.versions import version_problems

Schemas = dict[str, dict[str, Any]]
SCHEMAS: Schemas = {
    r["name"]: json.loads((ROOT / r["schema"]).read_text(encoding="utf-8"))
    for r in json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["resources"]
}


def snapshot(schemas: Schemas, rules: bool = True, version: str = "0.1.0") -> Snapshot:
    return Snapshot("test", version, schemas, {}, rules)


def field(schemas: Schemas, table: str, name: str) -> dict[str, Any]:
    return next(f for f in schemas[table]["fields"] if f["name"] == name)


def drop(items: list[Any], match: Callable[[Any], bool]) -> None:
    items[:] = [i for i in items if not match(i)]


def _rename(s: Schemas) -> None:
    field(s, "events", "notes")["name"] = "remarks"


def _reorder(s: Schemas) -> None:
    fields = s["event_actors"]["fields"]
    fields[1], fields[2] = fields[2], fields[1]


def _add_table(s: Schemas) -> None:
    s["aliases"] = {"fields": [{"name": "alias"}], "primaryKey": ["alias"]}


def _reorder_enum(s: Schemas) -> None:
    field(s, "events", "status")["constraints"]["enum"].reverse()


CASES: list[tuple[str, Callable[[Schemas], Any], list[tuple[str, str, str | None, str]]]] = [
    # breaking
    ("table-removed", lambda s: s.pop("tolls"), [(BREAKING, "tolls", None, "table removed")]),
    (
        "field-removed",
        lambda s: drop(s["events"]["fields"], lambda f: f["name"] == "notes"),
        [(BREAKING, "events", "notes", "field removed")],
    ),
    ("field-renamed", _rename, [(BREAKING, "events", "remarks", "field renamed from 'notes'")]),
    (
        "type-changed",
        lambda s: field(s, "tolls", "low").update(type="number"),
        [(BREAKING, "tolls", "low", "type changed from 'integer' to 'number'")],
    ),
    (
        "format-changed",
        lambda s: field(s, "citations", "url").pop("format"),
        [(BREAKING, "citations", "url", "format changed from 'uri' to None")],
    ),
    (
        "made-required",
        lambda s: field(s, "events", "notes").setdefault("constraints", {}).update(required=True),
        [(BREAKING, "events", "notes", "made required")],
    ),
    (
        "required-field-added",
        lambda s: s["tolls"]["fields"].append({"name": "page", "constraints": {"required": True}}),
        [(BREAKING, "tolls", "page", "required field added")],
    ),
    (
        "pattern-changed",
        lambda s: field(s, "tolls", "toll_id")["constraints"].update(pattern="^toll-[0-9]{5,}$"),
        [
            (
                BREAKING,
                "tolls",
                "toll_id",
                "pattern changed from '^toll-[0-9]{4,}$' to '^toll-[0-9]{5,}$': may reject "
                "values the old one accepted",
            )
        ],
    ),
    (
        "maximum-lowered",
        lambda s: field(s, "claims", "quote")["constraints"].update(maxLength=300),
        [(BREAKING, "claims", "quote", "maxLength 400 → 300: tightened")],
    ),
    (
        "minimum-added",
        lambda s: field(s, "events", "title_en")["constraints"].update(minLength=3),
        [(BREAKING, "events", "title_en", "minLength 3 added: tightened")],
    ),
    (
        "enum-value-removed",
        lambda s: field(s, "events", "status")["constraints"]["enum"].remove("planned"),
        [(BREAKING, "events", "status", "enum value 'planned' removed")],
    ),
    (
        "enum-added",
        lambda s: field(s, "events", "notes").update(constraints={"enum": ["a", "b"]}),
        [(BREAKING, "events", "notes", "enum of 2 values added: tightened")],
    ),
    (
        "enum-reordered",
        _reorder_enum,
        [
            (
                BREAKING,
                "events",
                "status",
                "enum values reordered: the categories' order in releases changes",
            )
        ],
    ),
    (
        "unique-added",
        lambda s: field(s, "events", "title_en")["constraints"].update(unique=True),
        [(BREAKING, "events", "title_en", "unique added: tightened")],
    ),
    (
        "key-changed",
        lambda s: s["event_actors"].update(primaryKey=["event_id", "entity_id"]),
        [
            (
                BREAKING,
                "event_actors",
                None,
                "primary key changed from event_id, entity_id, role to event_id, entity_id: "
                "rows are matched by another key",
            )
        ],
    ),
    (
        "foreign-key-added",
        lambda s: (
            s["retired_ids"]
            .setdefault("foreignKeys", [])
            .append(
                {
                    "fields": ["successor_id"],
                    "reference": {"resource": "entities", "fields": ["entity_id"]},
                }
            )
        ),
        [
            (
                BREAKING,
                "retired_ids",
                None,
                'foreign key added: {"fields": ["successor_id"], "reference": {"fields": '
                '["entity_id"], "resource": "entities"}}',
            )
        ],
    ),
    (
        "columns-reordered",
        _reorder,
        [(BREAKING, "event_actors", None, "columns reordered: a reader by position breaks")],
    ),
    (
        "rule-added",
        lambda s: s["events"].update(notEqual=[["place_id", "country_id"]]),
        [(BREAKING, "events", None, 'notEqual rule added: ["place_id", "country_id"]')],
    ),
    (
        "entity-type-narrowed",
        lambda s: field(s, "events", "place_id").update(entityType=[]),
        [(BREAKING, "events", "place_id", "entityType 'place' no longer allowed")],
    ),
    (
        "missing-values-changed",
        lambda s: s["events"].update(missingValues=["", "NA"]),
        [(BREAKING, "events", None, "missingValues changed: cells read otherwise")],
    ),
    # additive
    ("table-added", _add_table, [(ADDITIVE, "aliases", None, "table added")]),
    (
        "optional-field-added",
        lambda s: s["tolls"]["fields"].append({"name": "page", "type": "integer"}),
        [(ADDITIVE, "tolls", "page", "optional field added")],
    ),
    (
        "enum-widened",
        lambda s: field(s, "events", "status")["constraints"]["enum"].append("rumoured"),
        [(ADDITIVE, "events", "status", "enum value 'rumoured' added")],
    ),
    (
        "maximum-raised",
        lambda s: field(s, "claims", "quote")["constraints"].update(maxLength=1000),
        [(ADDITIVE, "claims", "quote", "maxLength 400 → 1000: relaxed")],
    ),
    (
        "no-longer-required",
        lambda s: field(s, "events", "summary_en")["constraints"].pop("required"),
        [(ADDITIVE, "events", "summary_en", "no longer required")],
    ),
    (
        "pattern-removed",
        lambda s: field(s, "entities", "iso3")["constraints"].pop("pattern"),
        [(ADDITIVE, "entities", "iso3", "pattern '^[A-Z]{3}$' removed: relaxed")],
    ),
    (
        "enum-removed",
        lambda s: field(s, "events", "status")["constraints"].pop("enum"),
        [(ADDITIVE, "events", "status", "enum removed: any value allowed")],
    ),
    (
        "entity-type-widened",
        lambda s: field(s, "entities", "country_id")["entityType"].append("place"),
        [(ADDITIVE, "entities", "country_id", "entityType 'place' allowed")],
    ),
    (
        "foreign-key-removed",
        lambda s: drop(s["events"]["foreignKeys"], lambda fk: fk["fields"] == ["event_type"]),
        [
            (
                ADDITIVE,
                "events",
                None,
                'foreign key removed: {"fields": ["event_type"], "reference": {"fields": '
                '["event_type"], "resource": "event_types"}}',
            )
        ],
    ),
    (
        "rule-removed",
        lambda s: s["tolls"].pop("notGreater"),
        [(ADDITIVE, "tolls", None, 'notGreater rule removed: ["low", "high"]')],
    ),
    # cosmetic
    (
        "description",
        lambda s: field(s, "events", "title_en").update(description="A headline."),
        [(COSMETIC, "events", "title_en", "description changed")],
    ),
    (
        "title",
        lambda s: field(s, "events", "title_en").update(title="Headline"),
        [(COSMETIC, "events", "title_en", "title changed")],
    ),
    (
        "enum-definition",
        lambda s: field(s, "events", "status")["enumDefinitions"].update(occurred="It happened."),
        [(COSMETIC, "events", "status", "enumDefinitions changed")],
    ),
    (
        "row-order",
        lambda s: s["event_types"].pop("rowOrder"),
        [(COSMETIC, "event_types", None, "rowOrder removed")],
    ),
    (
        "rule-description",
        lambda s: s["events"]["referencedBy"][0].update(description="an actor, at least"),
        [(COSMETIC, "events", None, "referencedBy rule: description changed")],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_schema_change_is_classed_with_its_reason(
    change: Callable[[Schemas], Any], expected: list[tuple[str, str, str | None, str]]
) -> None:
    new = copy.deepcopy(SCHEMAS)
    change(new)
    found = classify(snapshot(SCHEMAS), snapshot(new))
    assert [(c.kind, c.table, c.field, c.change) for c in found] == expected


def test_the_same_schemas_have_no_change() -> None:
    assert classify(snapshot(SCHEMAS), snapshot(copy.deepcopy(SCHEMAS))) == []


def test_a_release_without_table_rules_is_no_change_of_rules() -> None:
    """A release's descriptor keeps fields and keys; the rules it drops are not removals."""
    keys = ("fields", "primaryKey", "foreignKeys", "missingValues")
    released = {n: {k: v for k, v in s.items() if k in keys} for n, s in SCHEMAS.items()}
    assert classify(snapshot(released, rules=False), snapshot(SCHEMAS)) == []
    assert classify(snapshot(SCHEMAS), snapshot(released, rules=False)) == []


VERSIONS = [
    # (id, old, new, breaking, release differs, problem or None)
    ("patch-for-data", "0.1.0", "0.1.1", False, True, None),
    ("same-version-same-data", "0.1.0", "0.1.0", False, False, None),
    (
        "same-version-new-data",
        "0.1.0",
        "0.1.0",
        False,
        True,
        "the data differs from release 0.1.0 but the version is still 0.1.0",
    ),
    ("minor-for-a-break-while-0x", "0.1.3", "0.2.0", True, True, None),
    ("patch-is-not-enough-for-a-break", "0.1.3", "0.1.4", True, True, "need version 0.2.0"),
    ("major-for-a-break-from-1", "1.4.2", "2.0.0", True, True, None),
    ("minor-is-not-enough-from-1", "1.4.2", "1.5.0", True, True, "need version 2.0.0"),
    ("backwards", "0.2.0", "0.1.9", False, False, "the version goes backwards"),
    ("not-semver", "0.1.0", "0.2", False, False, "version '0.2' is not MAJOR.MINOR.PATCH"),
]


@pytest.mark.parametrize(
    ("old", "new", "breaking", "differs", "problem"),
    [v[1:] for v in VERSIONS],
    ids=[v[0] for v in VERSIONS],
)
def test_the_version_follows_the_changes(
    old: str, new: str, breaking: bool, differs: bool, problem: str | None
) -> None:
    before = copy.deepcopy(SCHEMAS)
    if breaking:
        before["tolls"]["fields"].append({"name": "page"})  # removed in the new version
    changes = classify(snapshot(before), snapshot(SCHEMAS))
    found = version_problems(old, new, changes, differs)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found
