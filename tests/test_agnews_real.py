"""The AG News job over the real data (``$RNN_DATA_DIR/ag_news``): official test set + 43,792 train rows."""
from __future__ import annotations

import glob
import hashlib
import os

import numpy as np
import pytest
import tensorflow as tf

from pipelines import agnews
from pipelines.agnews_download import OFFICIAL_TEST_SHA256
from pipelines.dead_letter import read_rejected
from tfrecords import schema
from tfrecords.tokenizer import read_vocab

TRAIN_ROWS = 43_792  # train_partial.csv (PROVENANCE.md)
TEST_ROWS = 7_600


@pytest.mark.slow
def test_full_run_over_the_real_data(real_data_dir, tmp_path):
    data = real_data_dir / "ag_news"
    out = tmp_path / "out"
    meta = agnews.run(["--input_dir", str(data), "--train_file", "train_partial.csv", "--output_dir", str(out)])

    # Every row read; the real data has no bad row, so everything is written.
    assert meta["read"]["train"] + meta["read"]["valid"] == TRAIN_ROWS
    assert meta["read"]["test"] == TEST_ROWS
    for split in ("train", "valid", "test"):
        assert meta["read"][split] == meta["splits"][split] + meta["rejected"][split]
        assert meta["rejected"][split] == 0
    assert read_rejected(str(out)) == []
    # About 1/12 of the training rows go to validation (4 binomial sd: +-230).
    assert abs(meta["splits"]["valid"] - TRAIN_ROWS / 12) < 4 * (TRAIN_ROWS / 12 * 11 / 12) ** 0.5

    # Shards parse with the contract and hold exactly the counted records, labels 0..3 balanced.
    for split in ("train", "valid", "test"):
        files = sorted(glob.glob(schema.shard_pattern(str(out), split)))
        labels = np.zeros(4, int)
        n = 0
        for serialized in tf.data.TFRecordDataset(files).batch(2048):
            parsed = schema.parse_text_examples(serialized)
            labels += np.bincount(parsed["label"].numpy(), minlength=4)
            assert (parsed["token_ids"].flat_values.numpy() >= 1).all()
            assert (parsed["token_ids"].flat_values.numpy() < meta["vocab_size"]).all()
            n += int(parsed["label"].shape[0])
        assert n == meta["splits"][split]
        if split == "test":
            assert labels.tolist() == [1900] * 4  # the official test set is balanced
    assert len(glob.glob(schema.shard_pattern(str(out), "train"))) == 4

    vocab = read_vocab(str(out / "vocab.txt"))
    assert len(vocab) == meta["vocab_size"] == 10_002
    assert "the" in vocab[2:6] and "reuters" in vocab[:200]
    matrix = np.load(out / "embedding.npy")
    assert matrix.shape == (10_002, 50) and matrix.dtype == np.float32
    assert not matrix[0].any()
    cov = meta["embedding"]["coverage"]
    assert cov["vocab_share"] > 0.95 and cov["token_share"] > 0.99 and cov["token_share_all"] > 0.9
    assert cov["train_tokens"] > 40 * meta["splits"]["train"]

    assert meta["class_names"] == ["World", "Sports", "Business", "Sci/Tech"]
    assert meta["inputs"]["test.csv"]["sha256"] == OFFICIAL_TEST_SHA256
    with open(data / "train_partial.csv", "rb") as f:
        assert meta["inputs"]["train_partial.csv"]["sha256"] == hashlib.sha256(f.read()).hexdigest()
    for key in ("length_histogram", "length_stats", "bucket_boundaries", "tokenizer", "embedding", "options"):
        assert key in meta
    assert sum(meta["length_histogram"]["train"].values()) == meta["splits"]["train"]
    assert 30 < meta["length_stats"]["train"]["mean"] < 60
    assert meta["bucket_boundaries"] == sorted(set(meta["bucket_boundaries"])) and len(meta["bucket_boundaries"]) > 5
    assert not os.path.exists(out / "_work")
