"""window_input_fn on window shards written here by hand (independent of the Beam job)."""
import numpy as np
import pytest
import tensorflow as tf

from tfrecords.metadata import write_metadata
from tfrecords.schema import window_example
from tfrecords.window_input_fn import window_input_fn

W = 4


def make_dataset(tmp_path, per_ticker=(("AAA", 5), ("BBB", 6)), split="train"):
    """Shard i holds ticker i; record k of a ticker has window [k, k+1, ...] / 100 + ticker offset."""
    out = tmp_path / "ds"
    out.mkdir(exist_ok=True)
    n = len(per_ticker)
    expected = []
    for i, (ticker, count) in enumerate(per_ticker):
        with tf.io.TFRecordWriter(str(out / f"{split}-{i:05d}-of-{n:05d}.tfrecord")) as w:
            for k in range(count):
                base = 10 * i + k
                window = [(base + j) / 100 for j in range(W)]
                target = (base + W) / 100
                date = f"2020-01-{k + 1:02d}"
                w.write(window_example(window, target, k % 2, window[-1], date=date, ticker=ticker))
                expected.append((ticker, date, window, target, k % 2))
    write_metadata(str(out), {"dataset": "stocks", "record_kind": "window", "splits": {split: len(expected)},
                              "window_size": W, "scaler": {}})
    return out, expected


def collect(ds):
    got = []
    for x, y in ds.as_numpy_iterator():
        for i in range(y.shape[0]):
            got.append((x["ticker"][i].decode(), x["date"][i].decode(), x["window"][i, :, 0].tolist(), float(y[i, 0])))
    return got


def test_shapes_dtypes_and_order(tmp_path):
    out, expected = make_dataset(tmp_path)
    ds = window_input_fn(str(out), "train", batch_size=4, shuffle=False)
    assert len(ds) == 3  # ceil(11 / 4)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(4, W, 1), (4, W, 1), (3, W, 1)]
    assert all(b[0].dtype == np.float32 and b[1].dtype == np.float32 and b[1].shape[1] == 1 for b in batches)
    windows = np.concatenate([b[0][:, :, 0] for b in batches])
    targets = np.concatenate([b[1][:, 0] for b in batches])
    np.testing.assert_allclose(windows, [e[2] for e in expected], rtol=1e-6)
    np.testing.assert_allclose(targets, [e[3] for e in expected], rtol=1e-6)


def test_direction_target_and_include_fields(tmp_path):
    out, expected = make_dataset(tmp_path)
    ds = window_input_fn(str(out), "train", batch_size=16, target="direction",
                         include_fields=("date", "ticker", "prev_close", "direction", "target"), shuffle=False)
    (x, y), = list(ds.as_numpy_iterator())
    assert sorted(x) == ["date", "direction", "prev_close", "target", "ticker", "window"]
    assert y[:, 0].tolist() == [float(e[4]) for e in expected]
    assert x["direction"].dtype == np.int32 and x["direction"].tolist() == [e[4] for e in expected]
    assert [t.decode() for t in x["ticker"]] == [e[0] for e in expected]
    assert [d.decode() for d in x["date"]] == [e[1] for e in expected]
    np.testing.assert_allclose(x["prev_close"], [e[2][-1] for e in expected], rtol=1e-6)
    np.testing.assert_allclose(x["target"], [e[3] for e in expected], rtol=1e-6)
    assert x["prev_close"].shape == (11,)


def test_shuffle_default_for_train_seeded_and_a_permutation(tmp_path):
    out, expected = make_dataset(tmp_path)
    one = collect(window_input_fn(str(out), "train", 3, seed=7, include_fields=("date", "ticker")))
    two = collect(window_input_fn(str(out), "train", 3, seed=7, include_fields=("date", "ticker")))
    assert one == two
    assert sorted((t, d) for t, d, _, _ in one) == sorted((e[0], e[1]) for e in expected)
    assert [(t, d) for t, d, _, _ in one] != [(e[0], e[1]) for e in expected]


def test_no_shuffle_by_default_outside_train(tmp_path):
    out, expected = make_dataset(tmp_path, split="test")
    got = collect(window_input_fn(str(out), "test", 5, include_fields=("date", "ticker")))
    assert [(t, d) for t, d, _, _ in got] == [(e[0], e[1]) for e in expected]


def test_input_context_shards_records_and_splits_the_batch(tmp_path):
    out, expected = make_dataset(tmp_path)
    parts = []
    for pid in range(2):
        ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pid, num_replicas_in_sync=2)
        ds = window_input_fn(str(out), "train", 4, shuffle=False, include_fields=("date", "ticker"), input_context=ctx)
        batches = list(ds.as_numpy_iterator())
        assert max(b[1].shape[0] for b in batches) == 2  # per-replica batch 4 / 2
        parts.append([(t, d) for t, d, _, _ in collect(ds)])
    keys = [(e[0], e[1]) for e in expected]
    assert parts[0] == keys[0::2] and parts[1] == keys[1::2]


def test_repeat(tmp_path):
    out, _ = make_dataset(tmp_path)
    ds = window_input_fn(str(out), "train", 4, shuffle=False, repeat=True)
    assert len(list(ds.take(7))) == 7


def test_errors(tmp_path):
    out, _ = make_dataset(tmp_path)
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        window_input_fn(str(out), "valid")
    with pytest.raises(ValueError, match="target must be one of"):
        window_input_fn(str(out), "train", target="close")
    with pytest.raises(ValueError, match="include_fields"):
        window_input_fn(str(out), "train", include_fields=("volume",))
    with pytest.raises(ValueError, match="batch_size"):
        window_input_fn(str(out), "train", batch_size=0)
    with pytest.raises(FileNotFoundError, match="metadata.json"):
        window_input_fn(str(tmp_path / "none"), "train")
    (out / "train-00001-of-00002.tfrecord").unlink()
    with pytest.raises(ValueError, match="missing shard numbers"):
        window_input_fn(str(out), "train")
    text = tmp_path / "text"
    write_metadata(str(text), {"dataset": "ag_news", "record_kind": "text", "splits": {"train": 1}, "class_names": ["a"],
                               "num_classes": 1, "vocab_size": 3, "pad_id": 0, "unk_id": 1, "tokenizer": {},
                               "bucket_boundaries": []})
    with pytest.raises(ValueError, match="record_kind is 'text'"):
        window_input_fn(str(text), "train")


def test_metadata_count_disagreeing_with_records_is_an_error(tmp_path):
    out, _ = make_dataset(tmp_path)
    write_metadata(str(out), {"dataset": "stocks", "record_kind": "window", "splits": {"train": 20},
                              "window_size": W, "scaler": {}})
    with pytest.raises(tf.errors.FailedPreconditionError):
        list(window_input_fn(str(out), "train", 4, shuffle=False).as_numpy_iterator())
