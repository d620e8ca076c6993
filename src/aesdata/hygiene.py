"""Text hygiene: what a cell may hold so that every reader, tool and reviewer sees the same text.

One fused test per free-text field screens every cell in a single regex pass; only the few
suspect cells get the exact tests, and a failure is explained by each rule it breaks. URLs get
their own rule: the dataset is public and its links are followed by readers and by tools, so a
link must name a real public host, never a private address or someone's credentials.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import polars as pl

from aesdata.checkbook import CheckBook

HYGIENE = ("unicode-nfc", "whitespace", "control-char", "formula", "format-char", "cell-size")
NUMERIC = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# Below U+0300 no character changes under NFC or combines with another, so only text with a
# character from U+0300 up needs the (costly) normalisation to be compared.
MAY_CHANGE_UNDER_NFC = r"[^\x00-\u02ff]"
# Invisible format characters: zero-width spaces and joiners, bidi controls (the "Trojan
# Source" trick shows a reviewer other text than is stored), soft hyphens, a BOM inside text.
FORMAT = r"\p{Cf}"
MAX_CELL = 128 * 1024  # bytes: a cell holds one fact, not a document
# A public DNS name: dot-separated labels, an alphabetic top-level label (or an IDN one).
PUBLIC_HOST = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\.?$"
RESERVED_NAMES = r"(?:^|\.)(?:localhost|local|localdomain|internal|intranet|lan|home|corp|test|example|invalid|onion|arpa)\.?$"
URL_PARTS = r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)"


def declare_hygiene(schema: dict[str, Any], book: CheckBook) -> None:
    """The hygiene checks of every free-text field, and the host check of every URL field.

    Fields held to an enum, a format or a pattern of explicit characters (IDs, codes, dates,
    URLs) are left out of text hygiene: no value with a stray space, control character or
    formula sign can satisfy those constraints, so such a value is already reported by them.
    """
    for f in schema["fields"]:
        cons = f.get("constraints", {})
        constrained = "enum" in cons or "format" in f or _restrictive(cons.get("pattern"))
        if f.get("type", "string") == "string" and not constrained:
            book.explained("hygiene", f["name"], _clean_text, _hygiene_problems)
        if f.get("type", "string") == "string" and f.get("format") == "uri":
            book.add("url-host", f["name"], _public_url, _url_problem)


def _restrictive(pattern: str | None) -> bool:
    """A pattern built of explicit characters only: it admits no space, control or formula sign."""
    permissive = (".", "\\s", "\\S", "[^", "\\W", "\\D", "\\p", "\\P")
    return pattern is not None and not any(token in pattern for token in permissive)


def _clean_text(c: pl.Expr) -> pl.Expr:
    """One regex pass finds the few cells worth a closer look; only those get the exact tests."""
    suspect = c.str.contains(r"[\x00-\x1f\x7f\u00ad]|^[\s=+\-@]|\s$|" + MAY_CHANGE_UNDER_NFC) | (
        c.str.len_bytes() > MAX_CELL
    )
    bad = (
        c.str.contains(r"[\x00-\x1f\x7f]|^\s|\s$|" + FORMAT)
        | (c.str.contains(r"^[=+\-@]") & ~c.str.contains(NUMERIC))
        | (c.str.len_bytes() > MAX_CELL)
    )
    exact = ~bad & (c == c.str.normalize("NFC"))
    return pl.when(suspect).then(exact).otherwise(True)


def _hygiene_problems(value: Any, _row: dict[str, Any]) -> list[tuple[str, str]]:
    text = str(value)
    found = []
    if len(text.encode()) > MAX_CELL:
        found.append(
            (
                "cell-size",
                f"the cell holds {len(text.encode())} bytes, over the {MAX_CELL} a cell may "
                "hold: keep a short excerpt and cite the source for the rest",
            )
        )
        text = text[:200]
    if unicodedata.normalize("NFC", text) != text:
        found.append(
            (
                "unicode-nfc",
                f"{text!r} is not in Unicode NFC form: retype the accented "
                "letters or normalise the text (`aesdata fmt` does it)",
            )
        )
    if text != text.strip():
        found.append(
            ("whitespace", f"{text!r} has leading or trailing spaces (`aesdata fmt` trims them)")
        )
    if re.search(r"[\x00-\x1f\x7f]", text):
        found.append(
            (
                "control-char",
                f"{text!r} holds a control character (tab, line break ...): "
                "keep each cell on one line",
            )
        )
    invisible = sorted({ch for ch in text if unicodedata.category(ch) == "Cf"})
    if invisible:
        names = ", ".join(
            f"U+{ord(ch):04X} {unicodedata.name(ch, 'FORMAT CHARACTER')}" for ch in invisible
        )
        found.append(
            (
                "format-char",
                f"the text holds an invisible format character ({names}): a reviewer cannot "
                "see it, and bidi controls show other text than is stored; delete it",
            )
        )
    if text[:1] in ("=", "+", "-", "@") and not re.match(NUMERIC, text):
        found.append(
            (
                "formula",
                f"{text!r} starts with {text[0]!r}: a spreadsheet would run it as "
                "a formula; reword it",
            )
        )
    return found


def _public_url(c: pl.Expr) -> pl.Expr:
    authority = c.str.extract(URL_PARTS, 1)
    host = authority.str.to_lowercase().str.replace(r":[0-9]*$", "")
    return (
        ~c.str.contains(r"\s")
        & ~authority.str.contains("@")
        & host.str.contains(PUBLIC_HOST)
        & ~host.str.contains(RESERVED_NAMES)
    ) | authority.is_null()


def _url_problem(value: Any, _row: dict[str, Any]) -> str:
    text = str(value)
    match = re.match(URL_PARTS, text)
    authority = match.group(1) if match else ""
    host = re.sub(r":[0-9]*$", "", authority.rsplit("@", 1)[-1]).lower()
    if re.search(r"\s", text):
        why = "it holds whitespace (encode a space as %20)"
    elif "@" in authority:
        why = "it carries a user name or password (user:password@): remove them"
    elif re.fullmatch(r"[0-9.]+|\[[0-9a-f:.]*\]", host):
        why = f"its host {host!r} is an IP address, not a public name"
    elif re.search(RESERVED_NAMES, host) or "." not in host.rstrip("."):
        why = f"its host {host!r} is local or reserved, not a public name"
    else:
        why = f"its host {host!r} is not a valid public host name"
    return (
        f"{text!r}: {why}. The dataset is public and its links are followed by readers and by "
        "tools: cite the public address of the page"
    )
