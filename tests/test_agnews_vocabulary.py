"""Deterministic vocabulary selection, as a pure function and as a Beam combine."""
from __future__ import annotations

import collections
import random

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.vocabulary import TopTokens, select_top, select_vocabulary, vocabulary_from_top


def test_ties_broken_by_token_after_count():
    counts = {"b": 2, "a": 2, "c": 5, "d": 1, "e": 2}
    assert select_vocabulary(counts, 3) == ["<pad>", "<unk>", "c", "a", "b"]
    assert select_vocabulary(counts, 10) == ["<pad>", "<unk>", "c", "a", "b", "e", "d"]


def test_reserved_tokens_never_enter_the_vocabulary():
    assert select_vocabulary({"<unk>": 9, "<pad>": 9, "x": 1}, 5) == ["<pad>", "<unk>", "x"]


def test_order_of_counts_does_not_matter():
    rng = random.Random(0)
    counts = {f"w{i}": rng.randint(1, 5) for i in range(300)}
    items = list(counts.items())
    rng.shuffle(items)
    assert select_top(items, 50) == select_top(sorted(counts.items()), 50)
    expected = sorted(counts, key=lambda w: (-counts[w], w))[:50]
    assert [w for w, _ in select_top(items, 50)] == expected


def test_top_tokens_transform_sums_batches_and_ranks():
    batches = [{"a": 1, "b": 2}, {"a": 1, "c": 1}, {"b": 1, "c": 1, "<unk>": 50}, {"d": 3}]
    total = collections.Counter()
    for b in batches:
        total.update(b)
    del total["<unk>"]
    expected = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:3]  # b:3, d:3, a:2 (a, c tie at 2)
    assert expected == [("b", 3), ("d", 3), ("a", 2)]
    with BeamTestPipeline() as p:
        top = p | beam.Create(batches) | TopTokens(3)
        assert_that(top, equal_to([expected]))
    assert vocabulary_from_top(expected) == ["<pad>", "<unk>", "b", "d", "a"]


def test_top_tokens_of_nothing_is_one_empty_list():
    with BeamTestPipeline() as p:
        top = p | beam.Create([]) | TopTokens(3)
        assert_that(top, equal_to([[]]))
