"""Tiny text datasets on disk, in the exact layout the Beam job writes (for tests).

``write_text_dataset`` writes ``<split>-SSSSS-of-NNNNN.tfrecord`` shards with
:func:`tfrecords.schema.text_example`, a ``vocab.txt`` and a ``metadata.json`` (through
:func:`tfrecords.metadata.write_metadata`, so it is validated like a real one) whose
``splits`` and ``length_histogram`` are computed from the examples written.
"""
from __future__ import annotations

import collections
import os
import random
from typing import Mapping, Sequence

import tensorflow as tf

from tfrecords import metadata as metadata_lib
from tfrecords import schema
from tfrecords.tokenizer import PAD_TOKEN, UNK_TOKEN, TokenizerConfig, write_vocab


def random_examples(
    n: int, *, seed: int = 0, min_len: int = 1, max_len: int = 12, num_classes: int = 4, vocab_size: int = 50
) -> list[tuple[list[int], int]]:
    """``n`` distinct ``(token_ids, label)`` pairs with ids in ``[2, vocab_size)``.

    The first token of example ``i`` is unique to it when ``vocab_size - 2 >= n``; otherwise
    examples are made distinct by rejection, so multisets compare cleanly.
    """
    rng = random.Random(seed)
    examples, seen = [], set()
    while len(examples) < n:
        length = rng.randint(min_len, max_len)
        ids = [rng.randrange(2, vocab_size) for _ in range(length)]
        if tuple(ids) in seen:
            continue
        seen.add(tuple(ids))
        examples.append((ids, rng.randrange(num_classes)))
    return examples


def write_text_dataset(
    data_dir,
    splits: Mapping[str, Sequence[tuple]],
    *,
    num_shards: int | Mapping[str, int] = 2,
    num_classes: int = 4,
    bucket_boundaries: Sequence[int] = (),
    vocab_size: int | None = None,
    with_histogram: bool = True,
    extra_metadata: Mapping | None = None,
) -> dict:
    """Writes a text dataset; returns the metadata written.

    Args:
        data_dir: output folder (created).
        splits: ``{split: [(token_ids, label) or (token_ids, label, text), ...]}``.  Record
            ``i`` of a split gets id ``"<split>:<i>"`` and, unless given, text ``"text <i>"``.
        num_shards: shards per split (an int for all, or per split).  Record ``i`` goes to
            shard ``i % num_shards``.
        num_classes: number of classes (class names ``"class0"``...).
        bucket_boundaries: ``metadata["bucket_boundaries"]``.
        vocab_size: default: largest token id + 1.  ``vocab.txt`` holds ``<pad>``, ``<unk>``,
            ``w2``, ``w3`` ...
        with_histogram: write ``length_histogram`` (per split).
        extra_metadata: keys added to (or overriding) the metadata.

    Returns:
        The metadata dict (as passed to ``write_metadata``).
    """
    data_dir = str(data_dir)
    os.makedirs(data_dir, exist_ok=True)
    if vocab_size is None:
        vocab_size = max([2] + [max(ex[0]) + 1 for examples in splits.values() for ex in examples])
    histograms = {}
    for split, examples in splits.items():
        shards = num_shards if isinstance(num_shards, int) else num_shards[split]
        writers = [
            tf.io.TFRecordWriter(f"{schema.shard_prefix(data_dir, split)}-{s:05d}-of-{shards:05d}{schema.SHARD_SUFFIX}")
            for s in range(shards)
        ]
        for i, example in enumerate(examples):
            ids, label = example[0], example[1]
            text = example[2] if len(example) > 2 else f"text {i}"
            writers[i % shards].write(schema.text_example(ids, label, id=f"{split}:{i}", text=text))
        for writer in writers:
            writer.close()
        histograms[split] = {str(k): v for k, v in sorted(collections.Counter(len(ex[0]) for ex in examples).items())}
    write_vocab(os.path.join(data_dir, "vocab.txt"), [PAD_TOKEN, UNK_TOKEN] + [f"w{i}" for i in range(2, vocab_size)])
    metadata = {
        "dataset": "test_fixture",
        "record_kind": "text",
        "splits": {split: len(examples) for split, examples in splits.items()},
        "rejected": {},
        "class_names": [f"class{i}" for i in range(num_classes)],
        "num_classes": num_classes,
        "vocab_size": vocab_size,
        "pad_id": 0,
        "unk_id": 1,
        "tokenizer": TokenizerConfig().to_dict(),
        "bucket_boundaries": list(bucket_boundaries),
    }
    if with_histogram:
        metadata["length_histogram"] = histograms
    metadata.update(extra_metadata or {})
    metadata_lib.write_metadata(data_dir, metadata)
    return metadata
