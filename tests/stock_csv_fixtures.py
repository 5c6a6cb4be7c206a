"""Small Yahoo-style price CSVs written by the stock tests."""
from __future__ import annotations

import datetime
import pathlib
from typing import Iterable, Sequence

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def price_line(date: str, close: float) -> str:
    """One valid CSV line whose Open/High/Low/Adj Close are derived from ``close``."""
    return f"{date},{close:.6f},{close * 1.01:.6f},{close * 0.99:.6f},{close:.6f},{close * 0.9:.6f},1000"


def daily_dates(start: str, n: int) -> list[str]:
    """``n`` consecutive calendar days from ``start`` (ISO)."""
    d0 = datetime.date.fromisoformat(start)
    return [(d0 + datetime.timedelta(days=i)).isoformat() for i in range(n)]


def weekdays(start: str, n: int) -> list[str]:
    """``n`` consecutive Monday-Friday dates from ``start`` (ISO)."""
    out, d = [], datetime.date.fromisoformat(start)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return out


def write_csv(path: pathlib.Path, lines: Iterable[str], *, header: str = HEADER, trailing_newline: bool = True) -> pathlib.Path:
    """Writes ``header`` and ``lines`` to ``path``."""
    text = "\n".join([header, *lines])
    path.write_text(text + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


def write_series(path: pathlib.Path, dates: Sequence[str], closes: Sequence[float]) -> pathlib.Path:
    """A valid CSV with one line per ``(date, close)``."""
    return write_csv(path, [price_line(d, c) for d, c in zip(dates, closes)])
