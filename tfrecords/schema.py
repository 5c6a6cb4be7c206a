"""Feature specs of the on-disk records: one definition used for writing and parsing.

Two kinds of record:

* **text** (AG News, word or subword ids)::

    token_ids  int64[n]   variable length, 0 (<pad>) never occurs inside a record
    label      int64      0-based class index (AG News class - 1)
    length     int64      n
    id         bytes      "<file>:<line>" of the source row
    text       bytes      the raw title and description, for reports

* **window** (stock prices, fixed length ``window_size``)::

    window     float32[window_size]  scaled closes of the previous days, oldest first
    target     float32               scaled close of the target day
    direction  int64                 1 if target close > previous day's close, else 0
    prev_close float32               scaled close of the day before the target
    date       bytes                 target date, ISO "YYYY-MM-DD"
    ticker     bytes

The writers (:func:`text_example`, :func:`window_example`) live here too, so a change of
schema is one edit.  Parsing helpers return plain dicts of tensors for tf.data.
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

TEXT_FEATURES = ("token_ids", "label", "length", "id", "text")
WINDOW_FEATURES = ("window", "target", "direction", "prev_close", "date", "ticker")

SHARD_SUFFIX = ".tfrecord"


def text_feature_spec() -> dict:
    """Parsing spec for text records (``token_ids`` parses to a ``tf.RaggedTensor``)."""
    return {
        "token_ids": tf.io.RaggedFeature(dtype=tf.int64, value_key="token_ids"),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "length": tf.io.FixedLenFeature([], tf.int64),
        "id": tf.io.FixedLenFeature([], tf.string, default_value=""),
        "text": tf.io.FixedLenFeature([], tf.string, default_value=""),
    }


def window_feature_spec(window_size: int) -> dict:
    """Parsing spec for stock windows of ``window_size`` days."""
    if window_size < 1:
        raise ValueError(f"window_size must be >= 1, got {window_size}")
    return {
        "window": tf.io.FixedLenFeature([window_size], tf.float32),
        "target": tf.io.FixedLenFeature([], tf.float32),
        "direction": tf.io.FixedLenFeature([], tf.int64),
        "prev_close": tf.io.FixedLenFeature([], tf.float32),
        "date": tf.io.FixedLenFeature([], tf.string),
        "ticker": tf.io.FixedLenFeature([], tf.string),
    }


def _int64(values: Sequence[int]) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _float(values: Sequence[float]) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def _bytes(value: str | bytes) -> tf.train.Feature:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def text_example(token_ids: Sequence[int], label: int, *, id: str = "", text: str = "") -> bytes:
    """Serializes one text record.  ``token_ids`` must be non-empty and free of 0 (pad)."""
    token_ids = [int(t) for t in token_ids]
    if not token_ids:
        raise ValueError(f"record {id!r}: token_ids is empty")
    if min(token_ids) <= 0:
        raise ValueError(f"record {id!r}: token ids must be >= 1 (0 is <pad>)")
    if int(label) < 0:
        raise ValueError(f"record {id!r}: label must be >= 0, got {label}")
    features = {
        "token_ids": _int64(token_ids),
        "label": _int64([int(label)]),
        "length": _int64([len(token_ids)]),
        "id": _bytes(id),
        "text": _bytes(text),
    }
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def window_example(
    window: Sequence[float], target: float, direction: int, prev_close: float, *, date: str, ticker: str
) -> bytes:
    """Serializes one stock window record."""
    if int(direction) not in (0, 1):
        raise ValueError(f"{ticker} {date}: direction must be 0 or 1, got {direction}")
    features = {
        "window": _float([float(v) for v in window]),
        "target": _float([float(target)]),
        "direction": _int64([int(direction)]),
        "prev_close": _float([float(prev_close)]),
        "date": _bytes(date),
        "ticker": _bytes(ticker),
    }
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def parse_text_examples(serialized: tf.Tensor) -> dict:
    """Parses a batch (1-D) of serialized text records."""
    return tf.io.parse_example(serialized, text_feature_spec())


def parse_text_example(serialized: tf.Tensor) -> dict:
    """Parses one serialized text record (``token_ids`` becomes a dense 1-D tensor)."""
    parsed = tf.io.parse_single_example(serialized, text_feature_spec())
    if isinstance(parsed["token_ids"], tf.RaggedTensor):
        parsed["token_ids"] = parsed["token_ids"].flat_values
    return parsed


def parse_window_example(serialized: tf.Tensor, window_size: int) -> dict:
    """Parses one serialized stock window record."""
    return tf.io.parse_single_example(serialized, window_feature_spec(window_size))


def shard_prefix(data_dir: str, split: str) -> str:
    """Path prefix that the Beam job passes to WriteToTFRecord for ``split``."""
    return f"{data_dir.rstrip('/')}/{split}"


def shard_pattern(data_dir: str, split: str) -> str:
    """Glob matching every shard of ``split`` (``train-00000-of-00004.tfrecord`` ...)."""
    return f"{shard_prefix(data_dir, split)}-*-of-*{SHARD_SUFFIX}"
