"""Partial dates: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, and the day range each one covers.

Sources often give only a month or a year. The CSV keeps the date exactly as precise as the
source; checks and releases use the earliest and latest day it can mean, so that "2025-01"
sorts and filters correctly without pretending the event happened on the 1st.
"""

from __future__ import annotations

import polars as pl

PRECISION_LENGTH = {"year": 4, "month": 7, "day": 10}


def earliest(text: pl.Expr) -> pl.Expr:
    """First day a partial date can mean (null when the text is not a valid partial date)."""
    return _padded(text, "-01", "-01-01")


def latest(text: pl.Expr) -> pl.Expr:
    """Last day a partial date can mean: the month's or the year's end for coarse dates."""
    n = text.str.len_chars()
    first = _padded(text, "-01", "-01-01")
    return (
        pl.when(n == 7)
        .then(first.dt.month_end())
        .when(n == 4)
        .then(pl.concat_str(text, pl.lit("-12-31")).str.to_date("%Y-%m-%d", strict=False))
        .otherwise(first)
    )


def precision_of(text: pl.Expr) -> pl.Expr:
    """The precision a date string is written at, from its length."""
    n = text.str.len_chars()
    return (
        pl.when(n == 4)
        .then(pl.lit("year"))
        .when(n == 7)
        .then(pl.lit("month"))
        .when(n == 10)
        .then(pl.lit("day"))
    )


def _padded(text: pl.Expr, month_pad: str, year_pad: str) -> pl.Expr:
    n = text.str.len_chars()
    full = (
        pl.when(n == 7)
        .then(pl.concat_str(text, pl.lit(month_pad)))
        .when(n == 4)
        .then(pl.concat_str(text, pl.lit(year_pad)))
        .otherwise(text)
    )
    return full.str.to_date("%Y-%m-%d", strict=False)
