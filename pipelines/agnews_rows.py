"""Reading and validating AG News CSV rows: raw lines in, clean rows or rejection reasons out.

The official AG News files hold one row per line, ``"class","title","description"``, every
field double-quoted, an inner ``"`` written as ``""``, no header and no newline inside a field
(line breaks are written as a literal backslash).  This module reads a file **line by line
in binary** (:mod:`pipelines.source_lines`) so that

* every row keeps its 1-based line number (for record ids and the dead-letter output),
* a line that is not UTF-8 is rejected with its line number instead of failing the file,
* a broken quote (a quoted field that never closes) is rejected on its own line instead of
  swallowing the rest of the file, as a streaming CSV reader would.

Real-world quirks that are *not* errors: a UTF-8 byte-order mark at the start of the file,
CRLF line endings, and blank lines at the end of the file (they are not rows and are not
counted).  A blank line anywhere else *is* counted and rejected as ``"blank line"``, so that
``rows read == rows written + rows rejected`` holds for every line before the last row.

Rejection reasons (the ``reason`` field of the dead-letter records starts with one of these):
:data:`BLANK_LINE`, :data:`NOT_UTF8`, :data:`BROKEN_QUOTE`, :data:`BAD_CSV`,
:data:`WRONG_COLUMN_COUNT`, :data:`LABEL_NOT_A_NUMBER`, :data:`LABEL_OUT_OF_RANGE`,
:data:`EMPTY_TEXT` (and, after tokenization, ``agnews_transforms.NO_TOKENS``).
"""
from __future__ import annotations

import csv
import dataclasses
import re
from typing import Iterator

from pipelines.source_lines import (  # noqa: F401 (SourceLine, count_rows, iter_file_lines re-exported)
    NOT_UTF8,
    SourceLine,
    count_rows,
    iter_file_lines,
    not_utf8_reason,
)

NUM_COLUMNS = 3
_ASCII_DIGITS = re.compile(r"[0-9]+")

BLANK_LINE = "blank line"
BROKEN_QUOTE = "broken quote"
BAD_CSV = "bad CSV"
WRONG_COLUMN_COUNT = "wrong column count"
LABEL_NOT_A_NUMBER = "label is not a number"
LABEL_OUT_OF_RANGE = "label out of range"
EMPTY_TEXT = "empty text"


class RowError(ValueError):
    """A line that is not a valid AG News row; ``str(error)`` is the rejection reason."""


@dataclasses.dataclass(frozen=True)
class AgNewsRow:
    """A valid AG News row.

    Args:
        file: base name of the source file.
        line: 1-based line number in it.
        label: 0-based class index (AG News class - 1).
        title: the title field, as read.
        description: the description field, as read.
        raw: the whole CSV line, as read (for the dead-letter output of later stages).
    """

    file: str
    line: int
    label: int
    title: str
    description: str
    raw: str

    @property
    def id(self) -> str:
        """``"<file>:<line>"``, the record id."""
        return f"{self.file}:{self.line}"

    @property
    def text(self) -> str:
        """``title + " " + description``: what is tokenized and stored in the record."""
        return f"{self.title} {self.description}"


def parse_line(source: SourceLine, *, num_classes: int) -> AgNewsRow:
    """Decodes, CSV-parses and validates one line.

    Args:
        source: the line as read.
        num_classes: labels must be whole numbers in ``1..num_classes``.

    Returns:
        The :class:`AgNewsRow` (label converted to 0-based).

    Raises:
        RowError: with the rejection reason (see the module docstring).
    """
    raw = source.raw
    if not raw.strip():
        raise RowError(BLANK_LINE)
    try:
        text = source.decode()
    except UnicodeDecodeError as e:
        raise RowError(not_utf8_reason(raw, e)) from None
    try:
        fields = next(csv.reader([text], strict=True))
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            raise RowError(f"{BROKEN_QUOTE}: unterminated quoted field") from None
        raise RowError(f"{BAD_CSV}: {e}") from None
    if len(fields) != NUM_COLUMNS:
        raise RowError(f"{WRONG_COLUMN_COUNT}: expected {NUM_COLUMNS} (class, title, description), got {len(fields)}")
    label_text, title, description = fields
    if not _ASCII_DIGITS.fullmatch(label_text.strip()):  # int() would also take "+3", "0_1", "٣"
        raise RowError(f"{LABEL_NOT_A_NUMBER}: {label_text!r}")
    label = int(label_text.strip())
    if not 1 <= label <= num_classes:
        raise RowError(f"{LABEL_OUT_OF_RANGE}: {label} (expected 1..{num_classes})")
    if not (title.strip() or description.strip()):
        raise RowError(f"{EMPTY_TEXT}: title and description are both empty")
    return AgNewsRow(source.file, source.line, label - 1, title, description, text)
