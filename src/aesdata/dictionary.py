"""The data dictionary, generated from the descriptor and the Table Schemas so it cannot drift."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from aesdata.package import Package, Resource

RULE_NOTES = {
    "precisionField": lambda v: f"partial date; its precision is in `{v}`",
    "entityType": lambda v: f"must reference an entity of type {' or '.join(f'`{t}`' for t in v)}",
    "presentWhen": lambda v: "; ".join(
        f"filled if and only if `{k}` is {' or '.join(v[k])}" for k in v
    ),
    "evidenceFor": lambda v: f"the source backing the row named in {_code(v)}",
}


MARK = "by `aesdata docs`; do not edit by hand."


def is_dictionary(path: Path) -> bool:
    """Whether ``path`` is a data dictionary this command wrote, which it may replace."""
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith("# Data dictionary: ") and MARK in head


def render(package: Package) -> str:
    """Markdown: every table, field, type, constraint, enum value with its definition, and key."""
    d = package.descriptor
    lines = [
        f"# Data dictionary: {d.get('title', package.name)}",
        "",
        f"Generated from `datapackage.json` and `schemas/` (version {package.version}) {MARK}",
        "",
        f"Schema version: **{package.version}**, the package's version: a breaking change to "
        "these schemas takes a new major version (a new minor one while the version is 0.x); "
        "see CONTRIBUTING.",
        "",
    ]
    for res in package.resources:
        lines += _table(package, res)
    lines += _vocabulary(package)
    return "\n".join(lines).rstrip() + "\n"


def _table(package: Package, res: Resource) -> list[str]:
    entry = package.entry(res.name)
    schema = res.schema
    lines = [
        f"## `{res.name}`: {entry.get('title', res.name)}",
        "",
        entry.get("description", ""),
        "",
        f"File: `{res.relpath}`. Primary key: {_code(schema.get('primaryKey', []))}.",
        "",
    ]
    for fk in schema.get("foreignKeys", []):
        target = fk["reference"]["resource"] or res.name
        lines.append(
            f"- Foreign key: {_code(fk['fields'])} → `{target}`.{_code(fk['reference']['fields'])}"
        )
    for rule in _table_rules(schema):
        lines.append(f"- Rule: {rule}")
    lines += [
        "",
        "| field | type | required | constraints | description |",
        "|---|---|---|---|---|",
    ]
    lines += [_field_row(f, schema) for f in schema["fields"]]
    lines.append("")
    for f in schema["fields"]:
        lines += _enum(f)
    return lines


def _table_rules(schema: dict[str, Any]) -> list[str]:
    rules = [f"`{iv['end']}` is not before `{iv['start']}`" for iv in schema.get("intervals", [])]
    rules += [
        f"intervals do not overlap within the same {_code(iv['noOverlapWithin'])}"
        for iv in schema.get("intervals", [])
        if iv.get("noOverlapWithin")
    ]
    rules += [f"exactly one of {_code(g)} is filled" for g in schema.get("exactlyOne", [])]
    rules += [
        f"rows are kept in the order of `{step['enumOf']['resource']}.{step['enumOf']['field']}`'s "
        f"values (`aesdata fmt`)"
        for step in schema.get("rowOrder", [])
        if "enumOf" in step
    ]
    rules += [f"`{a}` and `{b}` differ" for a, b in schema.get("notEqual", [])]
    rules += [
        f"every `{r['key']}` has a {r['description'].split(':')[0]}"
        for r in schema.get("referencedBy", [])
    ]
    return rules


def _field_row(f: dict[str, Any], schema: dict[str, Any]) -> str:
    cons = f.get("constraints", {})
    ftype = f.get("type", "string") + (f" ({f['format']})" if "format" in f else "")
    required = "yes" if cons.get("required") or f["name"] in schema.get("primaryKey", []) else ""
    notes = [
        f"{k} `{v}`"
        for k, v in cons.items()
        if k in ("pattern", "minimum", "maximum", "minLength", "maxLength")
    ]
    notes += ["unique"] if cons.get("unique") else []
    notes += (
        [f"one of {len(cons['enum'])} values (below)"]
        if "enum" in cons and len(cons["enum"]) > 8
        else []
    )
    notes += (
        [f"one of {', '.join(f'`{v}`' for v in cons['enum'])}"]
        if 0 < len(cons.get("enum", [])) <= 8
        else []
    )
    notes += [note(f[key]) for key, note in RULE_NOTES.items() if key in f]
    cells = [f"`{f['name']}`", ftype, required, "; ".join(notes), f.get("description", "")]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _enum(f: dict[str, Any]) -> list[str]:
    definitions = f.get("enumDefinitions")
    if not definitions:
        return []
    lines = [f"Values of `{f['name']}`:", "", "| value | definition |", "|---|---|"]
    lines += [f"| `{value}` | {text} |" for value, text in definitions.items()]
    return [*lines, ""]


def _vocabulary(package: Package) -> list[str]:
    """Event types are a table of their own: their definitions and codebook equivalents."""
    try:
        res = package.resource("event_types")
    except KeyError:
        return []
    with res.path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = [
        "## Event types",
        "",
        "Values of `events.event_type`, from `data/event_types.csv`.",
        "",
        "| event type | definition | ACLED | PLOVER | CAMEO |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        acled = " / ".join(
            x for x in (r.get("acled_event_type"), r.get("acled_sub_event_type")) if x
        )
        cameo = " ".join(x for x in (r.get("cameo_code"), r.get("cameo_name")) if x)
        lines.append(
            f"| `{r['event_type']}` | {r['definition']} | {acled} | {r.get('plover_event_type', '')} | {cameo} |"
        )
    return [*lines, ""]


def _code(names: list[str] | str) -> str:
    names = [names] if isinstance(names, str) else names
    return ", ".join(f"`{n}`" for n in names) or "none"
