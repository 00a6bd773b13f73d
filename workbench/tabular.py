"""Reading import files: CSV with a header row, JSON Lines (one object per line), or one JSON array of
objects, into rows of text keyed by column name. Shared by the comment and the vote import.

Pure text in, rows out: nothing here touches Django or the database. A problem stops the reading with
a ``TabularError`` naming the line (CSV, JSON Lines) or record (JSON array) at fault; it is a
``ValidationFailed`` on the field ``file``, so the importers let it through as it is.

What differs between importers is described by a ``Columns``: the column names, the optional ones,
the ones a CSV header must name, a transform for CSV cells, and any further rule for the header.

- CSV: the first row names the columns (case and surrounding spaces ignored); blank lines are
  skipped; a row may have fewer values than columns (the rest are ''), not more; a row's number is
  the line it starts on, so quoted line breaks in earlier rows are counted.
- JSON Lines: one object per line, blank lines skipped; values must be text, numbers (made text) or
  null (''), not true/false, objects or arrays.
- JSON array: the same objects in one array, numbered "Record 1", "Record 2", ...

The file's format comes from an explicit choice, else the file name's extension, else its first
character; within JSON, a file that starts with ``[`` is an array and anything else JSON Lines.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple

from workbench.errors import ValidationFailed

CSV, JSON_LINES, JSON_ARRAY = "csv", "jsonl", "json"
LINE, RECORD = "Line", "Record"
FORMAT_NAMES = {"csv": CSV, "jsonl": JSON_LINES, "ndjson": JSON_LINES, "json": JSON_LINES}
JSON_EXTENSIONS = (".jsonl", ".ndjson", ".json")
# The line breaks of CSV and JSON: not str.splitlines(), which also breaks at U+2028, form feeds and
# others that may stand inside a JSON string.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class TabularError(ValidationFailed):
    """A file that cannot be read as rows: ``"<unit> <line>: <detail>"`` on the field ``file``."""

    def __init__(self, line: int, detail: str, *, unit: str = LINE):
        super().__init__(f"{unit} {line}: {detail}", field="file")
        self.line = line
        self.unit = unit
        self.detail = detail


@dataclass(frozen=True)
class Columns:
    """What an importer reads.

    ``names``: the columns (listed when the file is empty or names an unknown column);
    ``optional``: further columns that are accepted (listed as "and optionally");
    ``required``: the columns a CSV header must name (in JSON a missing key is simply '');
    ``csv_value``: applied to every CSV cell (e.g. to undo a spreadsheet guard);
    ``check_header``: given the CSV header's column names, a reason to refuse it, or None.
    """

    names: tuple[str, ...]
    optional: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    csv_value: Callable[[str], str] | None = None
    check_header: Callable[[list[str]], str | None] | None = None

    def known(self) -> frozenset[str]:
        return frozenset(self.names) | frozenset(self.optional)

    def describe(self) -> str:
        listing = ", ".join(self.names)
        if self.optional:
            listing += f" (and optionally {', '.join(self.optional)})"
        return listing


class Row(NamedTuple):
    line: int  # the line it starts on, or for a JSON array its record number
    values: dict[str, str]
    unit: str  # "Line" or "Record"


def decode(data: bytes | str) -> str:
    """The file as text: UTF-8, with or without a byte-order mark."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TabularError(line, "the file is not valid UTF-8; save it as UTF-8 and try again.") from None


def detect_format(text: str, filename: str = "", fmt: str | None = None) -> str:
    """CSV, JSON_LINES or JSON_ARRAY: ``fmt`` (csv, jsonl, ndjson or json) if given, else from the
    file name, else from the first character; JSON files starting with ``[`` are arrays."""
    if fmt:
        kind = FORMAT_NAMES.get(fmt.strip().lower())
        if kind is None:
            raise ValidationFailed(f"Unknown format {fmt!r}; use csv, jsonl or json.", field="format")
    else:
        name = (filename or "").lower()
        if name.endswith(".csv"):
            kind = CSV
        elif name.endswith(JSON_EXTENSIONS):
            kind = JSON_LINES
        else:
            kind = JSON_LINES if text.lstrip()[:1] in ("{", "[") else CSV
    if kind == CSV:
        return CSV
    return JSON_ARRAY if text.lstrip().startswith("[") else JSON_LINES


def read_file(data: bytes | str, columns: Columns, *, filename: str = "",
              fmt: str | None = None) -> tuple[str, Iterator[Row]]:
    """Decode and pick the format now (their errors are raised here); the rows are read as the
    returned iterator is consumed."""
    text = decode(data)
    kind = detect_format(text, filename, fmt)
    return kind, read_rows(text, kind, columns)


def read_rows(text: str, kind: str, columns: Columns) -> Iterator[Row]:
    if kind == CSV:
        return _read_csv(text, columns)
    if kind == JSON_ARRAY:
        return _read_json_array(text, columns)
    return _read_json_lines(text, columns)


def check_columns(names: Iterable[str], columns: Columns, line: int, unit: str = LINE) -> None:
    known = columns.known()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise TabularError(line, f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                                 f"{columns.describe()}.", unit=unit)


def _read_csv(text: str, columns: Columns) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise TabularError(1, f"the header row cannot be read as CSV ({exc}).") from None
    if not header or not any(h.strip() for h in header):
        raise TabularError(1, f"the file is empty; the first row names the columns ({', '.join(columns.names)}).")
    names = [h.strip().lower() for h in header]
    check_columns(names, columns, 1)
    for name in columns.required:
        if name not in names:
            raise TabularError(1, f"the column {name!r} is missing.")
    if columns.check_header is not None:
        problem = columns.check_header(names)
        if problem:
            raise TabularError(1, problem)
    transform = columns.csv_value or (lambda value: value)
    last = reader.line_num
    while True:
        start = last + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TabularError(start, f"this row cannot be read as CSV ({exc}).") from None
        last = reader.line_num
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) > len(names):
            raise TabularError(start, f"{len(values)} values for {len(names)} columns (a stray comma or quote?).")
        yield Row(start, {name: transform(values[i]) if i < len(values) else "" for i, name in enumerate(names)}, LINE)


def _as_text(value, line: int, name: str, unit: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, dict, list)):
        raise TabularError(line, f"{name} must be text, not {json.dumps(value)[:40]}.", unit=unit)
    return str(value)


def _json_row(obj, columns: Columns, line: int, unit: str) -> Row:
    if not isinstance(obj, dict):
        raise TabularError(line, f"each {unit.lower()} must be a JSON object with the column names as keys.",
                           unit=unit)
    check_columns(obj.keys(), columns, line, unit)
    return Row(line, {name: _as_text(value, line, name, unit) for name, value in obj.items()}, unit)


def _read_json_lines(text: str, columns: Columns) -> Iterator[Row]:
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TabularError(number, f"not valid JSON ({exc.msg} at column {exc.colno}).") from None
        yield _json_row(obj, columns, number, LINE)


def _read_json_array(text: str, columns: Columns) -> Iterator[Row]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TabularError(exc.lineno, f"not valid JSON ({exc.msg} at column {exc.colno}).") from None
    if not isinstance(items, list):
        raise TabularError(1, "a JSON file holds one array of objects, or one object per line (JSON Lines).")
    for number, obj in enumerate(items, start=1):
        yield _json_row(obj, columns, number, RECORD)
