"""``input_fn``: text TFRecords -> bucketed, zero-padded ``(token_ids, labels)`` batches.

The tf.data side of the on-disk contract (:mod:`tfrecords.schema`,
:mod:`tfrecords.metadata`).  Records of similar length are batched together with
``tf.data.Dataset.bucket_by_sequence_length``, and each batch is padded with ``<pad>``
(id 0) only to the longest sequence *in that batch*, so a recurrent model spends little
time on padding.

Pipeline, in order::

    list shards (sorted) -> [shard files by input_context] -> [shuffle files]
    -> interleave TFRecordDataset over files -> [shard records by input_context]
    -> [shuffle records] -> parse -> bucket_by_sequence_length
    -> [split each batch across the pipeline's replicas] -> [assert_cardinality]
    -> labels one-hot / sparse -> [repeat] -> prefetch

Example::

    from tfrecords import input_fn
    train = input_fn("out/agnews", "train", batch_size=128, seed=0)
    valid = input_fn("out/agnews", "valid", batch_size=128)
    model.fit(train, validation_data=valid, epochs=10)

    # One tf.distribute pipeline per worker, per-replica batches:
    dist = strategy.distribute_datasets_from_function(
        lambda ctx: input_fn("out/agnews", "train", 128, seed=0, input_context=ctx))
"""
from __future__ import annotations

import math
import os
import re
from typing import Iterable, Mapping, Sequence

import tensorflow as tf

from tfrecords import bucketing, schema
from tfrecords.metadata import METADATA_FILENAME, read_metadata
from tfrecords.tokenizer import PAD_ID

LABEL_MODES = ("one_hot", "sparse")
INCLUDABLE_FIELDS = ("id", "text", "length")

# Files read at once by ``interleave``.  A constant, not the machine's core count: with a
# seed, the order of the records must not depend on the machine the job runs on.
CYCLE_LENGTH = 8

# The tf.data functions here have no Python control flow on tensors: skip AutoGraph's
# source conversion, which costs seconds per trace on a busy machine.
_graph_function = tf.autograph.experimental.do_not_convert

_SHARD_NAME = re.compile(r"-(\d+)-of-(\d+)" + re.escape(schema.SHARD_SUFFIX) + r"$")


def list_shards(data_dir: str, split: str) -> list[str]:
    """The shard files of ``split`` in ``data_dir``, sorted, checked for completeness.

    Args:
        data_dir: folder written by a Beam job (local path or any ``tf.io.gfile`` URL).
        split: split name, e.g. ``"train"``.

    Returns:
        Sorted list of paths ``<data_dir>/<split>-SSSSS-of-NNNNN.tfrecord``.

    Raises:
        FileNotFoundError: no shard of ``split`` in ``data_dir``.
        ValueError: shards from different runs (different ``NNNNN``) or missing shards.
    """
    pattern = schema.shard_pattern(data_dir, split)
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise FileNotFoundError(f"{data_dir}: no shards of split {split!r} (expected files matching {pattern})")
    totals, indices = set(), set()
    for path in files:
        match = _SHARD_NAME.search(path)
        if match is None:  # the glob is looser than the name template
            raise ValueError(f"{path}: not a shard name of the form {split}-SSSSS-of-NNNNN{schema.SHARD_SUFFIX}")
        indices.add(int(match.group(1)))
        totals.add(int(match.group(2)))
    if len(totals) != 1:
        raise ValueError(f"{data_dir}: shards of split {split!r} from different runs (totals {sorted(totals)}); "
                         "clear the folder and run the Beam job again")
    (total,) = totals
    missing = sorted(set(range(total)) - indices)
    if missing or len(files) != total:
        raise ValueError(f"{data_dir}: split {split!r} has {len(files)} of {total} shards; missing shard numbers "
                         f"{missing[:10]}")
    return files


def split_length_histogram(metadata: Mapping, split: str) -> dict[int, int] | None:
    """``metadata["length_histogram"][split]`` with int keys, or None when it is absent."""
    histogram = (metadata.get("length_histogram") or {}).get(split)
    if histogram is None:
        return None
    return {int(length): int(count) for length, count in histogram.items()}


def count_batches(
    length_counts: Mapping[int, int], boundaries: Sequence[int], batch_size: int, *, drop_remainder: bool = False
) -> int:
    """Number of batches ``bucket_by_sequence_length`` makes from one pass over the data.

    Every bucket is batched on its own and ends with at most one partial batch, so the
    count is the sum over buckets of ``ceil(n / batch_size)`` (``floor`` when
    ``drop_remainder``), where ``n`` is the number of examples whose length falls in the
    bucket (length ``L`` goes to the first bucket whose boundary is ``> L``).

    Args:
        length_counts: ``{length: number of examples}`` (keys may be strings, as in JSON).
        boundaries: strictly increasing bucket boundaries (empty: one bucket).
        batch_size: examples per batch.
        drop_remainder: whether partial batches are dropped.

    Returns:
        The number of batches.

    >>> count_batches({2: 3, 5: 4, 9: 1}, [4], batch_size=2)
    5
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    boundaries = _check_boundaries(boundaries)
    in_bucket = [0] * (len(boundaries) + 1)
    for length, count in length_counts.items():
        bucket = sum(1 for b in boundaries if int(length) >= b)
        in_bucket[bucket] += int(count)
    if drop_remainder:
        return sum(n // batch_size for n in in_bucket)
    return sum(math.ceil(n / batch_size) for n in in_bucket)


def _check_boundaries(boundaries: Iterable[int]) -> list[int]:
    boundaries = [int(b) for b in boundaries]
    if any(b < 1 for b in boundaries) or any(a >= b for a, b in zip(boundaries, boundaries[1:])):
        raise ValueError(f"bucket boundaries must be positive and strictly increasing, got {boundaries}")
    return boundaries


def check_batch_size(batch_size) -> None:
    """Raises ValueError unless ``batch_size`` is an int >= 1 (not a bool)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")


def checked_fields(include_fields, allowed) -> tuple[str, ...]:
    """``include_fields`` (a name or names) as a tuple; ValueError unless distinct names among ``allowed``."""
    if isinstance(include_fields, str):
        include_fields = (include_fields,)
    include_fields = tuple(include_fields)
    unknown = [f for f in include_fields if f not in allowed]
    if unknown or len(set(include_fields)) != len(include_fields):
        raise ValueError(f"include_fields must be distinct names among {allowed}, got {include_fields}")
    return include_fields


def input_fn(
    data_dir: str,
    split: str,
    batch_size: int = 128,
    *,
    shuffle: bool | None = None,
    seed: int | None = None,
    repeat: bool = False,
    bucket_boundaries: Sequence[int] | None = None,
    label_mode: str = "one_hot",
    input_context: tf.distribute.InputContext | None = None,
    include_fields: Sequence[str] = (),
    shuffle_buffer: int = 10_000,
    drop_remainder: bool = False,
    num_parallel_calls: int = tf.data.AUTOTUNE,
) -> tf.data.Dataset:
    """Reads a split of a text dataset as bucketed batches for ``model.fit``.

    Batches hold sequences from one length bucket and are zero-padded (``<pad>`` = 0) to
    their own longest sequence (``pad_to_bucket_boundary=False``).

    Order: when ``shuffle`` is False, or a ``seed`` is given, the order of the batches is
    the same on every run (``deterministic=True`` reading and parsing); with a seed the
    files and records are reshuffled every epoch, reproducibly.  With shuffling and no
    seed, reading is allowed to be non-deterministic, which is faster.

    Distribution: with an ``input_context`` (from
    ``strategy.distribute_datasets_from_function``) each input pipeline reads a disjoint
    part of the split and yields per-replica batches of
    ``p = input_context.get_per_replica_batch_size(batch_size)`` examples.

    * Sharding: **by file** (each pipeline reads every ``num_input_pipelines``-th shard)
      when the split has at least as many shards as there are pipelines, otherwise **by
      record** (every pipeline reads all shards in a fixed order and keeps every
      ``num_input_pipelines``-th record).  File sharding can give pipelines unequal numbers
      of examples; use ``repeat=True`` with ``steps_per_epoch`` for multi-worker training.
    * Replicas fed by one pipeline (``k = num_replicas_in_sync / num_input_pipelines``,
      e.g. all GPUs of a ``MirroredStrategy``) take consecutive elements, one each per
      step.  When ``k > 1`` the pipeline buckets ``k * p`` examples at a time, pads them to
      their longest sequence and splits them into ``k`` per-replica batches of ``p``
      (partial batches as evenly as possible; a replica may get an empty batch at the
      end of an epoch).  So the replicas of one step share one padded length, drawn from
      one bucket: a synchronous step waits for its longest replica anyway, and Keras 3's
      ``model.fit`` requires replicas' first batches to agree in shape
      (keras-team/keras#19246).  The per-replica batch is then padded to the longest
      sequence of its step rather than its own.

    Cardinality: without ``repeat`` and without sharding (one input pipeline), the exact
    number of batches is
    computed from ``metadata["length_histogram"][split]`` (:func:`count_batches`) and
    declared with ``tf.data.experimental.assert_cardinality``, so ``len(dataset)`` works and
    a histogram that disagrees with the records raises an error at the end of the epoch.
    With ``repeat`` it is infinite; with sharding it is unknown.

    Records are checked while read: a label outside ``[0, num_classes)`` or a token id
    outside ``[1, vocab_size)`` raises ``InvalidArgumentError`` naming the record's ``id``.

    Args:
        data_dir: folder holding ``metadata.json`` and the split's shards.
        split: split name listed in ``metadata["splits"]`` (e.g. "train", "valid", "test").
        batch_size: examples per batch; the global batch size (over all replicas) when
            ``input_context`` is given.
        shuffle: shuffle files and records; default True for "train" only.
        seed: seed for shuffling; also makes the order reproducible.
        repeat: repeat the data forever (reshuffled every epoch when shuffling).
        bucket_boundaries: length bucket boundaries (a sequence of length ``L`` goes to the
            first bucket whose boundary is ``> L``); default ``metadata["bucket_boundaries"]``;
            ``[]`` means one bucket (plain padded batches).
        label_mode: "one_hot" (float32 ``[B, num_classes]``) or "sparse" (int32 ``[B]``).
        input_context: a ``tf.distribute.InputContext``, or None.
        include_fields: extra record fields among "id", "text" (tf.string ``[B]``) and
            "length" (int32 ``[B]``); when given, inputs become a dict
            ``{"token_ids": ..., <field>: ...}``.
        shuffle_buffer: records in the shuffle buffer.
        drop_remainder: drop each bucket's last partial batch.
        num_parallel_calls: parallelism of reading and parsing.

    Returns:
        A ``tf.data.Dataset`` of ``(token_ids, labels)`` (or ``(dict, labels)`` with
        ``include_fields``); ``token_ids`` is int32 ``[B, T]``, ``T`` the batch's longest
        sequence.

    Raises:
        FileNotFoundError: no ``metadata.json`` or no shards of ``split``.
        ValueError: unknown split / label_mode / field, ``batch_size < 1``, a window
            dataset, bad bucket boundaries, or a histogram that disagrees with the split size.
    """
    check_batch_size(batch_size)
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {LABEL_MODES}, got {label_mode!r}")
    include_fields = checked_fields(include_fields, INCLUDABLE_FIELDS)
    if shuffle_buffer < 1:
        raise ValueError(f"shuffle_buffer must be >= 1, got {shuffle_buffer}")

    metadata = read_metadata(data_dir)
    source = os.path.join(data_dir, METADATA_FILENAME)
    if metadata["record_kind"] != "text":
        raise ValueError(f"{source}: record_kind is {metadata['record_kind']!r}; input_fn reads text records "
                         "(use tfrecords.window_input_fn for window records)")
    if split not in metadata["splits"]:
        raise ValueError(f"{source}: unknown split {split!r}; this dataset has {sorted(metadata['splits'])}")
    num_classes = int(metadata["num_classes"])
    vocab_size = int(metadata["vocab_size"])
    if bucket_boundaries is None:
        bucket_boundaries = metadata["bucket_boundaries"]
    boundaries = _check_boundaries(bucket_boundaries)
    histogram = split_length_histogram(metadata, split)
    if histogram is not None and sum(histogram.values()) != int(metadata["splits"][split]):
        raise ValueError(f"{source}: length_histogram[{split!r}] counts {sum(histogram.values())} records but "
                         f"splits[{split!r}] says {metadata['splits'][split]}")
    if shuffle is None:
        shuffle = split == "train"

    if input_context is not None:
        per_replica = input_context.get_per_replica_batch_size(batch_size)
        num_pipelines = input_context.num_input_pipelines
        pipeline_id = input_context.input_pipeline_id
        replicas_per_pipeline = max(1, input_context.num_replicas_in_sync // num_pipelines)
    else:
        per_replica, num_pipelines, pipeline_id, replicas_per_pipeline = batch_size, 1, 0, 1
    # Examples bucketed into one batch before the split across this pipeline's replicas.
    pipeline_batch = per_replica * replicas_per_pipeline

    files = list_shards(data_dir, split)
    shard_by_file = num_pipelines > 1 and len(files) >= num_pipelines
    shard_by_record = num_pipelines > 1 and not shard_by_file
    # Record sharding needs the same record order in every pipeline.
    deterministic = (not shuffle) or seed is not None or shard_by_record

    ds = tf.data.Dataset.from_tensor_slices(files)
    if shard_by_file:
        ds = ds.shard(num_pipelines, pipeline_id)
    if shuffle and not shard_by_record:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    ds = ds.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), CYCLE_LENGTH),
        block_length=1,
        num_parallel_calls=num_parallel_calls,
        deterministic=deterministic,
    )
    if shard_by_record:
        ds = ds.shard(num_pipelines, pipeline_id)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)

    @_graph_function
    def parse(serialized):
        record = schema.parse_text_example(serialized)
        token_ids, label, record_id = record["token_ids"], record["label"], record["id"]
        checks = [
            tf.debugging.Assert(tf.size(token_ids) > 0, [f"{split}: empty token_ids in record", record_id]),
            tf.debugging.Assert(
                (label >= 0) & (label < num_classes),
                [f"{split}: label outside [0, {num_classes}) in record", record_id, "label", label],
            ),
            tf.debugging.Assert(
                tf.reduce_all((token_ids > PAD_ID) & (token_ids < vocab_size)),
                [f"{split}: token id outside [1, vocab_size {vocab_size}) in record", record_id],
            ),
        ]
        with tf.control_dependencies(checks):
            element = {"token_ids": tf.cast(token_ids, tf.int32), "label": tf.cast(label, tf.int32)}
        for field in include_fields:
            element[field] = tf.cast(record[field], tf.int32) if field == "length" else record[field]
        return element

    ds = ds.map(parse, num_parallel_calls=num_parallel_calls, deterministic=deterministic)

    padding_values = {name: (tf.constant("", tf.string) if name in ("id", "text") else tf.constant(0, tf.int32))
                      for name in ds.element_spec}
    padding_values["token_ids"] = tf.constant(PAD_ID, tf.int32)
    ds = ds.bucket_by_sequence_length(
        element_length_func=lambda element: tf.shape(element["token_ids"])[0],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=bucketing.bucket_batch_sizes(boundaries, pipeline_batch),
        padding_values=padding_values,
        pad_to_bucket_boundary=False,
        drop_remainder=drop_remainder,
    )
    if replicas_per_pipeline > 1:
        ds = ds.flat_map(lambda batch: _split_batch(batch, replicas_per_pipeline))

    if histogram is not None and num_pipelines == 1:
        n = count_batches(histogram, boundaries, pipeline_batch, drop_remainder=drop_remainder)
        ds = ds.apply(tf.data.experimental.assert_cardinality(n * replicas_per_pipeline))

    @_graph_function
    def to_model_inputs(batch):
        labels = batch.pop("label")
        if label_mode == "one_hot":
            labels = tf.one_hot(labels, num_classes, dtype=tf.float32)
        inputs = batch if include_fields else batch["token_ids"]
        return inputs, labels

    ds = ds.map(to_model_inputs, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
    if repeat:
        ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)


def _split_batch(batch: dict, parts: int) -> tf.data.Dataset:
    """A batch of ``b`` examples -> ``parts`` consecutive slices of sizes differing by <= 1.

    Slices keep the batch's padded length; with ``b < parts`` some slices are empty.
    """
    size = tf.shape(batch["token_ids"])[0]
    starts = (tf.range(parts + 1) * size) // parts
    return tf.data.Dataset.range(parts).map(
        lambda i: tf.nest.map_structure(lambda t: t[starts[i]:starts[i + 1]], batch)
    )


def make_text_dataset(
    texts: Sequence[str] | tf.Tensor,
    labels: Sequence[int] | None,
    encoder,
    batch_size: int = 128,
    *,
    num_classes: int | None = None,
    label_mode: str = "one_hot",
) -> tf.data.Dataset:
    """Raw texts -> batches of token ids, in the given order (for prediction and serving).

    Texts are tokenized inside the pipeline with ``encoder`` (e.g. from
    :func:`tfrecords.tokenizer.encoder_from_metadata`) and each batch is padded with 0 to its
    own longest text.  No bucketing or shuffling, so outputs line up with ``texts``.  A text
    with no tokens becomes a row of padding.

    Args:
        texts: raw strings.
        labels: 0-based class indices, or None for inputs only.
        encoder: object with ``encode(1-D string tensor) -> tf.RaggedTensor`` of ids.
        batch_size: examples per batch.
        num_classes: needed for ``label_mode="one_hot"`` when ``labels`` are given.
        label_mode: "one_hot" (float32 ``[B, num_classes]``) or "sparse" (int32 ``[B]``).

    Returns:
        A ``tf.data.Dataset`` of int32 ``token_ids [B, T]``, or ``(token_ids, labels)``.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {LABEL_MODES}, got {label_mode!r}")
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    if texts.shape.rank != 1:
        raise ValueError(f"texts must be a 1-D list of strings, got shape {texts.shape}")

    @_graph_function
    def encode(batch_texts):
        return tf.cast(encoder.encode(batch_texts).to_tensor(default_value=PAD_ID), tf.int32)

    if labels is None:
        return tf.data.Dataset.from_tensor_slices(texts).batch(batch_size).map(encode).prefetch(tf.data.AUTOTUNE)
    labels = tf.convert_to_tensor(labels, dtype=tf.int32)
    if labels.shape != texts.shape:
        raise ValueError(f"{texts.shape[0]} texts but labels of shape {labels.shape}")
    if label_mode == "one_hot":
        if num_classes is None:
            raise ValueError('num_classes is needed for label_mode="one_hot"')
        if labels.shape[0] and (int(tf.reduce_min(labels)) < 0 or int(tf.reduce_max(labels)) >= num_classes):
            raise ValueError(f"labels must lie in [0, {num_classes})")

    @_graph_function
    def encode_with_labels(batch_texts, batch_labels):
        if label_mode == "one_hot":
            batch_labels = tf.one_hot(batch_labels, num_classes, dtype=tf.float32)
        return encode(batch_texts), batch_labels

    ds = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(batch_size)
    return ds.map(encode_with_labels).prefetch(tf.data.AUTOTUNE)
