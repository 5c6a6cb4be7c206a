"""Sliding windows over one series: the input is the past ``window`` values, the target the next."""
from __future__ import annotations

from typing import Iterator, Sequence


def sliding_windows(values: Sequence[float], window: int, first_target: int) -> Iterator[tuple[int, list[float]]]:
    """Yields ``(t, values[t - window:t])`` for every target index ``t`` from ``first_target`` on.

    Example: ``values = [a, b, c, d, e]``, ``window = 3``, ``first_target = 3`` yields
    ``(3, [a, b, c])`` and ``(4, [b, c, d])``: each window ends the day before its target.

    Args:
        values: the whole series, oldest first.
        window: the number of past values in each window (>= 1).
        first_target: the first index to use as a target (>= ``window``, so the first window
            is complete).

    Yields:
        ``(target index, window values oldest first)``.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if first_target < window:
        raise ValueError(f"first_target {first_target} < window {window}: the first window would be incomplete")
    for t in range(first_target, len(values)):
        yield t, list(values[t - window:t])
