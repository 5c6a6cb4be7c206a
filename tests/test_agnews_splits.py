"""Deterministic train/validation split by row hash."""
from __future__ import annotations

import hashlib
import random

import pytest

from pipelines import splits


def test_hash_is_the_documented_sha256_prefix():
    raw = b'"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers"'
    expected = int(hashlib.sha256(raw).hexdigest()[:16], 16) / 2**64
    assert splits.hash_unit_interval(raw) == expected
    assert 0.0 <= expected < 1.0


def test_split_depends_only_on_bytes_and_fraction():
    rows = [f'"{i % 4 + 1}","title {i}","description {i}"'.encode() for i in range(4000)]
    first = [splits.train_or_valid(r, 0.25) for r in rows]
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    again = dict(zip(shuffled, (splits.train_or_valid(r, 0.25) for r in shuffled)))
    assert first == [again[r] for r in rows]
    share = first.count(splits.VALID) / len(rows)
    assert abs(share - 0.25) < 4 * (0.25 * 0.75 / len(rows)) ** 0.5  # within 4 binomial sd
    # A larger fraction only moves rows from train to valid (nested splits).
    more = [splits.train_or_valid(r, 0.5) for r in rows]
    assert all(m == splits.VALID for f, m in zip(first, more) if f == splits.VALID)
    assert all(splits.train_or_valid(r, 0.0) == splits.TRAIN for r in rows[:100])


def test_default_fraction_is_ten_of_hundred_twenty_thousand():
    assert splits.DEFAULT_VALID_FRACTION == pytest.approx(1 / 12)


def test_fraction_for_size():
    assert splits.fraction_for_size(10_000, 120_000) == pytest.approx(1 / 12)
    assert splits.fraction_for_size(0, 5) == 0.0
    with pytest.raises(ValueError, match="must be smaller than the 5 rows of data/train.csv"):
        splits.fraction_for_size(5, 5, source="data/train.csv")
    with pytest.raises(ValueError, match=">= 0"):
        splits.fraction_for_size(-1, 5)


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_check_fraction_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        splits.check_fraction(bad)
