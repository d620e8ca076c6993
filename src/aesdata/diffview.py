"""A comparison as Markdown: a pull request's comment, or a release's ``CHANGELOG.md``.

A reviewer reads from the top: a summary table, the version verdict, the schema changes, then
per table the deletions first (the changes that lose something), the changes field by field
(``old → new``) and the additions, each added or changed fact with the claims and citations that
back it. A pull-request comment must stay under GitHub's 65,536 characters, so samples are
capped and the rest counted; when even that is too long, the cap is halved until it fits. Data
values are shown in code spans, so nothing in a cell is taken for Markdown or a mention.
"""

from __future__ import annotations

import re
from typing import Any

from aesdata.compare import Change, Comparison, TableDiff

COMMENT_LIMIT = 65_536  # characters GitHub takes in one comment
BUDGET = 60_000  # room left for the workflow's marker and heading
SAMPLES = 20  # rows shown per kind of change and table before the rest is counted
VALUE = 120  # characters of a value shown before it is cut


def markdown(
    comparison: Comparison,
    title: str | None = None,
    samples: int | None = SAMPLES,
    budget: int | None = BUDGET,
) -> str:
    """The whole comparison; ``samples`` None shows every row (a changelog has no size limit)."""
    caps = [None] if samples is None else [samples >> i for i in range(samples.bit_length() + 1)]
    text = ""
    for cap in caps:
        text = _render(comparison, title, cap)
        if budget is None or len(text) <= budget:
            return text
    assert budget is not None  # only a budget can leave the loop without returning
    cut = text[: budget - 200].rsplit("\n", 1)[0]
    return (
        cut + "\n\n… cut here to fit one comment: `aesdata diff --format json` shows everything.\n"
    )


def _render(c: Comparison, title: str | None, cap: int | None) -> str:
    old, new = c.old, c.new
    lines = [
        title or f"# Changes from {old.label} ({old.version}) to {new.label} ({new.version})",
        "",
        "| table | removed | added | changed |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {len(d.removed)} | {len(d.added)} | {len(d.changed)} |"
        for name, d in c.tables.items()
    ]
    lines += ["", *_version(c), ""]
    if c.schema:
        lines += [
            "## Schema changes",
            "",
            "| class | table | field | change |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {s.kind} | {s.table} | {s.field or ''} | {_cell(s.change)} |"
            for s in _capped(c.schema, cap)
        ]
        lines += [*_more(c.schema, cap, "schema change(s)"), ""]
    for name, diff in c.tables.items():
        if diff:
            lines += _table(c, name, diff, cap)
    return "\n".join(lines).rstrip() + "\n"


def _version(c: Comparison) -> list[str]:
    problems = c.version_problems()
    kinds = [s.kind for s in c.schema]
    counted = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds)) or "none"
    verdict = f"Version {c.old.version} → {c.new.version}; schema changes: {counted}."
    return [verdict, *[f"- **{p}**" for p in problems]]


def _table(c: Comparison, name: str, diff: TableDiff, cap: int | None) -> list[str]:
    lines = [f"## {name}", ""]
    backing = c.sources.get(name, {})
    if diff.removed:
        lines += [f"### Removed ({len(diff.removed)})", ""]
        lines += [
            f"- {_code(diff.key_of(r))}: {_row(r, diff.key)}" for r in _capped(diff.removed, cap)
        ]
        lines += [*_more(diff.removed, cap, "removed row(s)"), ""]
    if diff.changed:
        lines += [f"### Changed ({len(diff.changed)})", ""]
        for change in _capped(diff.changed, cap):
            lines += _changed(change)
            lines += _sources(backing.get(change.key, []))
        lines += [*_more(diff.changed, cap, "changed row(s)"), ""]
    if diff.added:
        lines += [f"### Added ({len(diff.added)})", ""]
        for row in _capped(diff.added, cap):
            key = diff.key_of(row)
            lines.append(f"- {_code(key)}: {_row(row, diff.key)}")
            lines += _sources(backing.get(key, []))
        lines += [*_more(diff.added, cap, "added row(s)"), ""]
    return lines


def _changed(change: Change) -> list[str]:
    lines = [f"- {_code(change.key)}"]
    lines += [
        f"  - {name}: {_code(old)} → {_code(new)}" for name, (old, new) in change.fields.items()
    ]
    return lines


def _row(row: dict[str, Any], key: list[str]) -> str:
    cells = [f"{k}: {_code(v)}" for k, v in row.items() if v is not None and k not in key]
    return " · ".join(cells) or "(empty)"


def _sources(evidence: list[dict[str, Any]]) -> list[str]:
    """The claims backing a row, each with its citation: the reason for the change."""
    lines = []
    for claim in evidence:
        citation = claim.get("citation") or {}
        shown = {k: v for k, v in claim.items() if k not in ("citation", "new")}
        fresh = " (new)" if claim.get("new") else ""
        about = " · ".join(
            f"{k}: {_code(v)}"
            for k, v in list(shown.items())[1:]
            if v is not None and not _is_id(k)
        )
        lines.append(
            f"  - source {_code(next(iter(shown.values()), ''))}{fresh}: {about}{_link(citation)}"
        )
    return lines


def _is_id(field: str) -> bool:
    return field.endswith("_id")


def _link(citation: dict[str, Any]) -> str:
    if not citation:
        return ""
    values = [v for v in citation.values() if isinstance(v, str)]
    url = next((v for v in values if re.match(r"https?://\S+$", v)), None)
    label = _escape(_short(str(citation.get("title") or values[0]), VALUE))
    if url is None:
        return f" — {label}"
    return f" — [{label}](<{url.replace('>', '%3E')}>)"


def _capped(items: list[Any], cap: int | None) -> list[Any]:
    return items if cap is None else items[:cap]


def _more(items: list[Any], cap: int | None, what: str) -> list[str]:
    if cap is None or len(items) <= cap:
        return []
    return ["", f"… and {len(items) - cap} more {what} (`aesdata diff --format json` lists all)"]


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(value: Any) -> str:
    """``value`` as an inline code span, whatever backticks it holds; missing is ∅."""
    if value is None:
        return "∅"
    text = _short(str(value), VALUE)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Plain text in Markdown: punctuation escaped, and no @mention of anyone."""
    return re.sub(r"([\\`*_\[\]<>#|!~])", r"\\\1", text).replace("@", "&#64;")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
