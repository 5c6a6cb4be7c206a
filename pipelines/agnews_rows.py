"""Reading and validating AG News CSV rows: raw lines in, clean rows or rejection reasons out.

The official AG News files hold one row per line, ``"class","title","description"``, every
field double-quoted, an inner ``"`` written as ``""``, no header and no newline inside a field
(line breaks are written as a literal backslash).  This module reads a file **line by line
in binary** so that

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
from typing import Iterator

from apache_beam.io.filesystems import FileSystems

UTF8_BOM = b"\xef\xbb\xbf"
NUM_COLUMNS = 3

BLANK_LINE = "blank line"
NOT_UTF8 = "not UTF-8"
BROKEN_QUOTE = "broken quote"
BAD_CSV = "bad CSV"
WRONG_COLUMN_COUNT = "wrong column count"
LABEL_NOT_A_NUMBER = "label is not a number"
LABEL_OUT_OF_RANGE = "label out of range"
EMPTY_TEXT = "empty text"


class RowError(ValueError):
    """A line that is not a valid AG News row; ``str(error)`` is the rejection reason."""


@dataclasses.dataclass(frozen=True)
class SourceLine:
    """One line of an input file, as read.

    Args:
        file: the file's base name (``train.csv``), used in record ids and rejections.
        line: 1-based line number.
        raw: the line's bytes without its line terminator (and without a leading BOM).
    """

    file: str
    line: int
    raw: bytes

    def raw_text(self) -> str:
        """The line as text, invalid UTF-8 bytes shown as ``\\xNN`` escapes."""
        return self.raw.decode("utf-8", errors="backslashreplace")


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


def _strip_terminator(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line


def iter_file_lines(path: str, *, name: str | None = None) -> Iterator[SourceLine]:
    """Yields the lines of a (local or ``gs://``) file as :class:`SourceLine` records.

    The file is opened with Beam's ``FileSystems`` (compression detected from the file
    name, e.g. ``.gz``).  A leading UTF-8 BOM and each line's ``\\n`` or ``\\r\\n`` are
    removed.  Blank lines (empty or only white space) at the end of the file are not
    yielded; blank lines before the last non-blank line are.

    Args:
        path: the file to read.
        name: name to record as ``SourceLine.file`` (default: the path's base name).

    Returns:
        An iterator of :class:`SourceLine`, line numbers starting at 1.
    """
    name = name or path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    pending_blank: list[SourceLine] = []
    with FileSystems.open(path) as f:
        line_no = 0
        while True:
            line = f.readline()
            if not line:
                break
            line_no += 1
            raw = _strip_terminator(line)
            if line_no == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM):]
            record = SourceLine(name, line_no, raw)
            if not raw.strip():
                pending_blank.append(record)  # yielded only if a non-blank line follows
                continue
            yield from pending_blank
            pending_blank.clear()
            yield record


def count_rows(path: str) -> int:
    """Number of rows :func:`iter_file_lines` yields for ``path`` (trailing blank lines excluded)."""
    return sum(1 for _ in iter_file_lines(path))


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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RowError(f"{NOT_UTF8}: byte {raw[e.start]:#04x} at offset {e.start} ({e.reason})") from None
    try:
        fields = next(csv.reader([text], strict=True))
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            raise RowError(f"{BROKEN_QUOTE}: unterminated quoted field") from None
        raise RowError(f"{BAD_CSV}: {e}") from None
    if len(fields) != NUM_COLUMNS:
        raise RowError(f"{WRONG_COLUMN_COUNT}: expected {NUM_COLUMNS} (class, title, description), got {len(fields)}")
    label_text, title, description = fields
    try:
        label = int(label_text.strip())
    except ValueError:
        raise RowError(f"{LABEL_NOT_A_NUMBER}: {label_text!r}") from None
    if not 1 <= label <= num_classes:
        raise RowError(f"{LABEL_OUT_OF_RANGE}: {label} (expected 1..{num_classes})")
    if not (title.strip() or description.strip()):
        raise RowError(f"{EMPTY_TEXT}: title and description are both empty")
    return AgNewsRow(source.file, source.line, label - 1, title, description, text)
