"""tfrecords.bucketing: bucket boundaries, batch sizes and padding efficiency (pure functions)."""
from __future__ import annotations

import bisect
import random

import pytest

from tfrecords.bucketing import bucket_batch_sizes, padding_efficiency, suggest_bucket_boundaries


def bucket_counts(histogram, boundaries):
    """Examples per bucket, bucket_by_sequence_length's rule: first boundary > length."""
    counts = [0] * (len(boundaries) + 1)
    for length, count in histogram.items():
        counts[bisect.bisect_right(boundaries, int(length))] += count
    return counts


def random_histogram(rng):
    lengths = rng.sample(range(1, 200), rng.randint(1, 60))
    return {length: rng.randint(1, 300) for length in lengths}


@pytest.mark.parametrize("seed", range(25))
def test_suggested_boundaries_properties(seed):
    rng = random.Random(seed)
    histogram = random_histogram(rng)
    batch_size = rng.choice([1, 8, 32, 128])
    min_batches = rng.choice([1.0, 2.5, 4.0])
    boundaries = suggest_bucket_boundaries(histogram, batch_size, min_batches_per_bucket=min_batches)
    assert all(isinstance(b, int) for b in boundaries)
    assert all(a < b for a, b in zip(boundaries, boundaries[1:]))
    # Boundaries lie strictly inside the range of lengths: no empty bucket.
    assert all(min(histogram) < b <= max(histogram) for b in boundaries)
    counts = bucket_counts(histogram, boundaries)
    need = max(1, round(min_batches * batch_size))
    assert all(c >= need for c in counts[:-1])
    assert counts[-1] > 0 and sum(counts) == sum(histogram.values())
    # Keys as strings (JSON) give the same answer.
    as_json = {str(k): v for k, v in histogram.items()}
    assert suggest_bucket_boundaries(as_json, batch_size, min_batches_per_bucket=min_batches) == boundaries


def test_suggested_boundaries_by_hand():
    # need = 2 * 2 = 4 examples per bucket: {3} closes at 4, {5} at 6, {9} at 10 (dropped: last bucket open).
    assert suggest_bucket_boundaries({3: 4, 5: 4, 9: 4}, batch_size=2, min_batches_per_bucket=2) == [4, 6]
    # The small remainder (length 9, 1 example) merges into the bucket before it.
    assert suggest_bucket_boundaries({3: 4, 5: 4, 9: 1}, batch_size=2, min_batches_per_bucket=2) == [4]
    # Too few examples for two buckets: one bucket.
    assert suggest_bucket_boundaries({3: 1, 5: 1}, batch_size=32) == []
    # Zero counts are ignored.
    assert suggest_bucket_boundaries({1: 0, 3: 4, 5: 4, 7: 0}, batch_size=1, min_batches_per_bucket=4) == [4]


def test_suggested_boundaries_errors():
    with pytest.raises(ValueError, match="empty"):
        suggest_bucket_boundaries({}, 8)
    with pytest.raises(ValueError, match="empty"):
        suggest_bucket_boundaries({4: 0}, 8)
    with pytest.raises(ValueError, match="lengths must be >= 1"):
        suggest_bucket_boundaries({0: 3, 4: 1}, 8)
    with pytest.raises(ValueError, match="batch_size"):
        suggest_bucket_boundaries({4: 1}, 0)


def test_bucket_batch_sizes():
    assert bucket_batch_sizes([], 16) == [16]
    assert bucket_batch_sizes([5, 9, 20], 4) == [4, 4, 4, 4]
    with pytest.raises(ValueError, match="batch_size"):
        bucket_batch_sizes([5], 0)


def test_padding_efficiency_by_hand():
    # [3, 1] pads to 2 x 3 = 6 slots, [2, 2] to 4: 8 real tokens of 10.
    assert padding_efficiency([[3, 1], [2, 2]]) == pytest.approx(0.8)
    assert padding_efficiency([[5, 5, 5]]) == 1.0
    # One long sequence among short ones: (1 + 1 + 1 + 9) / (4 * 9).
    assert padding_efficiency([[1, 1, 1, 9]]) == pytest.approx(12 / 36)
    assert padding_efficiency([[4], []]) == 1.0  # empty batches hold no padding
    with pytest.raises(ValueError, match="no batches"):
        padding_efficiency([])
