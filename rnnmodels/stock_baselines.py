"""Honest baselines for the stock forecasts, computed from the same test records as the models.

* price: **persistence** (tomorrow's close = today's close, i.e. the record's ``prev_close``);
* direction: **always up**; the **majority class of the training period**; **last move**
  (tomorrow moves like today: the label of the previous trading day).

Every function takes arrays of the test records sorted by ticker then date (the order
``window_input_fn`` reads without shuffling).
"""
from __future__ import annotations

import numpy as np


def persistence_forecast(prev_close) -> np.ndarray:
    """Tomorrow equals today: the prediction for each record is its ``prev_close``.

    Args:
        prev_close: the scaled close of the day before each target.

    Returns:
        The predictions (float64, same units as ``prev_close``).
    """
    return np.asarray(prev_close, dtype=np.float64).reshape(-1).copy()


def always_up(n: int) -> np.ndarray:
    """Predicts "up" (1) for each of ``n`` records."""
    return np.ones(int(n), dtype=np.int64)


def majority_class(train_labels) -> int:
    """The more frequent direction label of the training period (ties -> 1, "up").

    Args:
        train_labels: 0/1 direction labels of the training records.

    Returns:
        0 or 1.
    """
    labels = np.asarray(train_labels).reshape(-1)
    if labels.size == 0:
        raise ValueError("no training labels")
    return int(labels.mean() >= 0.5)


def last_move(direction, ticker, target, prev_close, window) -> np.ndarray:
    """Persistence of the last move: predict each day's direction as the previous day's label.

    For a record whose predecessor (same ticker, previous record) is the previous trading day,
    the prediction is that record's ``direction`` label.  The predecessor is checked to be
    the previous day: its ``target`` must equal this record's ``prev_close`` exactly (both
    are the same scaled close written by the job).  The first record of each ticker has no
    predecessor in the split; its previous move is read from its own window
    (``window[-1] > window[-2]``).

    Args:
        direction: 0/1 labels ``[N]``.
        ticker: tickers ``[N]`` (str or bytes).
        target: scaled target closes ``[N]``.
        prev_close: scaled previous closes ``[N]``.
        window: scaled windows ``[N, W]`` or ``[N, W, 1]`` (``W >= 2``).

    Returns:
        0/1 predictions ``[N]`` (int64).

    Raises:
        ValueError: records of a ticker are not consecutive trading days in date order.
    """
    direction = np.asarray(direction).reshape(-1)
    ticker = np.asarray(ticker).reshape(-1)
    target = np.asarray(target, dtype=np.float32).reshape(-1)
    prev_close = np.asarray(prev_close, dtype=np.float32).reshape(-1)
    window = np.asarray(window, dtype=np.float32)
    window = window.reshape(window.shape[0], -1)
    if window.shape[1] < 2:
        raise ValueError("last_move needs windows of at least 2 days for a ticker's first record")
    pred = np.empty(direction.shape[0], dtype=np.int64)
    for i in range(direction.shape[0]):
        if i > 0 and ticker[i - 1] == ticker[i]:
            if target[i - 1] != prev_close[i]:
                raise ValueError(
                    f"record {i} ({ticker[i]!r}) does not follow record {i - 1}: its prev_close {prev_close[i]} "
                    f"!= previous target {target[i - 1]} (records must be consecutive days sorted by ticker, date)"
                )
            pred[i] = int(direction[i - 1])
        else:
            pred[i] = int(window[i, -1] > window[i, -2])
    return pred
