"""Line reading and row validation of AG News CSV files (no Beam pipeline)."""
from __future__ import annotations

import pytest

from pipelines import agnews_rows
from pipelines.agnews_rows import AgNewsRow, RowError, SourceLine, count_rows, iter_file_lines, parse_line


def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_bom_crlf_and_trailing_blank_lines(tmp_path):
    data = b'\xef\xbb\xbf"1","T1","D1"\r\n"2","T2","D2"\r\n\r\n  \r\n'
    lines = list(iter_file_lines(_write(tmp_path, "train.csv", data)))
    assert [(s.file, s.line, s.raw) for s in lines] == [
        ("train.csv", 1, b'"1","T1","D1"'),
        ("train.csv", 2, b'"2","T2","D2"'),
    ]
    assert count_rows(str(tmp_path / "train.csv")) == 2


def test_blank_line_inside_file_is_kept_as_a_row(tmp_path):
    data = b'"1","T1","D1"\n\n"2","T2","D2"\n'
    lines = list(iter_file_lines(_write(tmp_path, "x.csv", data)))
    assert [(s.line, s.raw) for s in lines] == [(1, b'"1","T1","D1"'), (2, b""), (3, b'"2","T2","D2"')]
    with pytest.raises(RowError, match="^blank line$"):
        parse_line(lines[1], num_classes=4)


def test_file_without_final_newline(tmp_path):
    lines = list(iter_file_lines(_write(tmp_path, "x.csv", b'"1","a","b"\n"2","c","d"')))
    assert [s.raw for s in lines] == [b'"1","a","b"', b'"2","c","d"']


def test_quoted_commas_and_doubled_quotes():
    row = parse_line(SourceLine("t.csv", 7, b'"3","Oil, gas ""and"" more","A ""quoted"", word, here"'), num_classes=4)
    assert row == AgNewsRow("t.csv", 7, 2, 'Oil, gas "and" more', 'A "quoted", word, here',
                            '"3","Oil, gas ""and"" more","A ""quoted"", word, here"')
    assert row.id == "t.csv:7"
    assert row.text == 'Oil, gas "and" more A "quoted", word, here'


def test_unquoted_fields_and_one_empty_field_are_valid():
    row = parse_line(SourceLine("t.csv", 1, b"4,Title only,"), num_classes=4)
    assert (row.label, row.title, row.description) == (3, "Title only", "")


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b'"2","only two"', "wrong column count: expected 3 (class, title, description), got 2"),
        (b'"1","a","b","c"', "wrong column count: expected 3 (class, title, description), got 4"),
        (b'"x","Title","Desc"', "label is not a number: 'x'"),
        (b'"2.0","Title","Desc"', "label is not a number: '2.0'"),
        (b'"+3","Title","Desc"', "label is not a number: '+3'"),
        (b'"0_1","Title","Desc"', "label is not a number: '0_1'"),
        ('"\u0663","Title","Desc"'.encode(), "label is not a number: '\u0663'"),
        (b'"5","Title","Desc"', "label out of range: 5 (expected 1..4)"),
        (b'"0","Title","Desc"', "label out of range: 0 (expected 1..4)"),
        (b'"3","",""', "empty text: title and description are both empty"),
        (b'"3","  ","\t"', "empty text: title and description are both empty"),
        (b'"1","Title","Desc never closes', "broken quote: unterminated quoted field"),
        (b'"1","Title"x,"Desc"', "bad CSV: ',' expected after '\"'"),
        (b"   ", "blank line"),
    ],
)
def test_bad_rows_give_their_reason(raw, reason):
    with pytest.raises(RowError) as info:
        parse_line(SourceLine("f.csv", 3, raw), num_classes=4)
    assert str(info.value) == reason


def test_not_utf8_names_the_byte():
    source = SourceLine("f.csv", 9, b'"4","caf\xe9","bad byte"')
    with pytest.raises(RowError, match=r"^not UTF-8: byte 0xe9 at offset 8 \(invalid continuation byte\)$"):
        parse_line(source, num_classes=4)
    assert source.raw_text() == '"4","caf\\xe9","bad byte"'


def test_number_of_classes_bounds_the_label():
    assert parse_line(SourceLine("f", 1, b'"7","a","b"'), num_classes=7).label == 6
    with pytest.raises(RowError, match=r"label out of range: 3 \(expected 1\.\.2\)"):
        parse_line(SourceLine("f", 1, b'"3","a","b"'), num_classes=2)

