"""Bucket boundaries and batch sizes for ``tf.data.Dataset.bucket_by_sequence_length``.

Small pure functions (no TensorFlow), tested on their own.  The Beam job calls
:func:`suggest_bucket_boundaries` on the training split's length histogram and records the
result in ``metadata.json``; ``input_fn`` uses it by default.
"""
from __future__ import annotations

from typing import Mapping, Sequence


def _sorted_counts(length_counts: Mapping[int, int]) -> list[tuple[int, int]]:
    counts = sorted((int(k), int(v)) for k, v in length_counts.items() if int(v) > 0)
    if not counts:
        raise ValueError("length histogram is empty")
    if counts[0][0] < 1:
        raise ValueError(f"lengths must be >= 1, got {counts[0][0]}")
    return counts


def suggest_bucket_boundaries(
    length_counts: Mapping[int, int], batch_size: int, *, min_batches_per_bucket: float = 4.0
) -> list[int]:
    """Boundaries that keep each bucket narrow yet full enough to fill whole batches.

    Walks the lengths in increasing order and closes a bucket once it holds at least
    ``min_batches_per_bucket * batch_size`` examples; the last (possibly smaller) bucket is
    merged into the one before it.  Narrow buckets mean little padding; the minimum size
    bounds the number of partial batches (at most one per bucket per epoch).

    Boundaries follow ``bucket_by_sequence_length``'s convention: a sequence of length L goes
    to the first bucket whose boundary is > L, so a bucket that holds lengths a..b has
    boundary b + 1.

    Args:
        length_counts: ``{length: number of examples}`` (keys may be strings, as in JSON).
        batch_size: the training batch size.
        min_batches_per_bucket: minimum examples per bucket, in batches.

    Returns:
        Strictly increasing list of ints (possibly empty: one bucket).

    >>> suggest_bucket_boundaries({3: 4, 5: 4, 9: 4}, batch_size=2, min_batches_per_bucket=2)
    [4, 6]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    counts = _sorted_counts(length_counts)
    need = max(1, int(round(min_batches_per_bucket * batch_size)))
    boundaries: list[int] = []
    in_bucket = 0
    for length, count in counts:
        in_bucket += count
        if in_bucket >= need:
            boundaries.append(length + 1)
            in_bucket = 0
    # The last boundary closes the final bucket; anything after it is a small remainder.
    # Either way the last bucket is open-ended, so drop the last boundary (merging the
    # remainder, if any, into the bucket before it).
    if boundaries:
        boundaries.pop()
    return boundaries


def bucket_batch_sizes(boundaries: Sequence[int], batch_size: int) -> list[int]:
    """One batch size per bucket (``len(boundaries) + 1`` of them), all ``batch_size``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return [int(batch_size)] * (len(boundaries) + 1)


def padding_efficiency(batch_lengths: Sequence[Sequence[int]]) -> float:
    """Share of real tokens in padded batches: sum(lengths) / sum(len(batch) * max(batch))."""
    real = sum(sum(b) for b in batch_lengths)
    padded = sum(len(b) * max(b) for b in batch_lengths if len(b))
    if padded == 0:
        raise ValueError("no batches")
    return real / padded
