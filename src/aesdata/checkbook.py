"""Declared checks, run two ways: one fused polars query to screen, Pandera to report.

Every rule, whether it comes from a Table Schema constraint or from :mod:`aesdata.rules`, is
declared once here as a boolean polars expression per row, with its rule id and its message.
Pandera's polars backend evaluates each check as a separate query, which costs a pass over the
table per check; so all of a table's checks are first evaluated together in a single query
(polars shares common subexpressions and runs them in parallel). Only the checks that fail are
then handed to Pandera, as named ``Check`` objects on a generated ``DataFrameSchema``, whose lazy
validation collects every failing row. A valid table never imports Pandera at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

# A message takes the failing value and its row, an explanation returns (rule, message) pairs, a
# test maps a column to a boolean expression. Their arguments are left open (``...``): the rules
# bind their settings as lambda defaults (``lambda c, prec=prec: ...``), whose types mypy cannot
# infer against a fixed signature; the results are still checked.
Message = Callable[..., str]
Explain = Callable[..., list[tuple[str, str]]]
Test = Callable[..., pl.Expr]
Frames = dict[str, pl.DataFrame]


@dataclass(frozen=True)
class CheckSpec:
    """One check: its unique name, rule id, field, per-row expression and how to explain a failure.

    ``kind`` is ``check`` for a Pandera ``Check``, or ``required`` / ``unique`` / ``key`` for the
    column and schema flags Pandera has built in (nullable, unique, unique over several fields).
    """

    name: str
    rule: str
    field: str
    expr: pl.Expr
    explain: Explain
    kind: str = "check"
    fields: tuple[str, ...] = ()
    passes: pl.Expr | None = None
    confirm: pl.Expr | None = None

    @property
    def screen_expr(self) -> pl.Expr:
        """True when no row fails: an aggregate where one is cheaper than testing each row."""
        return self.passes if self.passes is not None else self.expr.all()


@dataclass
class CheckBook:
    """The checks declared for one table, by unique name."""

    specs: dict[str, CheckSpec] = field(default_factory=dict)

    def add(self, rule: str, fieldname: str, test: Test, message: Message) -> None:
        """A check of one field whose failure is one problem of ``rule``; nulls pass."""
        self.explained(rule, fieldname, test, lambda v, row: [(rule, message(v, row))])

    def at_rows(self, rule: str, fieldname: str, rows: pl.Series, message: Message) -> None:
        """A check that fails exactly at the row indices ``rows``, found beforehand (by a join
        or a sort across rows), so that the problems are located like any other check's."""
        self.add(rule, fieldname, lambda _c: ~pl.int_range(pl.len()).is_in(rows.implode()), message)

    def explained(self, rule: str, fieldname: str, test: Test, explain: Explain) -> None:
        """A check whose failures ``explain`` turns into problems (one failure, several rules)."""
        name = f"{rule}#{len(self.specs)}"
        expr = test(pl.col(fieldname)).fill_null(True)
        self.specs[name] = CheckSpec(name, rule, fieldname, expr, explain)

    def flag(self, kind: str, rule: str, fields: list[str], message: Message) -> None:
        """Pandera's built-ins: ``required`` (not null), ``unique`` or ``key`` (several fields)."""
        cols = [pl.col(f) for f in fields]
        expr = {
            "required": cols[0].is_not_null(),
            "unique": cols[0].is_unique(),
            "key": pl.struct(cols).is_unique(),
        }[kind]
        # Uniqueness is screened on 64-bit hashes (a quarter of the time of comparing the
        # texts); as two different values may share a hash, a failure is confirmed on the values.
        present = cols[0].drop_nulls()
        passes, confirm = {
            "required": (cols[0].null_count() == 0, None),
            "unique": (
                present.hash().n_unique() == present.len(),
                present.n_unique() == present.len(),
            ),
            "key": (
                pl.struct(cols).hash().n_unique() == pl.len(),
                pl.struct(cols).n_unique() == pl.len(),
            ),
        }[kind]
        name = f"{kind}:{','.join(fields)}"
        self.specs[name] = CheckSpec(
            name,
            rule,
            fields[0],
            expr,
            lambda v, row: [(rule, message(v, row))],
            kind,
            tuple(fields),
            passes,
            confirm,
        )

    def screen(self, frame: pl.DataFrame) -> list[CheckSpec]:
        """The checks that fail somewhere in ``frame``, from one query over all of them."""
        present = [
            s for s in self.specs.values() if set(s.fields or (s.field,)) <= set(frame.columns)
        ]
        if not present or frame.is_empty():
            return []
        failing = _failing(frame, present, lambda s: s.screen_expr)
        unsure = [s for s in failing if s.confirm is not None]
        if not unsure:
            return failing
        confirmed = _failing(frame, unsure, lambda s: s.confirm)
        return [s for s in failing if s.confirm is None or s in confirmed]


def _failing(
    frame: pl.DataFrame, specs: list[CheckSpec], test: Callable[[CheckSpec], Any]
) -> list[CheckSpec]:
    """The ``specs`` whose aggregate ``test`` is false on ``frame``, from one query."""
    result = frame.lazy().select([test(s).alias(s.name) for s in specs]).collect()
    return [s for s in specs if not result.get_column(s.name)[0]]


def pandera_schema(specs: list[CheckSpec], columns: list[str]) -> Any:
    """A Pandera ``DataFrameSchema`` over raw text holding exactly ``specs``, as named checks."""
    import pandera.polars as pa

    checks: dict[str, list[Any]] = {}
    flags: dict[str, dict[str, bool]] = {}
    unique: list[str] | None = None
    for spec in specs:
        if spec.kind == "check":
            checks.setdefault(spec.field, []).append(_pandera_check(pa, spec))
        elif spec.kind == "key":
            unique = list(spec.fields)
        else:
            flags.setdefault(spec.field, {})[
                "nullable" if spec.kind == "required" else "unique"
            ] = True
    cols = {
        name: pa.Column(
            pl.Utf8,
            checks=checks.get(name, []),
            nullable=not flags.get(name, {}).get("nullable", False),
            unique=flags.get(name, {}).get("unique", False),
            required=False,
        )
        for name in columns
    }
    return pa.DataFrameSchema(cols, unique=unique, strict=False, coerce=False)


def _pandera_check(pa: Any, spec: CheckSpec) -> Any:
    expr = spec.expr

    def run(data: Any) -> pl.LazyFrame:
        return data.lazyframe.select(expr.alias("ok"))

    return pa.Check(run, name=spec.name)


def missing(values: pl.Series, keys: pl.Series) -> pl.Series:
    """The distinct non-null ``values`` absent from ``keys``.

    An anti-join hashes the two columns once, in parallel, where ``is_in`` against a large key
    set costs about twice as much; the checks then test cells against this (usually empty)
    result.
    """
    left = values.drop_nulls().rename("k").to_frame()
    return left.join(keys.rename("k").to_frame(), on="k", how="anti").get_column("k").unique()
