"""Reading an input file line by line in binary, keeping each line's 1-based number.

Both CSV jobs read their files through :func:`iter_file_lines`, so that

* a line that is not UTF-8 can be rejected on its own (with its line number) instead of
  failing the whole file;
* line numbers are physical lines: only ``\\n`` ends a line (``\\r\\n`` too), never the
  other characters ``str.splitlines`` treats as breaks (form feed, ``\\x1c``-``\\x1e``,
  ``\\x85``, U+2028, U+2029, a lone ``\\r``);
* a UTF-8 byte-order mark at the start and blank lines at the end of the file (not rows,
  not counted) are real-world quirks, not errors.  A blank line before the last non-blank
  line *is* yielded, for the job to reject, so ``rows read == written + rejected`` holds.
"""
from __future__ import annotations

import dataclasses
import io
from typing import BinaryIO, Iterator

from apache_beam.io.filesystems import FileSystems

UTF8_BOM = b"\xef\xbb\xbf"
NOT_UTF8 = "not UTF-8"


@dataclasses.dataclass(frozen=True)
class SourceLine:
    """One line of an input file, as read.

    Args:
        file: the name recorded for the file (its base name or path), used in ids and rejections.
        line: 1-based line number.
        raw: the line's bytes without its line terminator (and without a leading BOM).
    """

    file: str
    line: int
    raw: bytes

    def raw_text(self) -> str:
        """The line as text, invalid UTF-8 bytes shown as ``\\xNN`` escapes."""
        return self.raw.decode("utf-8", errors="backslashreplace")

    def decode(self) -> str:
        """The line as UTF-8 text.

        Raises:
            UnicodeDecodeError: the line is not UTF-8 (see :func:`not_utf8_reason`).
        """
        return self.raw.decode("utf-8")


def not_utf8_reason(raw: bytes, error: UnicodeDecodeError) -> str:
    """``"not UTF-8: byte 0xff at offset 9 (invalid start byte)"`` for a failed decode of ``raw``."""
    return f"{NOT_UTF8}: byte {raw[error.start]:#04x} at offset {error.start} ({error.reason})"


def _strip_terminator(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line


def iter_stream_lines(stream: BinaryIO, name: str) -> Iterator[SourceLine]:
    """Yields the lines of a binary stream as :class:`SourceLine` records (see the module docstring).

    Args:
        stream: an open binary file.
        name: what to record as ``SourceLine.file``.
    """
    pending_blank: list[SourceLine] = []
    line_no = 0
    for line in iter(stream.readline, b""):
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


def iter_bytes_lines(data: bytes, name: str) -> Iterator[SourceLine]:
    """:func:`iter_stream_lines` over bytes in memory."""
    return iter_stream_lines(io.BytesIO(data), name)


def iter_file_lines(path: str, *, name: str | None = None) -> Iterator[SourceLine]:
    """Yields the lines of a (local or ``gs://``) file as :class:`SourceLine` records.

    The file is opened with Beam's ``FileSystems`` (compression detected from the file
    name, e.g. ``.gz``).

    Args:
        path: the file to read.
        name: name to record as ``SourceLine.file`` (default: the path's base name).

    Returns:
        An iterator of :class:`SourceLine`, line numbers starting at 1.
    """
    name = name or path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    with FileSystems.open(path) as f:
        yield from iter_stream_lines(f, name)


def count_rows(path: str) -> int:
    """Number of lines :func:`iter_file_lines` yields for ``path`` (trailing blank lines excluded)."""
    return sum(1 for _ in iter_file_lines(path))
