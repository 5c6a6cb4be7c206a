"""``metadata.json``: everything a later step needs, written by a Beam job, read by all after it.

Common keys (every dataset)::

    format_version   int
    dataset          "ag_news" | "stocks"
    record_kind      "text" | "window"
    splits           {split: number of records written}
    rejected         {split or file: number of rows rejected}
    inputs           {file name: {"path": ..., "sha256": ..., "bytes": ...}}
    options          the command-line options the job ran with
    created          ISO timestamp

Text datasets add: ``class_names``, ``num_classes``, ``vocab_size``, ``pad_id``, ``unk_id``,
``tokenizer`` (a :class:`tfrecords.tokenizer.TokenizerConfig` dict), ``length_histogram``
(per split, ``{length: count}``), ``length_stats``, ``bucket_boundaries``, ``embedding``
(``{"source", "dim", "file", "coverage"...}``).

Window datasets add: ``window_size``, ``tickers``, ``scaler`` (per ticker ``min``/``max``),
``date_ranges``, ``test_history``.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os

import tensorflow as tf

METADATA_FILENAME = "metadata.json"
FORMAT_VERSION = 1

_REQUIRED = ("format_version", "dataset", "record_kind", "splits")
_REQUIRED_TEXT = ("class_names", "num_classes", "vocab_size", "pad_id", "unk_id", "tokenizer", "bucket_boundaries")
_REQUIRED_WINDOW = ("window_size", "scaler")


def sha256_of_file(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a (local or GCS) file, read in chunks."""
    digest = hashlib.sha256()
    with tf.io.gfile.GFile(path, "rb") as f:
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def describe_input(path: str) -> dict:
    """The ``inputs`` entry of one input file: path, size and sha256."""
    return {"path": path, "bytes": tf.io.gfile.stat(path).length, "sha256": sha256_of_file(path)}


def validate_metadata(metadata: dict, source: str = "metadata") -> dict:
    """Raises ValueError naming the missing keys; returns ``metadata``."""
    missing = [k for k in _REQUIRED if k not in metadata]
    kind = metadata.get("record_kind")
    if kind == "text":
        missing += [k for k in _REQUIRED_TEXT if k not in metadata]
    elif kind == "window":
        missing += [k for k in _REQUIRED_WINDOW if k not in metadata]
    elif "record_kind" in metadata:
        raise ValueError(f"{source}: unknown record_kind {kind!r}")
    if missing:
        raise ValueError(f"{source}: missing keys {missing}")
    if metadata["format_version"] != FORMAT_VERSION:
        raise ValueError(f"{source}: format_version {metadata['format_version']} (this code reads {FORMAT_VERSION})")
    return metadata


def write_metadata(data_dir: str, metadata: dict) -> str:
    """Validates and writes ``data_dir/metadata.json``; returns its path."""
    metadata = dict(metadata)
    metadata.setdefault("format_version", FORMAT_VERSION)
    metadata.setdefault("created", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    validate_metadata(metadata)
    path = os.path.join(data_dir, METADATA_FILENAME)
    tf.io.gfile.makedirs(data_dir)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return path


def read_metadata(data_dir: str) -> dict:
    """Reads and validates ``data_dir/metadata.json`` (clear error if absent)."""
    path = os.path.join(data_dir, METADATA_FILENAME)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"{path} not found: run the Beam job (python -m pipelines.agnews / pipelines.stocks) first")
    with tf.io.gfile.GFile(path, "r") as f:
        try:
            metadata = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from e
    return validate_metadata(metadata, source=path)
