"""The dataset's shape at a glance: counts per table, year, type, precision and source."""

from __future__ import annotations

from typing import Any

import polars as pl

Table = dict[str, Any]  # {"title": str, "columns": [..], "rows": [[..], ..]}


def compute(frames: dict[str, pl.DataFrame]) -> list[Table]:
    """Every statistic as a titled table (rows of plain values), for text or JSON output."""
    events, claims, citations = frames["events"], frames["claims"], frames["citations"]
    return [
        _table("Rows per table", ["table", "rows"], [[n, f.height] for n, f in frames.items()]),
        _counts(
            "Events per year",
            "year",
            events.select(pl.col("start_earliest").dt.year().alias("year")),
        ),
        _counts(
            "Events per type",
            "event_type",
            events.select(pl.col("event_type").cast(pl.Utf8)),
            by_count=True,
        ),
        _shares("Date precision of events", "start_precision", events),
        _sources_per_event(events, claims),
        _coverage(events, claims, citations),
        _counts(
            "Top publishers", "publisher", citations.select("publisher"), by_count=True, top=10
        ),
        _shares("Languages of sources", "language", citations),
        *(_tolls(events, frames["tolls"]) if "tolls" in frames else []),
    ]


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    return {"title": title, "columns": columns, "rows": rows}


def _counts(
    title: str, column: str, frame: pl.DataFrame, by_count: bool = False, top: int = 0
) -> Table:
    counts = frame.group_by(column).len("events" if title.startswith("Events") else "count")
    value = counts.columns[1]
    counts = (
        counts.sort([value, column], descending=[True, False]) if by_count else counts.sort(column)
    )
    rows = counts.rows()
    return _table(title, [column, value], [list(r) for r in (rows[:top] if top else rows)])


def _shares(title: str, column: str, frame: pl.DataFrame) -> Table:
    counts = (
        frame.group_by(pl.col(column).cast(pl.Utf8))
        .len("count")
        .sort(["count", column], descending=[True, False])
    )
    total = frame.height or 1
    return _table(
        title,
        [column, "count", "share"],
        [[v, n, f"{100 * n / total:.1f}%"] for v, n in counts.rows()],
    )


def supporting(claims: pl.DataFrame) -> pl.DataFrame:
    return claims.filter(
        (pl.col("stance").cast(pl.Utf8) == "supports") & pl.col("event_id").is_not_null()
    )


def _sources_per_event(events: pl.DataFrame, claims: pl.DataFrame) -> Table:
    per_event = (
        supporting(claims).group_by("event_id").agg(pl.col("citation_id").n_unique().alias("n"))
    )
    n = (
        events.select("event_id")
        .join(per_event, on="event_id", how="left")
        .get_column("n")
        .fill_null(0)
    )
    bucket = n.clip(upper_bound=4).cast(pl.Utf8).replace("4", "4 or more")
    counts = bucket.value_counts(name="events").sort(bucket.name)
    return _table(
        "Events by number of supporting sources",
        ["sources", "events"],
        [list(r) for r in counts.rows()],
    )


def _coverage(events: pl.DataFrame, claims: pl.DataFrame, citations: pl.DataFrame) -> Table:
    seed = citations.filter(pl.col("in_seed_references")).get_column("citation_id")
    others = supporting(claims).filter(~pl.col("citation_id").is_in(seed.implode()))
    covered = events.get_column("event_id").is_in(others.get_column("event_id").implode()).sum()
    total = events.height or 1
    return _table(
        "Source coverage",
        ["measure", "value"],
        [
            ["events", events.height],
            ["supported by a source other than the founding article and its references", covered],
            ["share", f"{100 * covered / total:.1f}%"],
            ["citations", citations.height],
        ],
    )


TOLL_NOTE = (
    "sums over events of each event's lowest and highest reported figure (an 'at least' figure "
    "counts at its lower bound); a range of what sources report, not a confidence interval"
)


def per_event_tolls(tolls: pl.DataFrame) -> pl.DataFrame:
    """Each event's lowest and highest reported figure per thing counted, across its sources.

    Per kind of victim, the lowest low and the highest high any source gives; an event's figure
    is the sum over kinds of victim, where a total that says not whom it counts is used only
    when no source breaks the figure down (so that it is not counted twice).
    """
    per = (
        tolls.with_columns(pl.col("counted").cast(pl.Utf8), pl.col("victims").cast(pl.Utf8))
        .group_by("event_id", "counted", "victims")
        .agg(
            pl.col("low").min().alias("low"),
            pl.coalesce("high", "low").max().alias("high"),
        )
    )
    specific = per.filter(pl.col("victims") != "unspecified")
    total_only = per.filter(pl.col("victims") == "unspecified").join(
        specific.select("event_id", "counted").unique(), on=["event_id", "counted"], how="anti"
    )
    return (
        pl.concat([specific, total_only])
        .group_by("event_id", "counted")
        .agg(pl.col("low").sum(), pl.col("high").sum())
    )


def _tolls(events: pl.DataFrame, tolls: pl.DataFrame) -> list[Table]:
    dated = per_event_tolls(tolls).join(
        events.select(
            "event_id",
            pl.col("start_earliest").dt.year().alias("year"),
            pl.col("country_id").fill_null("(none)").alias("country"),
        ),
        on="event_id",
    )
    columns = ["events", "sum of lowest figures", "sum of highest figures"]
    out = []
    for by in ("year", "country"):
        rows = (
            dated.group_by(by, "counted")
            .agg(pl.len().alias("events"), pl.col("low").sum(), pl.col("high").sum())
            .sort(by, "counted")
            .rows()
        )
        out.append(
            _table(
                f"Tolls per {by}: {TOLL_NOTE}", [by, "counted", *columns], [list(r) for r in rows]
            )
        )
    return out
