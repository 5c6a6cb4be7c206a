"""tfrecords.schema (record writers and parsers) and tfrecords.metadata (metadata.json)."""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tfrecords import metadata as metadata_lib
from tfrecords import schema


def test_text_example_round_trip():
    serialized = schema.text_example([5, 3, 9, 3], 2, id="train.csv:17", text="Oil #36;50 – çafé")
    parsed = schema.parse_text_example(tf.constant(serialized))
    assert set(parsed) == set(schema.TEXT_FEATURES)
    assert parsed["token_ids"].dtype == tf.int64 and parsed["token_ids"].numpy().tolist() == [5, 3, 9, 3]
    assert int(parsed["label"]) == 2 and int(parsed["length"]) == 4
    assert parsed["id"].numpy().decode() == "train.csv:17"
    assert parsed["text"].numpy().decode("utf-8") == "Oil #36;50 – çafé"


def test_text_examples_parse_as_a_ragged_batch():
    batch = [schema.text_example([1, 2, 3], 0, id="a"), schema.text_example([7], 3, id="b")]
    parsed = schema.parse_text_examples(tf.constant(batch))
    assert isinstance(parsed["token_ids"], tf.RaggedTensor)
    assert parsed["token_ids"].to_list() == [[1, 2, 3], [7]]
    assert parsed["label"].numpy().tolist() == [0, 3] and parsed["length"].numpy().tolist() == [3, 1]
    assert [s.decode() for s in parsed["id"].numpy()] == ["a", "b"]
    # Records written without id/text parse with the empty defaults.
    assert parsed["text"].numpy().tolist() == [b"", b""]


@pytest.mark.parametrize("ids,label,message", [
    ([], 0, "token_ids is empty"),
    ([3, 0, 4], 0, r"token ids must be >= 1 \(0 is <pad>\)"),
    ([3, -2], 0, "token ids must be >= 1"),
    ([3], -1, "label must be >= 0"),
])
def test_text_example_rejects_bad_records(ids, label, message):
    with pytest.raises(ValueError, match=rf"record 'row:9': {message}"):
        schema.text_example(ids, label, id="row:9")


def test_window_example_round_trip():
    window = [0.125, 0.5, 0.25, 1.0, 0.0]
    serialized = schema.window_example(window, 0.75, 1, 0.5, date="2018-01-02", ticker="AAPL")
    parsed = schema.parse_window_example(tf.constant(serialized), window_size=5)
    np.testing.assert_array_equal(parsed["window"].numpy(), np.array(window, np.float32))
    assert parsed["window"].dtype == tf.float32 and parsed["window"].shape == (5,)
    assert float(parsed["target"]) == 0.75 and float(parsed["prev_close"]) == 0.5
    assert int(parsed["direction"]) == 1
    assert parsed["date"].numpy() == b"2018-01-02" and parsed["ticker"].numpy() == b"AAPL"
    # A window of the wrong size does not parse silently.
    with pytest.raises(tf.errors.InvalidArgumentError):
        schema.parse_window_example(tf.constant(serialized), window_size=60)


def test_window_example_errors():
    with pytest.raises(ValueError, match="MSFT 2018-03-01: direction must be 0 or 1, got 2"):
        schema.window_example([0.1], 0.2, 2, 0.1, date="2018-03-01", ticker="MSFT")
    with pytest.raises(ValueError, match="window_size must be >= 1"):
        schema.window_feature_spec(0)


def test_shard_names():
    assert schema.shard_prefix("gs://bucket/out/", "train") == "gs://bucket/out/train"
    assert schema.shard_pattern("/data/agnews", "valid") == "/data/agnews/valid-*-of-*.tfrecord"
    assert tf.io.gfile.glob(schema.shard_pattern("/nonexistent-dir", "train")) == []


def text_metadata(**overrides):
    metadata = {
        "dataset": "ag_news", "record_kind": "text", "splits": {"train": 3},
        "class_names": ["World", "Sports"], "num_classes": 2, "vocab_size": 10, "pad_id": 0, "unk_id": 1,
        "tokenizer": {"kind": "word"}, "bucket_boundaries": [4],
        "length_histogram": {"train": {"2": 1, "5": 2}},
    }
    metadata.update(overrides)
    return metadata


def test_metadata_round_trip(tmp_path):
    path = metadata_lib.write_metadata(str(tmp_path / "out"), text_metadata())
    assert path == str(tmp_path / "out" / "metadata.json")
    read = metadata_lib.read_metadata(str(tmp_path / "out"))
    assert read["format_version"] == metadata_lib.FORMAT_VERSION and "created" in read
    assert {k: read[k] for k in text_metadata()} == text_metadata()
    assert json.loads(open(path).read()) == read


@pytest.mark.parametrize("record_kind,drop,missing", [
    ("text", ["vocab_size", "tokenizer"], ["vocab_size", "tokenizer"]),
    ("text", ["splits"], ["splits"]),
    ("window", ["scaler"], ["scaler"]),
])
def test_metadata_missing_keys(tmp_path, record_kind, drop, missing):
    if record_kind == "text":
        metadata = text_metadata()
    else:
        metadata = {"dataset": "stocks", "record_kind": "window", "splits": {"train": 1}, "window_size": 60,
                    "scaler": {}}
    for key in drop:
        del metadata[key]
    with pytest.raises(ValueError, match=rf"missing keys \[{', '.join(repr(k) for k in missing)}\]"):
        metadata_lib.write_metadata(str(tmp_path), metadata)
    # The same check on read names the file.
    metadata["format_version"] = metadata_lib.FORMAT_VERSION
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match=rf"{tmp_path / 'metadata.json'}: missing keys"):
        metadata_lib.read_metadata(str(tmp_path))


def test_metadata_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path / 'metadata.json'} not found: run the Beam job"):
        metadata_lib.read_metadata(str(tmp_path))
    (tmp_path / "metadata.json").write_text("{not json")
    with pytest.raises(ValueError, match="metadata.json: not valid JSON"):
        metadata_lib.read_metadata(str(tmp_path))
    (tmp_path / "metadata.json").write_text(json.dumps(dict(text_metadata(), format_version=99)))
    with pytest.raises(ValueError, match="format_version 99"):
        metadata_lib.read_metadata(str(tmp_path))
    with pytest.raises(ValueError, match="unknown record_kind 'audio'"):
        metadata_lib.validate_metadata(text_metadata(record_kind="audio", format_version=1))


def test_describe_input_checksums(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 5)  # more than one read chunk
    path = tmp_path / "train.csv"
    path.write_bytes(data)
    described = metadata_lib.describe_input(str(path))
    assert described == {"path": str(path), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert metadata_lib.sha256_of_file(str(path), chunk_size=1000) == hashlib.sha256(data).hexdigest()
