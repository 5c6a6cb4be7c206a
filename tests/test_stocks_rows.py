"""Row validation of the stocks job (pipelines.stock_rows): every bad-row kind, headers, tickers."""
import datetime

import pytest

from pipelines.dead_letter import Rejected
from pipelines.stock_rows import StockRow, parse_csv_text, read_csv_file, ticker_from_path
from tests.stock_csv_fixtures import HEADER, price_line, write_csv

GOOD = "2014-01-02,19.845715,19.893929,19.715000,19.754642,17.481461,234684800"


def parse(lines, header=HEADER, path="X.csv"):
    return list(parse_csv_text("\n".join([header, *lines]), path))


def test_valid_row_keeps_date_close_line_and_raw():
    (row,) = parse([GOOD], path="data/AAPL.csv")
    assert row == StockRow(date=datetime.date(2014, 1, 2), close=19.754642, file="data/AAPL.csv", line=2, raw=GOOD)


@pytest.mark.parametrize(
    "line, reason",
    [
        ("2014-01-03,null,null,null,null,null,null", "Open is missing (null)"),
        ("2014-01-03,1,1,1,NaN,1,5", "Close is NaN"),
        ("2014-01-03,1,1,1,nan,1,5", "Close is NaN"),
        ("2014-01-03,1,1,1,,1,5", "Close is empty"),
        ("2014-01-03,1,1,1,-3.5,1,5", "Close is not positive (-3.5)"),
        ("2014-01-03,1,1,1,0,1,5", "Close is not positive (0)"),
        ("2014-01-03,0.0,1,1,2,1,5", "Open is not positive (0)"),
        ("2014-01-03,1,1,1,2,-1,5", "Adj Close is not positive (-1)"),
        ("2014-01-03,1,1,1,inf,1,5", "Close is infinite (inf)"),
        ("2014-01-03,1,1,1,abc,1,5", "Close is not a number ('abc')"),
        ("2014-01-03,1,1,1,2,1,-5", "Volume is negative (-5)"),
        ("2014-01-03,1,1,1,2,1,null", "Volume is missing (null)"),
        ("2014-13-03,1,1,1,2,1,5", "unparsable date '2014-13-03' (expected YYYY-MM-DD)"),
        ("03/01/2014,1,1,1,2,1,5", "unparsable date '03/01/2014' (expected YYYY-MM-DD)"),
        ("2014-01-03,1,1,1,2,1", "expected 7 columns, got 6"),
        ("2014-01-03,1,1,1,2,1,5,9", "expected 7 columns, got 8"),
        ("", "blank line"),
    ],
)
def test_bad_row_is_rejected_with_reason_line_and_raw(line, reason):
    items = parse([GOOD, line, price_line("2014-01-06", 3.0)], path="in/T.csv")
    assert [type(i) for i in items] == [StockRow, Rejected, StockRow]
    assert items[1] == Rejected(file="in/T.csv", line=3, reason=reason, row=line)
    assert items[2].line == 4


def test_columns_found_by_name_and_bom_and_crlf_accepted():
    header = "Close,Date,Volume,Open,High,Low,Adj Close"
    text = "\ufeff" + header + "\r\n" + "5.5,2015-06-01,10,5,6,5,5\r\n"
    (row,) = parse_csv_text(text, "t.csv")
    assert (row.date, row.close, row.line) == (datetime.date(2015, 6, 1), 5.5, 2)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("Date,Open,High,Low,Adj Close,Volume\n2014-01-02,1,1,1,1,1\n", r"lacks columns \['Close'\]"),
        (GOOD + "\n", "lacks columns"),
        ("Date,Open,High,Low,Close,Close,Adj Close,Volume\n", r"repeats columns \['Close'\]"),
    ],
)
def test_bad_header_fails_naming_the_file(text, message):
    with pytest.raises(ValueError, match=message) as info:
        list(parse_csv_text(text, "dir/BAD.csv"))
    assert "dir/BAD.csv" in str(info.value)


def test_read_csv_file_counts_every_line_after_the_header(tmp_path):
    path = write_csv(tmp_path / "MSFT.csv", [GOOD, "x", price_line("2014-01-03", 2.0)], trailing_newline=False)
    items = list(read_csv_file(str(path)))
    assert [getattr(i, "line", None) for i in items] == [2, 3, 4]
    assert isinstance(items[1], Rejected) and items[1].reason == "expected 7 columns, got 1"


@pytest.mark.parametrize("path, ticker", [("a/b/AAPL.csv", "AAPL"), ("gs://bucket/x/MSFT.csv", "MSFT"), ("BRK-B.csv", "BRK-B")])
def test_ticker_from_path(path, ticker):
    assert ticker_from_path(path) == ticker


def test_line_that_is_not_utf8_is_rejected_alone(tmp_path):
    path = tmp_path / "CCC.csv"
    good2 = price_line("2014-01-06", 3.0)
    path.write_bytes(f"{HEADER}\n{GOOD}\n".encode() + b"2014-01-03,1,1,1,2,1,5\xff\n" + f"{good2}\n".encode())
    items = list(read_csv_file(str(path)))
    assert [type(i) for i in items] == [StockRow, Rejected, StockRow]
    assert items[1] == Rejected(file=str(path), line=3, reason="not UTF-8: byte 0xff at offset 22 (invalid start byte)",
                                row="2014-01-03,1,1,1,2,1,5\\xff")
    assert items[2].line == 4


def test_header_that_is_not_utf8_fails_naming_the_file(tmp_path):
    path = tmp_path / "BAD.csv"
    path.write_bytes(b"Date\xff,Open\n")
    with pytest.raises(ValueError, match=r"BAD.csv: line 1: header is not UTF-8: byte 0xff"):
        list(read_csv_file(str(path)))


def test_line_numbers_are_physical_lines():
    # Form feed, \x1c and U+2028 inside a line are not line breaks; a lone \r is not one either.
    odd = GOOD + "\x0c"
    items = parse([odd, "2014-01-03,1,1,1\x1c,2,1,5", "2014-01-06,1,1,1,2\u2028,1,5", "2014-01-07,1,1\r,1,2,1,5",
                   price_line("2014-01-08", 3.0)])
    assert [i.line for i in items] == [2, 3, 4, 5, 6]
    assert items[-1].date == datetime.date(2014, 1, 8)
    assert isinstance(items[3], Rejected) and items[3].reason.startswith("bad CSV: new-line character")


def test_trailing_blank_lines_are_not_rows():
    items = list(parse_csv_text(f"{HEADER}\r\n{GOOD}\r\n\r\n  \n", "T.csv"))
    assert [i.line for i in items] == [2] and isinstance(items[0], StockRow)
