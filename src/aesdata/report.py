"""Problems and the report that collects them.

A problem is a value, not an exception: validation gathers every problem of every layer and
the CLI renders them like a compiler (``file:line:column: rule: message``), as JSON for tools,
or as GitHub workflow annotations so that they show inline on a pull request.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

DEFAULT_CAP = 50


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, at one place: the unit every layer of validation produces."""

    file: str
    line: int | None
    column: int | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.rule}: {self.message}"


@dataclass
class Report:
    """Every problem found, with a cap per rule so a systematic error cannot flood the output."""

    problems: list[Problem] = field(default_factory=list)
    cap: int = DEFAULT_CAP

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    @property
    def counts(self) -> dict[str, int]:
        """Problems per rule, sorted by rule id."""
        return dict(sorted(Counter(p.rule for p in self.problems).items()))

    def shown(self) -> list[Problem]:
        """The problems to print: sorted by place, at most ``cap`` per rule."""
        seen: Counter[str] = Counter()
        out = []
        for problem in sorted(self.problems, key=_sort_key):
            seen[problem.rule] += 1
            if self.cap <= 0 or seen[problem.rule] <= self.cap:
                out.append(problem)
        return out

    def left_out(self) -> dict[str, int]:
        """How many problems of each rule the cap kept back."""
        if self.cap <= 0:
            return {}
        return {rule: n - self.cap for rule, n in self.counts.items() if n > self.cap}

    def summary(self) -> str:
        if self.valid:
            return "valid: no problems found"
        per_rule = ", ".join(f"{rule}: {n}" for rule, n in self.counts.items())
        return f"invalid: {len(self.problems)} problem(s) ({per_rule})"

    def to_dict(self) -> dict:
        """The full report for tools: every problem, uncapped, plus counts."""
        return {
            "valid": self.valid,
            "counts": self.counts,
            "problems": [asdict(p) for p in sorted(self.problems, key=_sort_key)],
        }

    def render(self, fmt: str = "text") -> str:
        """The report as ``text``, ``json`` or ``github`` workflow commands."""
        if fmt == "json":
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        lines = [_github(p) if fmt == "github" else str(p) for p in self.shown()]
        lines += [
            f"... {n} more {rule} problem(s) not shown (cap {self.cap} per rule; --max-per-rule 0 "
            "shows all)"
            for rule, n in self.left_out().items()
        ]
        lines.append(self.summary())
        return "\n".join(lines)


def _sort_key(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.column or 0, p.rule, p.message)


def _github(p: Problem) -> str:
    """A GitHub Actions ``::error`` command; its message must escape %, CR and LF."""
    props = [f"file={p.file}"]
    if p.line is not None:
        props.append(f"line={p.line}")
    if p.column is not None:
        props.append(f"col={p.column}")
    props.append(f"title={p.rule}")
    message = p.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error {','.join(props)}::{message}"


class ReportedError(Exception):
    """A refusal that carries the located problems behind it (``report``), for the CLI to print."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report or Report()
