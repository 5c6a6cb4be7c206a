"""Summary statistics of a sequence-length histogram (for ``metadata["length_stats"]``).

Percentiles use the nearest-rank definition: the p-th percentile is the smallest length
``L`` such that at least ``p`` percent of the sequences have length ``<= L``.

>>> histogram_stats({"2": 1, "4": 2, "10": 1})
{'count': 4, 'min': 2, 'max': 10, 'mean': 5.0, 'p50': 4, 'p95': 10, 'p99': 10}
"""
from __future__ import annotations

import math
from typing import Mapping

PERCENTILES = (50, 95, 99)


def histogram_stats(histogram: Mapping, percentiles=PERCENTILES) -> dict:
    """Count, min, max, mean and nearest-rank percentiles of ``{length: count}``.

    Args:
        histogram: ``{length: count}``; keys may be strings (as read from JSON).
        percentiles: which percentiles to report (as ``"p<N>"`` keys).

    Returns:
        ``{"count", "min", "max", "mean", "p50", "p95", "p99"}``; for an empty histogram
        ``{"count": 0}`` only.
    """
    items = sorted((int(k), int(v)) for k, v in histogram.items() if int(v) > 0)
    total = sum(c for _, c in items)
    if not total:
        return {"count": 0}
    stats = {
        "count": total,
        "min": items[0][0],
        "max": items[-1][0],
        "mean": sum(length * c for length, c in items) / total,
    }
    for p in percentiles:
        rank = max(1, math.ceil(p / 100 * total))
        seen = 0
        for length, c in items:
            seen += c
            if seen >= rank:
                stats[f"p{p}"] = length
                break
    return stats
