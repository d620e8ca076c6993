"""What changed in the Table Schemas between two states, each change classed with one reason.

- **breaking**: data valid before may fail, or a reader of the old form breaks: a table or field
  removed or renamed, a type or format changed, a field made required, a constraint tightened
  (a pattern changed, a bound narrowed, uniqueness or a foreign key or a rule added), an enum
  value removed, the key changed, the columns reordered;
- **additive**: everything that was valid still is, and readers of the old form still work: an
  optional field or a table added, an enum widened, a constraint relaxed (a rule removed);
- **cosmetic**: nothing a validator or a reader sees: titles, descriptions, enum definitions,
  the order rows are kept in, where evidence is shown.

A change that cannot be told apart is breaking: a reviewer should look. The classes and the
version each asks for are tabled in CONTRIBUTING.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aesdata.snapshot import Snapshot

BREAKING, ADDITIVE, COSMETIC = "breaking", "additive", "cosmetic"
CLASSES = (BREAKING, ADDITIVE, COSMETIC)
# Field and table properties that no validator or reader sees.
COSMETIC_KEYS = {"title", "description", "enumDefinitions", "rowOrder", "evidenceFor"}
# Field properties listing what a value may be: fewer is tighter, more is wider.
ALLOWED_LISTS = {"entityType"}
# Table properties every snapshot carries (a release's descriptor keeps only these).
KEYS = ("fields", "primaryKey", "foreignKeys", "missingValues")
LOWER_BOUNDS, UPPER_BOUNDS = ("minimum", "minLength"), ("maximum", "maxLength")


@dataclass(frozen=True)
class SchemaChange:
    """One change to one table or field, its class, and why it is in that class."""

    table: str
    field: str | None
    kind: str
    change: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.table}.{self.field}" if self.field else self.table
        return f"{self.kind}: {where}: {self.change}"


def classify(old: Snapshot, new: Snapshot) -> list[SchemaChange]:
    """Every schema change from ``old`` to ``new``, breaking first.

    Table-level rules are compared only when both sides carry them: a release's descriptor
    keeps the fields and keys, not the rules, and their absence there is no change.
    """
    rules = old.rules and new.rules
    out: list[SchemaChange] = []
    for name, schema in new.schemas.items():
        before = old.schemas.get(name)
        if before is None:
            out.append(SchemaChange(name, None, ADDITIVE, "table added"))
        else:
            out += _table(name, before, schema, rules)
    out += [
        SchemaChange(name, None, BREAKING, "table removed")
        for name in old.schemas
        if name not in new.schemas
    ]
    return sorted(out, key=lambda c: CLASSES.index(c.kind))


def _table(name: str, old: dict[str, Any], new: dict[str, Any], rules: bool) -> list[SchemaChange]:
    out = _fields(name, old, new)
    if old.get("primaryKey", []) != new.get("primaryKey", []):
        out.append(
            SchemaChange(
                name,
                None,
                BREAKING,
                f"primary key changed from {_list(old.get('primaryKey'))} to "
                f"{_list(new.get('primaryKey'))}: rows are matched by another key",
            )
        )
    out += _items(name, "foreign key", old.get("foreignKeys", []), new.get("foreignKeys", []))
    if old.get("missingValues", [""]) != new.get("missingValues", [""]):
        out.append(
            SchemaChange(name, None, BREAKING, "missingValues changed: cells read otherwise")
        )
    if rules:
        for prop in sorted((set(old) | set(new)) - set(KEYS)):
            out += _property(name, None, prop, old.get(prop), new.get(prop))
    return out


def _fields(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    before = {f["name"]: f for f in old["fields"]}
    after = {f["name"]: f for f in new["fields"]}
    key = set(new.get("primaryKey", []))
    removed = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    out = []
    for gone, came in _renamed(old["fields"], new["fields"], removed, added):
        removed.remove(gone)
        added.remove(came)
        out.append(SchemaChange(table, came, BREAKING, f"field renamed from {gone!r}"))
    out += [SchemaChange(table, n, BREAKING, "field removed") for n in removed]
    for n in added:
        required = after[n].get("constraints", {}).get("required") or n in key
        kind, what = (
            (BREAKING, "required field added") if required else (ADDITIVE, "optional field added")
        )
        out.append(SchemaChange(table, n, kind, what))
    shared_old = [n for n in before if n in after]
    shared_new = [n for n in after if n in before]
    if shared_old != shared_new:
        out.append(
            SchemaChange(table, None, BREAKING, "columns reordered: a reader by position breaks")
        )
    for n in shared_new:
        out += _field(table, n, before[n], after[n], n in set(old.get("primaryKey", [])), n in key)
    return out


def _renamed(
    old: list[dict[str, Any]], new: list[dict[str, Any]], removed: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """A removed and an added field at the same place, alike but for their names: a rename."""

    def bare(f: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in f.items() if k not in COSMETIC_KEYS | {"name"}}

    pairs = []
    for i, f in enumerate(new):
        if (
            f["name"] in added
            and i < len(old)
            and old[i]["name"] in removed
            and bare(old[i]) == bare(f)
        ):
            pairs.append((old[i]["name"], f["name"]))
    return pairs


def _field(
    table: str, name: str, old: dict[str, Any], new: dict[str, Any], was_key: bool, is_key: bool
) -> list[SchemaChange]:
    out = []

    def add(kind: str, what: str) -> None:
        out.append(SchemaChange(table, name, kind, what))

    for prop in ("type", "format"):
        default = "string" if prop == "type" else None
        if old.get(prop, default) != new.get(prop, default):
            add(
                BREAKING,
                f"{prop} changed from {old.get(prop, default)!r} to {new.get(prop, default)!r}",
            )
    cons_old, cons_new = dict(old.get("constraints", {})), dict(new.get("constraints", {}))
    was = bool(cons_old.pop("required", False)) or was_key
    now = bool(cons_new.pop("required", False)) or is_key
    if was != now:
        add(BREAKING, "made required") if now else add(ADDITIVE, "no longer required")
    enum_old, enum_new = cons_old.pop("enum", None), cons_new.pop("enum", None)
    out += _enum(table, name, enum_old, enum_new)
    for prop in sorted(set(cons_old) | set(cons_new)):
        a, b = cons_old.get(prop), cons_new.get(prop)
        if a == b:
            continue
        if (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and prop in LOWER_BOUNDS + UPPER_BOUNDS
        ):
            tighter = b > a if prop in LOWER_BOUNDS else b < a
            add(
                BREAKING if tighter else ADDITIVE,
                f"{prop} {a} → {b}: {'tightened' if tighter else 'relaxed'}",
            )
        elif a is None:
            add(BREAKING, f"{prop}{_value(b)} added: tightened")
        elif b is None:
            add(ADDITIVE, f"{prop}{_value(a)} removed: relaxed")
        else:
            add(
                BREAKING,
                f"{prop} changed from {a!r} to {b!r}: may reject values the old one accepted",
            )
    for prop in sorted((set(old) | set(new)) - {"name", "type", "format", "constraints"}):
        out += _property(table, name, prop, old.get(prop), new.get(prop))
    return out


def _enum(
    table: str, name: str, old: list[Any] | None, new: list[Any] | None
) -> list[SchemaChange]:
    if old == new:
        return []
    if old is None:
        return [
            SchemaChange(table, name, BREAKING, f"enum of {len(new or [])} values added: tightened")
        ]
    if new is None:
        return [SchemaChange(table, name, ADDITIVE, "enum removed: any value allowed")]
    out = [
        SchemaChange(table, name, BREAKING, f"enum value {v!r} removed")
        for v in old
        if v not in new
    ]
    out += [
        SchemaChange(table, name, ADDITIVE, f"enum value {v!r} added") for v in new if v not in old
    ]
    if not out:
        out.append(
            SchemaChange(
                table,
                name,
                BREAKING,
                "enum values reordered: the categories' order in releases changes",
            )
        )
    return out


def _property(table: str, field: str | None, prop: str, old: Any, new: Any) -> list[SchemaChange]:
    """An extension property: cosmetic, a list of allowed values, or a rule (or list of rules)."""
    if old == new:
        return []
    if prop in COSMETIC_KEYS:
        done = "added" if old is None else "removed" if new is None else "changed"
        return [SchemaChange(table, field, COSMETIC, f"{prop} {done}")]
    if prop in ALLOWED_LISTS and isinstance(old, list) and isinstance(new, list):
        out = [
            SchemaChange(table, field, BREAKING, f"{prop} {v!r} no longer allowed")
            for v in old
            if v not in new
        ]
        return out + [
            SchemaChange(table, field, ADDITIVE, f"{prop} {v!r} allowed")
            for v in new
            if v not in old
        ]
    if isinstance(old, list | None) and isinstance(new, list | None):
        return _items(table, f"{prop} rule", old or [], new or [], field)
    if _bare(old) == _bare(new):
        return [SchemaChange(table, field, COSMETIC, f"{prop}: description changed")]
    if old is None:
        return [SchemaChange(table, field, BREAKING, f"{prop} rule added: tightened")]
    if new is None:
        return [SchemaChange(table, field, ADDITIVE, f"{prop} rule removed: relaxed")]
    return [SchemaChange(table, field, BREAKING, f"{prop} rule changed")]


def _items(
    table: str, what: str, old: list[Any], new: list[Any], field: str | None = None
) -> list[SchemaChange]:
    """A list of rules (foreign keys, intervals ...): each one added tightens, each removed relaxes."""
    before = {_canon(_bare(v)): v for v in old}
    after = {_canon(_bare(v)): v for v in new}
    out = [
        SchemaChange(table, field, BREAKING, f"{what} added: {_canon(after[k])}")
        for k in after
        if k not in before
    ]
    out += [
        SchemaChange(table, field, ADDITIVE, f"{what} removed: {_canon(before[k])}")
        for k in before
        if k not in after
    ]
    if not out and old != new:
        out.append(SchemaChange(table, field, COSMETIC, f"{what}: description changed"))
    return out


def _bare(value: Any) -> Any:
    """``value`` without its descriptions and titles, which no rule reads."""
    if isinstance(value, dict):
        return {k: _bare(v) for k, v in value.items() if k not in ("description", "title")}
    if isinstance(value, list):
        return [_bare(v) for v in value]
    return value


def _canon(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _value(value: Any) -> str:
    return "" if value is True else f" {value!r}"


def _list(names: Any) -> str:
    return ", ".join(names or []) or "none"
