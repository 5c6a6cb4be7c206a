"""Building a word vocabulary from token counts, deterministically.

The vocabulary is ``["<pad>", "<unk>"]`` followed by the ``vocab_size`` most frequent
training tokens, ordered by count (descending) and, among equal counts, by the token's
code points (ascending).  The order is total, so the result does not depend on the runner
or on the order in which counts arrive.

>>> select_vocabulary({"b": 2, "a": 2, "c": 5, "d": 1}, 3)
['<pad>', '<unk>', 'c', 'a', 'b']
"""
from __future__ import annotations

from typing import Iterable, Mapping

import apache_beam as beam

from tfrecords.tokenizer import PAD_TOKEN, UNK_TOKEN

RESERVED = (PAD_TOKEN, UNK_TOKEN)


def rank_key(token_count: tuple[str, int]) -> tuple[int, str]:
    """Sort key: higher count first, then token ascending."""
    token, count = token_count
    return (-count, token)


def select_top(counts: Iterable[tuple[str, int]], vocab_size: int) -> list[tuple[str, int]]:
    """The ``vocab_size`` best ``(token, count)`` pairs by :func:`rank_key`, best first."""
    ranked = sorted(((t, c) for t, c in counts if t not in RESERVED), key=rank_key)
    return ranked[:vocab_size]


def select_vocabulary(counts: Mapping[str, int], vocab_size: int) -> list[str]:
    """``<pad>``, ``<unk>``, then the ``vocab_size`` most frequent tokens of ``counts``.

    Args:
        counts: ``{token: count}``.
        vocab_size: number of real words to keep (``<pad>``/``<unk>`` not included).

    Returns:
        The vocabulary as a list; a token's id is its index.
    """
    return list(RESERVED) + [t for t, _ in select_top(counts.items(), vocab_size)]


class _TopTokensFn(beam.CombineFn):
    """Sums ``{token: count}`` dicts; the output is the top list of :func:`select_top`."""

    def __init__(self, vocab_size: int):
        self._vocab_size = vocab_size

    def create_accumulator(self) -> dict:
        return {}

    def add_input(self, accumulator: dict, counts: Mapping[str, int]) -> dict:
        for token, count in counts.items():
            accumulator[token] = accumulator.get(token, 0) + count
        return accumulator

    def merge_accumulators(self, accumulators) -> dict:
        accumulators = iter(accumulators)
        merged = next(accumulators)
        for accumulator in accumulators:
            self.add_input(merged, accumulator)
        return merged

    def extract_output(self, accumulator: dict) -> list[tuple[str, int]]:
        return select_top(accumulator.items(), self._vocab_size)


class TopTokens(beam.PTransform):
    """``{token: count}`` dicts (e.g. one per batch of rows) -> one element: the top list.

    Sums the counts of every token over all input dicts (a combine, so each worker
    pre-sums its share), then keeps the ``vocab_size`` best by :func:`rank_key`.  The
    output PCollection has exactly one element, a list of ``(token, count)`` sorted best
    first (empty if there were no tokens), ready for ``beam.pvalue.AsSingleton``.

    Args:
        vocab_size: number of tokens to keep (``<pad>``/``<unk>`` are never kept).
    """

    def __init__(self, vocab_size: int):
        super().__init__()
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        self._vocab_size = vocab_size

    def expand(self, token_counts):
        return token_counts | "SumAndRank" >> beam.CombineGlobally(_TopTokensFn(self._vocab_size))


def vocabulary_from_top(top: list[tuple[str, int]]) -> list[str]:
    """``<pad>``, ``<unk>`` followed by the tokens of a :class:`TopTokens` result."""
    return list(RESERVED) + [t for t, _ in top]
