"""Length-histogram statistics for metadata.json."""
from __future__ import annotations

import numpy as np

from pipelines.length_stats import histogram_stats


def test_stats_match_numpy_on_the_expanded_lengths():
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 120, size=997)
    values, counts = np.unique(lengths, return_counts=True)
    stats = histogram_stats({str(v): int(c) for v, c in zip(values, counts)})
    assert stats["count"] == 997
    assert stats["min"] == lengths.min() and stats["max"] == lengths.max()
    assert np.isclose(stats["mean"], lengths.mean())
    for p in (50, 95, 99):
        assert stats[f"p{p}"] == np.percentile(lengths, p, method="inverted_cdf")


def test_empty_histogram():
    assert histogram_stats({}) == {"count": 0}
    assert histogram_stats({"5": 0}) == {"count": 0}
