"""Reading and validating the rows of one Yahoo-style daily price CSV.

The file has the header ``Date,Open,High,Low,Close,Adj Close,Volume`` (columns are found by
name, so their order may differ) and one trading day per line.  A row is *valid* when:

* it has exactly as many columns as the header;
* ``Date`` parses as ``YYYY-MM-DD``;
* every price column (``Open``, ``High``, ``Low``, ``Close``, ``Adj Close``) is a finite number
  > 0 (``null``, ``NaN``, empty, ``inf``, zero and negative values are rejected);
* ``Volume`` is a finite number >= 0.

Anything else becomes a :class:`pipelines.dead_letter.Rejected` with the file, the 1-based
physical line number (the header is line 1), the reason and the raw line; a line that is
not UTF-8 or is blank is rejected the same way.  Lines are read in binary
(:mod:`pipelines.source_lines`): a UTF-8 BOM, CRLF endings and blank lines at the end of
the file are accepted and not counted.  A wrong or missing header
is not a row problem: it raises ``ValueError`` naming the file.  Duplicate dates are a
property of the whole series and are handled per ticker (:mod:`pipelines.stock_series`).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import math
import os
from typing import Iterable, Iterator

from pipelines.dead_letter import Rejected
from pipelines.source_lines import SourceLine, iter_bytes_lines, iter_file_lines, not_utf8_reason

DATE_COLUMN = "Date"
PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
VOLUME_COLUMN = "Volume"
EXPECTED_COLUMNS = (DATE_COLUMN, "Open", "High", "Low", "Close", "Adj Close", VOLUME_COLUMN)
TARGET_COLUMN = "Close"
DATE_FORMAT = "%Y-%m-%d"


@dataclasses.dataclass(frozen=True)
class StockRow:
    """One valid trading day of one ticker.

    Attributes:
        date: the trading day.
        close: the ``Close`` price.
        file: the source file path.
        line: 1-based line number in ``file``.
        raw: the raw line as read (without line break).
    """

    date: datetime.date
    close: float
    file: str
    line: int
    raw: str


class RowError(ValueError):
    """A row-level validation failure; the message is the dead-letter reason."""


def ticker_from_path(path: str) -> str:
    """The ticker implied by a file name: ``data/AAPL.csv`` -> ``AAPL``.

    Args:
        path: a local or ``gs://`` path.

    Returns:
        The file name without directory and extension (case kept).
    """
    stem = os.path.splitext(os.path.basename(path.rstrip("/")))[0]
    if not stem:
        raise ValueError(f"cannot derive a ticker from the file name {path!r}: pass --ticker")
    return stem


def column_index(header: list[str], path: str) -> dict[str, int]:
    """Maps each expected column name to its position; ``ValueError`` naming the file if any is absent.

    Args:
        header: the fields of the first line.
        path: the file, for the error message.

    Returns:
        ``{column name: index}`` for the seven Yahoo columns.
    """
    names = [h.strip() for h in header]
    missing = [c for c in EXPECTED_COLUMNS if c not in names]
    if missing:
        raise ValueError(
            f"{path}: line 1: header {','.join(names)!r} lacks columns {missing} "
            f"(expected a Yahoo-style CSV: {','.join(EXPECTED_COLUMNS)})"
        )
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise ValueError(f"{path}: line 1: header repeats columns {duplicated}")
    return {c: names.index(c) for c in EXPECTED_COLUMNS}


def _number(fields: list[str], index: dict[str, int], column: str) -> float:
    text = fields[index[column]].strip()
    if text == "":
        raise RowError(f"{column} is empty")
    if text.lower() in ("null", "none", "na", "n/a"):
        raise RowError(f"{column} is missing ({text})")
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{column} is not a number ({text!r})") from None
    if math.isnan(value):
        raise RowError(f"{column} is NaN")
    if math.isinf(value):
        raise RowError(f"{column} is infinite ({text})")
    return value


def parse_row(fields: list[str], index: dict[str, int], *, num_columns: int, file: str, line: int, raw: str) -> StockRow:
    """Validates one data row.

    Args:
        fields: the CSV fields of the row.
        index: :func:`column_index` of the file's header.
        num_columns: the header's column count.
        file: source path (kept in the result).
        line: 1-based line number.
        raw: the raw line.

    Returns:
        A :class:`StockRow`.

    Raises:
        RowError: with the dead-letter reason when the row is invalid.
    """
    if len(fields) != num_columns:
        raise RowError(f"expected {num_columns} columns, got {len(fields)}")
    date_text = fields[index[DATE_COLUMN]].strip()
    try:
        date = datetime.datetime.strptime(date_text, DATE_FORMAT).date()
    except ValueError:
        raise RowError(f"unparsable date {date_text!r} (expected YYYY-MM-DD)") from None
    prices = {}
    for column in PRICE_COLUMNS:
        value = _number(fields, index, column)
        if value <= 0:
            raise RowError(f"{column} is not positive ({value:g})")
        prices[column] = value
    volume = _number(fields, index, VOLUME_COLUMN)
    if volume < 0:
        raise RowError(f"{VOLUME_COLUMN} is negative ({volume:g})")
    return StockRow(date=date, close=prices[TARGET_COLUMN], file=file, line=line, raw=raw)


def parse_lines(lines: Iterable[SourceLine], path: str) -> Iterator[StockRow | Rejected]:
    """Parses the lines of one CSV file (header first).

    Args:
        lines: the file's lines (:func:`pipelines.source_lines.iter_file_lines`).
        path: the file path, used in results and errors.

    Yields:
        A :class:`StockRow` or a :class:`Rejected` for every line after the header, in file
        order: nothing is lost.

    Raises:
        ValueError: the file is empty, or its header is not UTF-8 or lacks a Yahoo column.
    """
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        raise ValueError(f"{path}: the file is empty (expected header {','.join(EXPECTED_COLUMNS)})")
    try:
        header = next(csv.reader([first.decode()]))
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: line 1: header is {not_utf8_reason(first.raw, e)}") from None
    index = column_index(header, path)
    for source in lines:
        raw = source.raw_text()
        if raw.strip() == "":
            yield Rejected(file=path, line=source.line, reason="blank line", row=raw)
            continue
        try:
            fields = next(csv.reader([source.decode()]))
        except UnicodeDecodeError as e:
            yield Rejected(file=path, line=source.line, reason=not_utf8_reason(source.raw, e), row=raw)
            continue
        except csv.Error as e:
            yield Rejected(file=path, line=source.line, reason=f"bad CSV: {e}", row=raw)
            continue
        try:
            yield parse_row(fields, index, num_columns=len(header), file=path, line=source.line, raw=raw)
        except RowError as e:
            yield Rejected(file=path, line=source.line, reason=str(e), row=raw)


def parse_csv_text(text: str, path: str) -> Iterator[StockRow | Rejected]:
    """:func:`parse_lines` over the text of one CSV file (a leading BOM is ignored)."""
    return parse_lines(iter_bytes_lines(text.encode("utf-8"), path), path)


def read_csv_file(path: str) -> Iterator[StockRow | Rejected]:
    """Reads and parses one CSV from a local or remote (Beam ``FileSystems``) path.

    Args:
        path: the CSV file.

    Yields:
        As :func:`parse_lines`.
    """
    yield from parse_lines(iter_file_lines(path, name=path), path)
