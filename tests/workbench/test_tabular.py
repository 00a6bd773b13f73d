"""The shared reader of import files (workbench.tabular): format detection, decoding, CSV, JSON Lines
and JSON arrays, each error with the line or record it names. No database."""
import pytest

from workbench import tabular
from workbench.errors import ValidationFailed
from workbench.tabular import Columns, Row, TabularError

PLAIN = Columns(names=("name", "colour", "size"), required=("name",))
FULL = Columns(names=("name", "colour"), optional=("id", "note"), required=("name",),
               csv_value=lambda value: value.upper(),
               check_header=lambda names: None if "colour" in names else "say which colour.")


def rows(text, kind, columns=PLAIN):
    return list(tabular.read_rows(text, kind, columns))


def error(text, kind, columns=PLAIN) -> TabularError:
    with pytest.raises(TabularError) as info:
        rows(text, kind, columns)
    return info.value


# -- the error ---------------------------------------------------------------------------------

def test_the_error_is_a_validation_failure_on_the_file_with_its_parts():
    exc = TabularError(7, "something is off.", unit="Record")
    assert isinstance(exc, ValidationFailed)
    assert (exc.message, exc.field, exc.code) == ("Record 7: something is off.", "file", "invalid")
    assert (exc.line, exc.unit, exc.detail) == (7, "Record", "something is off.")
    assert TabularError(3, "x.").message == "Line 3: x."


# -- decoding ------------------------------------------------------------------------------------

def test_decode_takes_utf8_with_or_without_a_byte_order_mark():
    assert tabular.decode("é,x\n".encode()) == "é,x\n"
    assert tabular.decode("\ufeffé,x\n".encode()) == "é,x\n"
    assert tabular.decode("\ufeffname\n") == "name\n"  # text given as text
    assert tabular.decode(b"") == ""


def test_decode_names_the_line_of_the_first_bad_byte():
    with pytest.raises(TabularError) as info:
        tabular.decode(b"name\nok\nR\xe9my\nlater\n")
    assert info.value.message == "Line 3: the file is not valid UTF-8; save it as UTF-8 and try again."
    assert info.value.line == 3


# -- format --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, filename, fmt, kind",
    [
        ("name\nx\n", "a.csv", None, "csv"),
        ('{"name": "x"}\n', "a.CSV", None, "csv"),  # the extension wins over the content
        ('{"name": "x"}\n', "a.jsonl", None, "jsonl"),
        ('{"name": "x"}\n', "a.ndjson", None, "jsonl"),
        ('{"name": "x"}\n', "a.json", None, "jsonl"),
        ('[{"name": "x"}]', "a.json", None, "json"),
        ('  \n[{"name": "x"}]', "a.jsonl", None, "json"),  # within JSON, the content decides
        ("name\nx\n", "a.json", None, "jsonl"),
        ("name\nx\n", "", None, "csv"),
        ('  {"name": "x"}\n', "", None, "jsonl"),
        ('[{"name": "x"}]', "upload.txt", None, "json"),
        ('{"name": "x"}\n', "a.jsonl", "csv", "csv"),  # an explicit format wins over the name
        ("name\nx\n", "a.csv", " JSONL ", "jsonl"),
        ("name\nx\n", "", "ndjson", "jsonl"),
        ('[{"name": "x"}]', "", "jsonl", "json"),
        ('{"name": "x"}\n', "", "json", "jsonl"),
        ("name\nx\n", "a.jsonl", "", "jsonl"),  # an empty format is no format
    ],
)
def test_detect_format(text, filename, fmt, kind):
    assert tabular.detect_format(text, filename, fmt) == kind


def test_an_unknown_explicit_format_is_refused():
    with pytest.raises(ValidationFailed) as info:
        tabular.detect_format("name\n", "a.csv", "xml")
    assert not isinstance(info.value, TabularError)
    assert (info.value.message, info.value.field) == ("Unknown format 'xml'; use csv, jsonl or json.", "format")


def test_read_file_decodes_detects_and_reads_lazily():
    kind, reader = tabular.read_file("\ufeffName, Colour\r\nx,red\r\n".encode(), PLAIN, filename="a.csv")
    assert kind == "csv"
    assert list(reader) == [Row(2, {"name": "x", "colour": "red"}, "Line")]
    # Decoding fails at once; a bad header only when the rows are read.
    with pytest.raises(TabularError, match="Line 1: the file is not valid UTF-8"):
        tabular.read_file(b"\xff", PLAIN)
    kind, reader = tabular.read_file(b"shape\n", PLAIN)
    with pytest.raises(TabularError, match="Line 1: unknown column"):
        next(reader)


# -- CSV -----------------------------------------------------------------------------------------

def test_csv_rows_with_their_starting_lines():
    text = "name,colour,size\nA,red,1\n\n   ,  ,\nB,\"dark\nblue\",2\nC,green\n\n"
    assert rows(text, "csv") == [
        Row(2, {"name": "A", "colour": "red", "size": "1"}, "Line"),
        Row(5, {"name": "B", "colour": "dark\nblue", "size": "2"}, "Line"),
        Row(7, {"name": "C", "colour": "green", "size": ""}, "Line"),  # a short row: the rest are ''
    ]


def test_csv_with_crlf_and_quoted_line_breaks_counts_lines_where_rows_start():
    text = 'name,colour\r\n"A\r\nstill A\r\nand still A",red\r\n"B",blue\r\n\r\nC,"x\ny"\r\nD,z,extra\r\n'
    reader = tabular.read_rows(text, "csv", FULL)
    assert [next(reader) for _ in range(3)] == [
        Row(2, {"name": "A\r\nSTILL A\r\nAND STILL A", "colour": "RED"}, "Line"),
        Row(5, {"name": "B", "colour": "BLUE"}, "Line"),
        Row(7, {"name": "C", "colour": "X\nY"}, "Line"),
    ]
    with pytest.raises(TabularError) as info:
        next(reader)
    assert info.value.message == "Line 9: 3 values for 2 columns (a stray comma or quote?)."


def test_csv_header_is_case_and_space_insensitive_and_may_use_optional_columns():
    assert rows(" NAME ,Colour,id\nx,y,7\n", "csv", FULL) == [Row(2, {"name": "X", "colour": "Y", "id": "7"}, "Line")]


def test_csv_value_transform_applies_to_cells_not_the_header():
    assert rows("name,colour\nx,'=a1\n", "csv", FULL) == [Row(2, {"name": "X", "colour": "'=A1"}, "Line")]
    assert rows("name,colour\nx,'=a1\n", "csv") == [Row(2, {"name": "x", "colour": "'=a1"}, "Line")]
    # ... and not to JSON values
    assert rows('{"name": "x"}\n', "jsonl", FULL) == [Row(1, {"name": "x"}, "Line")]


@pytest.mark.parametrize("text", ["", "\n\n", " , ,\n", "\r\n"])
def test_an_empty_csv_names_the_columns(text):
    exc = error(text, "csv")
    assert exc.message == "Line 1: the file is empty; the first row names the columns (name, colour, size)."
    assert (exc.line, exc.unit) == (1, "Line")


def test_an_unknown_csv_column_lists_the_known_ones():
    assert error("name,shape,Weight\n", "csv").message == (
        "Line 1: unknown column(s) 'shape', 'weight'; the columns are name, colour, size.")
    assert error("name,colour,shape\n", "csv", FULL).message == (
        "Line 1: unknown column(s) 'shape'; the columns are name, colour (and optionally id, note).")


def test_a_required_csv_column_that_is_missing():
    assert error("colour,size\nred,1\n", "csv").message == "Line 1: the column 'name' is missing."


def test_the_header_rule_runs_after_the_column_checks():
    assert error("name,note\nx,y\n", "csv", FULL).message == "Line 1: say which colour."
    assert error("note\nx\n", "csv", FULL).message == "Line 1: the column 'name' is missing."
    assert error("note,shape\nx\n", "csv", FULL).message.startswith("Line 1: unknown column(s) 'shape'")


def test_a_header_that_cannot_be_read_as_csv():
    exc = error("name," + "x" * 200_000 + "\n", "csv")
    assert exc.message == "Line 1: the header row cannot be read as CSV (field larger than field limit (131072))."


def test_a_row_that_cannot_be_read_as_csv_names_its_first_line():
    text = 'name,colour\nA,"two\nlines"\n\nB,' + "x" * 200_000 + "\n"
    assert error(text, "csv").message == (
        "Line 5: this row cannot be read as CSV (field larger than field limit (131072)).")


def test_too_many_values_in_a_csv_row():
    exc = error("name,colour,size\nA,red,1\n\nB,red,1,2,\n", "csv")
    assert exc.message == "Line 4: 5 values for 3 columns (a stray comma or quote?)."
    assert (exc.line, exc.unit, exc.detail) == (4, "Line", "5 values for 3 columns (a stray comma or quote?).")


def test_csv_rows_are_read_lazily_so_good_rows_come_before_the_bad_one():
    reader = tabular.read_rows("name\nA\nB,extra\n", "csv", PLAIN)
    assert next(reader) == Row(2, {"name": "A"}, "Line")
    with pytest.raises(TabularError, match="Line 3: 2 values for 1 columns"):
        next(reader)


# -- JSON Lines ----------------------------------------------------------------------------------

def test_json_lines_with_blank_lines_crlf_and_value_conversion():
    text = ('{"name": "A", "colour": null, "size": 3}\r\n'
            "\r\n"
            "   \n"
            '{"name": "B\\nC", "size": 2.5, "colour": ""}\n'
            '{}\n')
    assert rows(text, "jsonl") == [
        Row(1, {"name": "A", "colour": "", "size": "3"}, "Line"),
        Row(4, {"name": "B\nC", "colour": "", "size": "2.5"}, "Line"),
        Row(5, {}, "Line"),
    ]


def test_json_lines_split_only_at_line_breaks_not_at_other_unicode_separators():
    # U+2028, U+2029 and U+0085 may stand unescaped in a JSON string; str.splitlines() would break there.
    text = '{"name": "a\u2028b\u2029c\x85d"}\n{"name": "e"}\n'
    assert rows(text, "jsonl") == [Row(1, {"name": "a\u2028b\u2029c\x85d"}, "Line"), Row(2, {"name": "e"}, "Line")]


def test_json_lines_invalid_json_names_line_and_column():
    exc = error('{"name": "A"}\n\n{"name": }\n', "jsonl")
    assert exc.message == "Line 3: not valid JSON (Expecting value at column 10)."
    assert (exc.line, exc.unit) == (3, "Line")


@pytest.mark.parametrize("line", ['["name", "A"]', '"A"', "3", "null"])
def test_json_lines_each_line_must_be_an_object(line):
    exc = error('{"name": "A"}\n' + line + "\n", "jsonl")
    assert exc.message == "Line 2: each line must be a JSON object with the column names as keys."


def test_json_lines_unknown_keys():
    assert error('{"name": "A", "shape": "round"}\n', "jsonl").message == (
        "Line 1: unknown column(s) 'shape'; the columns are name, colour, size.")
    assert error('{"name": "A", "Colour": "red"}\n', "jsonl", FULL).message == (  # keys are not case-folded
        "Line 1: unknown column(s) 'Colour'; the columns are name, colour (and optionally id, note).")


@pytest.mark.parametrize(
    "value, shown",
    [("true", "true"), ("false", "false"), ('{"a": 1}', '{"a": 1}'), ("[1, 2]", "[1, 2]"),
     ('["' + "x" * 50 + '"]', '["' + "x" * 38)],
)
def test_json_values_that_are_not_text_are_refused(value, shown):
    exc = error('{"name": "A"}\n{"name": "B", "colour": ' + value + "}\n", "jsonl")
    assert exc.message == f"Line 2: colour must be text, not {shown}."


def test_json_lines_are_neither_required_nor_transformed():
    # Required columns and the CSV transform concern CSV only: a missing key is left to the importer.
    assert rows('{"colour": "red"}\n', "jsonl", FULL) == [Row(1, {"colour": "red"}, "Line")]


# -- JSON array ----------------------------------------------------------------------------------

def test_a_json_array_numbers_its_records():
    text = '[\n  {"name": "A", "size": 1},\n  {"name": "B", "colour": null},\n  {}\n]\n'
    assert rows(text, "json") == [
        Row(1, {"name": "A", "size": "1"}, "Record"),
        Row(2, {"name": "B", "colour": ""}, "Record"),
        Row(3, {}, "Record"),
    ]
    assert rows("[]", "json") == []


def test_json_array_errors_name_the_record():
    assert error('[{"name": "A"}, {"name": "B", "shape": 1}]', "json").message == (
        "Record 2: unknown column(s) 'shape'; the columns are name, colour, size.")
    exc = error('[{"name": "A"}, {"name": "B"}, "C"]', "json")
    assert exc.message == "Record 3: each record must be a JSON object with the column names as keys."
    assert (exc.line, exc.unit) == (3, "Record")
    assert error('[{"name": false}]', "json").message == "Record 1: name must be text, not false."


def test_invalid_json_in_an_array_names_the_line_of_the_file():
    exc = error('[\n {"name": "A"},\n {"name": "B",}\n]\n', "json")
    assert exc.message.startswith("Line 3: not valid JSON (") and exc.message.endswith(" at column 15).")
    assert (exc.line, exc.unit) == (3, "Line")


def test_a_json_file_that_is_not_an_array_of_objects():
    assert error('{"name": "A"}', "json").message == (
        "Line 1: a JSON file holds one array of objects, or one object per line (JSON Lines).")
