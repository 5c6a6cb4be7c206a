"""``window_input_fn``: fixed-length stock window TFRecords -> ``(window, target)`` batches.

The tf.data side of the window records written by ``python -m pipelines.stocks``
(:func:`tfrecords.schema.window_example`).  Every record has the same length
(``metadata["window_size"]``), so batches are plain ``batch`` calls, no padding.

Order: the job writes one shard per ticker per split, numbered in sorted ticker order, with
each shard's records sorted by date.  The shards are read one after another in name order,
so without shuffling the records come sorted by ticker then date, the same on every run.

Example::

    from tfrecords.window_input_fn import window_input_fn
    train = window_input_fn("out/stocks", "train", 30, seed=0)          # shuffled
    test = window_input_fn("out/stocks", "test", 30)                    # ticker, date order
    model.fit(train, epochs=100)

    # Dates, tickers and the previous close for reports and baselines:
    test = window_input_fn("out/stocks", "test", include_fields=("date", "ticker", "prev_close"))
    for features, target in test:
        features["window"], features["date"], target
"""
from __future__ import annotations

import math
import os
from typing import Sequence

import tensorflow as tf

from tfrecords import schema
from tfrecords.input_fn import check_batch_size, checked_fields, list_shards
from tfrecords.metadata import METADATA_FILENAME, read_metadata

TARGETS = ("price", "direction")
INCLUDABLE_FIELDS = ("date", "ticker", "prev_close", "direction", "target")
# Whole-split shuffling up to this many records (stock splits are small).
MAX_SHUFFLE_BUFFER = 100_000


def window_input_fn(
    data_dir: str,
    split: str,
    batch_size: int = 30,
    *,
    target: str = "price",
    shuffle: bool | None = None,
    seed: int | None = None,
    repeat: bool = False,
    include_fields: Sequence[str] = (),
    input_context: tf.distribute.InputContext | None = None,
) -> tf.data.Dataset:
    """Reads a split of a window dataset as batches for ``model.fit`` / ``predict``.

    Args:
        data_dir: folder holding ``metadata.json`` (``record_kind`` "window") and the shards.
        split: a split listed in ``metadata["splits"]`` ("train", "test").
        batch_size: windows per batch (the last batch may be smaller); the global batch size
            when ``input_context`` is given.
        target: ``"price"``: the target day's scaled close; ``"direction"``: 1.0 if it is above
            the previous close, else 0.0.
        shuffle: shuffle the records (the whole split, up to 100,000 records, reshuffled every
            epoch); default True for "train" only.  Without shuffling the order is ticker then
            date.
        seed: shuffle seed (makes the shuffled order reproducible).
        repeat: repeat forever.
        include_fields: extra record fields among "date", "ticker" (tf.string ``[B]``),
            "prev_close", "target" (float32 ``[B]``, scaled) and "direction" (int32 ``[B]``);
            when given, inputs become a dict ``{"window": ..., <field>: ...}``.
        input_context: a ``tf.distribute.InputContext``; each input pipeline keeps every
            ``num_input_pipelines``-th record (sharding by record, in the fixed read order)
            and batches ``get_per_replica_batch_size(batch_size)`` windows.

    Returns:
        A ``tf.data.Dataset`` of ``(window, target)``: window float32 ``[B, window_size, 1]``
        (oldest day first), target float32 ``[B, 1]``; or ``({"window": ..., ...}, target)``
        with ``include_fields``.  Without ``repeat`` or sharding its cardinality is
        ``ceil(records / batch_size)`` (from ``metadata["splits"]``), so ``len()`` works.

    Raises:
        FileNotFoundError: no ``metadata.json`` or no shards.
        ValueError: a text dataset, unknown split / target / field, ``batch_size < 1``, or an
            incomplete set of shards.
    """
    check_batch_size(batch_size)
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    include_fields = checked_fields(include_fields, INCLUDABLE_FIELDS)

    metadata = read_metadata(data_dir)
    source = os.path.join(data_dir, METADATA_FILENAME)
    if metadata["record_kind"] != "window":
        raise ValueError(f"{source}: record_kind is {metadata['record_kind']!r}; window_input_fn reads window records "
                         "(use tfrecords.input_fn for text records)")
    if split not in metadata["splits"]:
        raise ValueError(f"{source}: unknown split {split!r}; this dataset has {sorted(metadata['splits'])}")
    window_size = int(metadata["window_size"])
    num_records = int(metadata["splits"][split])
    if shuffle is None:
        shuffle = split == "train"

    num_pipelines, pipeline_id = 1, 0
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        num_pipelines, pipeline_id = input_context.num_input_pipelines, input_context.input_pipeline_id

    files = list_shards(data_dir, split)  # sorted by name, checked to be one complete set
    ds = tf.data.TFRecordDataset(files)  # one file after another: ticker, then date order
    if num_pipelines > 1:
        ds = ds.shard(num_pipelines, pipeline_id)
    if shuffle:
        ds = ds.shuffle(max(1, min(num_records, MAX_SHUFFLE_BUFFER)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if num_pipelines == 1:
        ds = ds.apply(tf.data.experimental.assert_cardinality(math.ceil(num_records / batch_size)))
    spec = schema.window_feature_spec(window_size)

    def parse(serialized):
        record = tf.io.parse_example(serialized, spec)
        window = tf.expand_dims(record["window"], -1)
        if target == "price":
            y = record["target"]
        else:
            y = tf.cast(record["direction"], tf.float32)
        y = tf.expand_dims(y, -1)
        if not include_fields:
            return window, y
        features = {"window": window}
        for field in include_fields:
            value = record[field]
            features[field] = tf.cast(value, tf.int32) if field == "direction" else value
        return features, y

    ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if repeat:
        ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)
