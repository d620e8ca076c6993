"""Read a resource's CSV into a frame of raw strings, with every structural problem located.

Valid files take the fast path: Arrow's multithreaded CSV reader, every column as text, so
that type errors are found by the schema checks, not by a parser that stops at the first one.
Only a file the fast reader rejects (bad bytes, ragged rows, a stray quote) is read again line by
line with Python's ``csv`` module, which can say where each problem is.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
from pyarrow import csv as pacsv

from aesdata.package import Resource
from aesdata.report import Problem

BOM = b"\xef\xbb\xbf"


@dataclass
class Table:
    """A resource read as text: one Utf8 column per header cell.

    ``lines`` maps rows to physical CSV lines; None means the plain case (row index + 2), true of
    every file whose cells hold no line break. Whether a cell does is looked up once, and only
    when a problem needs a line number.
    """

    resource: Resource
    frame: pl.DataFrame
    header: list[str]
    lines: list[int] | None = None
    _looked: bool = False

    def column_number(self, name: str) -> int | None:
        """1-based position of ``name`` in the file's header, as an editor shows it."""
        return self.header.index(name) + 1 if name in self.header else None

    def line(self, index: int) -> int:
        """The physical line of row ``index`` (0-based), as an editor numbers it."""
        if self.lines is None and not self._looked:
            self._looked = True
            if self._has_line_breaks():
                self.lines = _record_lines(self.resource.path.read_bytes())
        return self.lines[index] if self.lines is not None else index + 2

    def slim(self, columns: list[str], clean: bool) -> None:
        """Keep only ``columns``; first settle line numbers while every cell is still here.

        A table that passed all its own checks has no line break in any cell (hygiene, patterns,
        enums and types all reject one), so its lines are plain.
        """
        if clean:
            self._looked = True
        else:
            self.line(0)
        self.frame = self.frame.select([c for c in columns if c in self.frame.columns])

    def _has_line_breaks(self) -> bool:
        text = [c for c, t in self.frame.schema.items() if t == pl.Utf8]
        if not text or self.frame.is_empty():
            return False
        return bool(
            self.frame.select(
                pl.any_horizontal(pl.col(c).str.contains("[\r\n]").any() for c in text)
            ).item()
        )


def read_table(res: Resource) -> tuple[Table | None, list[Problem]]:
    """Read ``res``; return the table (None when nothing can be read) and its problems."""
    with res.path.open("rb") as fh:
        head = fh.read(4096)
        size = os.fstat(fh.fileno()).st_size
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    if mm is None or (size <= len(head) and not head.strip()):
        problems = [
            Problem(
                res.relpath,
                1,
                None,
                "empty-file",
                f"the file is empty: it needs at least a header row ({','.join(res.field_names)})",
            )
        ]
        return None, problems
    with mm:
        # A CR in the first line means Windows line endings: the careful reader reports them.
        # Elsewhere Arrow either splits rows at a lone CR (a shape error sends the file to the
        # careful reader) or keeps it inside a quoted cell (a control-character problem).
        cr = head.split(b"\n", 1)[0].find(b"\r")
        problems = _byte_problems(res.relpath, mm, head, cr)
    unusual = head.startswith(BOM) or cr >= 0
    try:
        if unusual:
            raise ValueError("a BOM or a CR: only the careful reader places them")
        table = _fast(res)
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        table, slow_problems = _slow(res, res.path.read_bytes())
        problems += slow_problems
    problems += header_problems(res, table.header)
    return table, problems


def _byte_problems(file: str, mm: mmap.mmap, head: bytes, cr: int) -> list[Problem]:
    """Whole-file hygiene: a BOM, CRLF line endings (``cr``: where the first CR is, or -1)."""
    problems = []
    if head.startswith(BOM):
        problems.append(
            Problem(
                file,
                1,
                1,
                "bom",
                "the file starts with a byte-order mark: save it as UTF-8 without BOM "
                "(`aesdata fmt` does it)",
            )
        )
    if cr >= 0:  # the first line ends with CRLF: one problem speaks for the whole file
        crlf = mm.find(b"\r\n", cr)
        return [*problems, _ending(file, mm[:crlf].count(b"\n") + 1 if crlf >= 0 else 1, CRLF)]
    # An LF file: each CRLF further down is a line ending that differs from the first. A CR is
    # looked for alone (memchr: ten times faster than looking for two bytes); one not followed
    # by LF is a control character inside a cell, reported by the hygiene rules.
    at, line, counted = mm.find(b"\r"), 1, 0
    while at >= 0:
        if mm[at + 1 : at + 2] == b"\n":
            line += mm[counted:at].count(b"\n")
            counted = at
            problems.append(_ending(file, line, MIXED))
        at = mm.find(b"\r", at + 1)
    return problems


CRLF = "the file uses CRLF (Windows) line endings: save it with LF line endings"
MIXED = "this line ends with CRLF where the file's first line ends with LF: save the file with LF line endings"


def _ending(file: str, line: int, what: str) -> Problem:
    return Problem(file, line, None, "line-ending", f"{what} (`aesdata fmt` does it)")


def _fast(res: Resource) -> Table:
    """Arrow's reader: raises on anything malformed, which sends the file to :func:`_slow`."""
    with res.path.open("rb") as fh:
        first = fh.readline()
    header = next(csv.reader([first.decode("utf-8").rstrip("\r\n")]), [])
    names = _unique_names(header)
    arrow = pacsv.read_csv(
        res.path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        # Quoted line breaks still parse inside a block; one that straddles a block boundary
        # breaks the parse, which sends the file to the careful reader.
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.large_string() for n in names},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    if frame.width and frame.select(pl.all_horizontal(pl.all().is_null()).any()).item():
        raise ValueError(
            "an empty row: a blank line or a row of empty cells, for the careful reader"
        )
    return Table(res, frame, header)


def _unique_names(header: list[str]) -> list[str]:
    """Column names Arrow and polars accept: blank and duplicate headers get stand-in names."""
    out: list[str] = []
    for i, name in enumerate(header):
        out.append(name if name and name not in out else f"__column_{i + 1}__")
    return out


def _slow(res: Resource, raw: bytes) -> tuple[Table, list[Problem]]:
    """Line-by-line reading that locates bad bytes, ragged rows and unbalanced quotes.

    The csv module's cell limit (128 KiB) is lifted, so that a long cell is read whole and
    reported by its size (the ``cell-size`` rule) rather than taken for bad quoting.
    """
    csv.field_size_limit(max(csv.field_size_limit(), len(raw) + 1))
    file = res.relpath
    raw = raw.removeprefix(BOM)
    problems = _encoding_problems(file, raw)
    text = raw.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] = []
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                Problem(
                    file,
                    start,
                    None,
                    "quote",
                    f"malformed quoting ({exc}): a "
                    'field that contains a quote must be quoted, with "" inside',
                )
            )
            break
        if not header:
            header = row
        elif not row:
            problems.append(
                Problem(
                    file, start, None, "blank-row", "blank line: delete it (`aesdata fmt` does it)"
                )
            )
        elif len(row) != len(header):
            problems.append(
                Problem(
                    file,
                    start,
                    len(row),
                    "row-shape",
                    f"the row has {len(row)} "
                    f"cell(s) but the header has {len(header)}: check for a missing "
                    "or extra comma, or a comma inside an unquoted cell",
                )
            )
        else:
            rows.append(row)
            lines.append(start)
        start = reader.line_num + 1
    names = _unique_names(header)
    columns = {n: [r[i] or None for r in rows] for i, n in enumerate(names)}
    frame = pl.DataFrame(columns, schema={n: pl.Utf8 for n in names})
    return Table(res, frame, header, lines), problems


def _record_lines(raw: bytes) -> list[int]:
    """The physical line on which each record (after the header) starts."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline=""))
    lines, start = [], 1
    for i, _row in enumerate(reader):
        if i:
            lines.append(start)
        start = reader.line_num + 1
    return lines


def _encoding_problems(file: str, raw: bytes) -> list[Problem]:
    """One problem per line that holds bytes which are not UTF-8."""
    problems = []
    for n, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = line[exc.start : exc.start + 1].hex()
            problems.append(
                Problem(
                    file,
                    n,
                    None,
                    "encoding",
                    f"byte 0x{bad} at position "
                    f"{exc.start + 1} is not UTF-8: save the file as UTF-8",
                )
            )
    return problems


def header_problems(res: Resource, header: list[str]) -> list[Problem]:
    """The header must name the schema's fields, in order, once each."""
    file, expected = res.relpath, res.field_names
    problems = []
    for i, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(Problem(file, 1, i, "header", f"column {i} has no name"))
        elif header.index(name) != i - 1:
            problems.append(Problem(file, 1, i, "header", f"column {name!r} appears twice"))
        elif name not in expected:
            problems.append(
                Problem(
                    file,
                    1,
                    i,
                    "header",
                    f"unknown column {name!r}: the schema has {', '.join(expected)}",
                )
            )
    for name in expected:
        if name not in header:
            problems.append(Problem(file, 1, None, "header", f"missing column {name!r}"))
    known = [h for h in header if h in expected]
    if not problems and known != expected:
        problems.append(
            Problem(
                file,
                1,
                None,
                "header",
                f"columns are out of order: expected {','.join(expected)} "
                "(`aesdata fmt` puts them in order)",
            )
        )
    return problems
