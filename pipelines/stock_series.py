"""One ticker's whole series -> train/test window records (the per-ticker step of the stocks job).

Given every valid row of one ticker (:class:`pipelines.stock_rows.StockRow`), in any order:

1. sort by date; every row of a date that occurs more than once is rejected
   (``duplicate date ...``: there is no way to tell which copy is right);
2. rows before ``train_start`` or on/after ``test_end`` are *out of range*: counted, not used;
   the others are *used*: ``train`` = [train_start, train_end), ``test`` = [train_end, test_end)
   (end dates exclusive);
3. each split needs at least ``window + 1`` rows, else :class:`InsufficientRowsError`;
4. a :class:`tfrecords.scaling.MinMaxScaler` is fitted on the training closes only;
5. windows: a record's ``window`` is the scaled closes of the ``window`` trading days before
   its target day, ``target`` the target day's scaled close, ``prev_close`` the scaled close of
   the day before (= ``window[-1]``), ``direction`` 1 if the target close is above the previous
   close (compared on the raw prices).  Training targets start at the ``window + 1``-th training
   day (their history is training days only).  Test windows depend on ``test_history``:

   * ``"train_tail"`` (default): every test day is a target; the first test windows take their
     history from the last ``window`` training days.  Inputs are past prices only, so nothing
     of the test period leaks into a training record or into the scaler.
   * ``"test_only"``: history comes from the test period only, so the first ``window`` test
     days are history and never targets.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime
from typing import Iterable

from pipelines.dead_letter import Rejected
from pipelines.stock_rows import StockRow
from pipelines.windows import sliding_windows
from tfrecords.scaling import MinMaxScaler
from tfrecords.schema import window_example

SPLITS = ("train", "test")
TEST_HISTORY = {
    "train_tail": "test windows may use the last `window` training days as history; every test day is a target",
    "test_only": "test windows use test-period days only; the first `window` test days are history, not targets",
}


class InsufficientRowsError(ValueError):
    """A split of one ticker has fewer than ``window + 1`` rows."""


@dataclasses.dataclass(frozen=True)
class SeriesConfig:
    """How a series is split and cut.

    Args:
        window: days of history per record.
        train_start: first training day (inclusive).
        train_end: end of training = first test day (exclusive for train).
        test_end: end of test (exclusive).
        test_history: ``"train_tail"`` or ``"test_only"`` (see module docstring).
    """

    window: int = 60
    train_start: datetime.date = datetime.date(2014, 1, 1)
    train_end: datetime.date = datetime.date(2018, 1, 1)
    test_end: datetime.date = datetime.date(2019, 1, 1)
    test_history: str = "train_tail"

    def __post_init__(self):
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if not self.train_start < self.train_end < self.test_end:
            raise ValueError(
                f"need train_start < train_end < test_end, got {self.train_start}, {self.train_end}, {self.test_end}"
            )
        if self.test_history not in TEST_HISTORY:
            raise ValueError(f"test_history must be one of {sorted(TEST_HISTORY)}, got {self.test_history!r}")

    def split_of(self, date: datetime.date) -> str | None:
        """``"train"``, ``"test"`` or ``None`` (out of range) for a trading day."""
        if date < self.train_start or date >= self.test_end:
            return None
        return "train" if date < self.train_end else "test"


@dataclasses.dataclass(frozen=True)
class WindowRecord:
    """One window record before serialization (field meanings: :mod:`tfrecords.schema`)."""

    ticker: str
    split: str
    date: str
    window: tuple[float, ...]
    target: float
    direction: int
    prev_close: float

    def serialize(self) -> bytes:
        """The ``tf.train.Example`` bytes (:func:`tfrecords.schema.window_example`)."""
        return window_example(
            self.window, self.target, self.direction, self.prev_close, date=self.date, ticker=self.ticker
        )


@dataclasses.dataclass
class SeriesResult:
    """What :func:`process_series` produces for one ticker.

    Attributes:
        ticker: the ticker.
        records: ``{"train": [...], "test": [...]}`` sorted by date.
        rejected: rows rejected at this step (duplicate dates).
        scaler: the scaler fitted on the training closes.
        used: rows inside [train_start, test_end) that were kept.
        out_of_range: valid rows outside [train_start, test_end).
        date_ranges: per split, first/last row and first/last target date and counts.
    """

    ticker: str
    records: dict[str, list[WindowRecord]]
    rejected: list[Rejected]
    scaler: MinMaxScaler
    used: int
    out_of_range: int
    date_ranges: dict[str, dict]


def reject_duplicate_dates(rows: Iterable[StockRow]) -> tuple[list[StockRow], list[Rejected]]:
    """Sorts rows by date and rejects every row whose date occurs more than once.

    Args:
        rows: valid rows of one ticker.

    Returns:
        ``(rows with unique dates sorted by date, rejected duplicates in line order)``.
    """
    by_date: dict[datetime.date, list[StockRow]] = collections.defaultdict(list)
    for row in rows:
        by_date[row.date].append(row)
    kept, rejected = [], []
    for date in sorted(by_date):
        group = sorted(by_date[date], key=lambda r: (r.file, r.line))
        if len(group) == 1:
            kept.append(group[0])
            continue
        lines = ", ".join(f"{r.file}:{r.line}" for r in group)
        for r in group:
            rejected.append(Rejected(file=r.file, line=r.line, reason=f"duplicate date {date.isoformat()} (rows {lines})", row=r.raw))
    rejected.sort(key=lambda r: (r.file, r.line))
    return kept, rejected


def process_series(
    ticker: str, rows: Iterable[StockRow], config: SeriesConfig, *, files: Iterable[str] = ()
) -> SeriesResult:
    """Validates, splits, scales and windows one ticker's series (see module docstring).

    Args:
        ticker: the ticker written into every record.
        rows: the ticker's valid rows, any order.
        config: split dates, window size and test-history choice.
        files: the ticker's source files, named in errors (default: those of ``rows``).

    Returns:
        A :class:`SeriesResult`.

    Raises:
        InsufficientRowsError: a split has fewer than ``window + 1`` rows.
        ValueError: the training closes are all equal (no MinMax scaling possible).
    """
    kept, rejected = reject_duplicate_dates(rows)
    in_range = [r for r in kept if config.split_of(r.date) is not None]
    out_of_range = len(kept) - len(in_range)
    train_rows = [r for r in in_range if config.split_of(r.date) == "train"]
    test_rows = [r for r in in_range if config.split_of(r.date) == "test"]
    need = config.window + 1
    bounds = {
        "train": (config.train_start, config.train_end),
        "test": (config.train_end, config.test_end),
    }
    files = sorted(set(files) | {r.file for r in kept} | {r.file for r in rejected}) or ["no valid rows"]
    for split, split_rows in (("train", train_rows), ("test", test_rows)):
        if len(split_rows) < need:
            start, end = bounds[split]
            raise InsufficientRowsError(
                f"{ticker} ({', '.join(files)}): the {split} split [{start}, {end}) has {len(split_rows)} valid rows, "
                f"needs at least window + 1 = {need}"
            )

    try:
        scaler = MinMaxScaler.fit(r.close for r in train_rows)
    except ValueError as e:
        raise ValueError(f"{ticker} ({', '.join(files)}): training period: {e}") from None
    series = train_rows + test_rows  # chronological: train dates < train_end <= test dates
    raw = [r.close for r in series]
    scaled = scaler.transform(raw).tolist()
    n_train = len(train_rows)
    # (split, values the windows slide over, first target index in them, offset into `series`)
    if config.test_history == "train_tail":
        test_plan = ("test", scaled, n_train, 0)
    else:
        test_plan = ("test", scaled[n_train:], config.window, n_train)
    plans = (("train", scaled[:n_train], config.window, 0), test_plan)

    records: dict[str, list[WindowRecord]] = {"train": [], "test": []}
    first_history: dict[str, str] = {}
    for split, values, first, offset in plans:
        for t, window in sliding_windows(values, config.window, first):
            g = t + offset  # index into the whole series
            if not records[split]:
                first_history[split] = series[g - config.window].date.isoformat()
            records[split].append(
                WindowRecord(
                    ticker=ticker,
                    split=split,
                    date=series[g].date.isoformat(),
                    window=tuple(window),
                    target=scaled[g],
                    direction=int(raw[g] > raw[g - 1]),
                    prev_close=scaled[g - 1],
                )
            )

    date_ranges = {}
    for split, split_rows in (("train", train_rows), ("test", test_rows)):
        recs = records[split]
        date_ranges[split] = {
            "rows": len(split_rows),
            "first_row": split_rows[0].date.isoformat(),
            "last_row": split_rows[-1].date.isoformat(),
            "windows": len(recs),
            "first_history": first_history[split],
            "first_target": recs[0].date,
            "last_target": recs[-1].date,
        }
    return SeriesResult(
        ticker=ticker,
        records=records,
        rejected=rejected,
        scaler=scaler,
        used=len(in_range),
        out_of_range=out_of_range,
        date_ranges=date_ranges,
    )
