"""tfrecords.input_fn: bucketed, zero-padded batches read from TFRecord shards."""
from __future__ import annotations

import collections
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfrecords import count_batches, input_fn, list_shards, make_text_dataset
from tfrecords.tokenizer import WordEncoder
from tests.tfrecord_fixtures import random_examples, write_text_dataset

NUM_CLASSES = 4
BOUNDARIES = [4, 8]  # buckets: lengths 1-3, 4-7, 8+


@pytest.fixture(scope="module")
def examples():
    return {
        "train": random_examples(61, seed=1, max_len=12, num_classes=NUM_CLASSES),
        "valid": random_examples(13, seed=2, max_len=12, num_classes=NUM_CLASSES),
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, examples):
    path = tmp_path_factory.mktemp("textds")
    write_text_dataset(path, examples, num_shards={"train": 4, "valid": 1}, num_classes=NUM_CLASSES,
                       bucket_boundaries=BOUNDARIES)
    return str(path)


def by_id(examples, split):
    return {f"{split}:{i}": ex for i, ex in enumerate(examples[split])}


def read_all(ds):
    """List of (ids list, label, record id) per example, in order, plus the batches."""
    rows, batches = [], []
    for inputs, labels in ds:
        token_ids = inputs["token_ids"].numpy()
        batches.append((inputs, labels))
        for row, label, rec_id in zip(token_ids, labels.numpy(), inputs["id"].numpy()):
            rows.append((row, label, rec_id.decode()))
    return rows, batches


def bucket_of(length):
    return sum(length >= b for b in BOUNDARIES)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_example_once_padded_to_its_batch_max(data_dir, examples, shuffle):
    originals = by_id(examples, "train")
    ds = input_fn(data_dir, "train", 5, shuffle=shuffle, include_fields=("id",), label_mode="sparse")
    rows, batches = read_all(ds)
    seen = collections.Counter()
    for inputs, labels in batches:
        token_ids = inputs["token_ids"]
        assert token_ids.dtype == tf.int32
        rec_ids = [r.decode() for r in inputs["id"].numpy()]
        lengths = [len(originals[r][0]) for r in rec_ids]
        # Padded to this batch's own longest sequence, never to the bucket boundary.
        assert token_ids.shape == (len(rec_ids), max(lengths))
        # One bucket per batch.
        assert len({bucket_of(n) for n in lengths}) == 1
        assert len(rec_ids) <= 5
        for row, label, rec_id in zip(token_ids.numpy(), labels.numpy(), rec_ids):
            ids, expected_label = originals[rec_id]
            assert list(row[: len(ids)]) == ids and not row[len(ids):].any()
            assert label == expected_label
            seen[(tuple(ids), int(label))] += 1
    assert seen == collections.Counter((tuple(ids), label) for ids, label in examples["train"])


def test_buckets_have_at_most_one_partial_batch(data_dir, examples):
    ds = input_fn(data_dir, "train", 4, shuffle=True, seed=0, include_fields=("length",))
    sizes = collections.defaultdict(list)
    for inputs, _ in ds:
        lengths = inputs["length"].numpy()
        assert len({bucket_of(n) for n in lengths}) == 1
        assert inputs["token_ids"].shape[1] == lengths.max()
        sizes[bucket_of(lengths[0])].append(len(lengths))
    per_bucket = collections.Counter(bucket_of(len(ids)) for ids, _ in examples["train"])
    for bucket, batch_sizes in sizes.items():
        assert sum(batch_sizes) == per_bucket[bucket]
        assert sum(s < 4 for s in batch_sizes) <= 1


def test_custom_boundaries_and_single_bucket(data_dir, examples):
    lengths = [len(ids) for ids, _ in examples["train"]]
    # One bucket: plain padded batches, each padded to its own max.
    batches = list(input_fn(data_dir, "train", 8, shuffle=False, bucket_boundaries=[], include_fields=("length",)))
    assert len(batches) == math.ceil(len(lengths) / 8)
    for inputs, _ in batches:
        assert inputs["token_ids"].shape[1] == inputs["length"].numpy().max()
    # Boundaries given explicitly override metadata's.
    for inputs, _ in input_fn(data_dir, "train", 8, shuffle=False, bucket_boundaries=[6], include_fields=("length",)):
        assert len({int(n >= 6) for n in inputs["length"].numpy()}) == 1


def order(ds):
    return [r for _, _, r in read_all(ds)[0]]


def test_seed_makes_order_reproducible(data_dir):
    kwargs = dict(include_fields=("id",), seed=7)
    first = order(input_fn(data_dir, "train", 4, **kwargs))
    assert first == order(input_fn(data_dir, "train", 4, **kwargs))
    assert first != order(input_fn(data_dir, "train", 4, include_fields=("id",), seed=8))
    # Shuffling is the default for "train" only.
    assert first == order(input_fn(data_dir, "train", 4, shuffle=True, **kwargs))
    unshuffled = order(input_fn(data_dir, "train", 4, shuffle=False, **kwargs))
    assert first != unshuffled
    assert unshuffled == order(input_fn(data_dir, "train", 4, shuffle=False, include_fields=("id",)))
    assert order(input_fn(data_dir, "valid", 4, include_fields=("id",))) == order(
        input_fn(data_dir, "valid", 4, shuffle=False, include_fields=("id",)))


def test_repeat_reshuffles_each_epoch(data_dir, examples):
    n = len(input_fn(data_dir, "train", 4, seed=3))
    ds = input_fn(data_dir, "train", 4, seed=3, repeat=True, include_fields=("id",))
    assert ds.cardinality() == tf.data.INFINITE_CARDINALITY
    ids = order(ds.take(2 * n))
    epoch1, epoch2 = ids[: len(examples["train"])], ids[len(examples["train"]):]
    assert sorted(epoch1) == sorted(epoch2) == sorted(by_id(examples, "train"))
    assert epoch1 != epoch2
    assert ids == order(input_fn(data_dir, "train", 4, seed=3, repeat=True, include_fields=("id",)).take(2 * n))


def test_label_modes(data_dir, examples):
    originals = by_id(examples, "valid")
    for mode in ("one_hot", "sparse"):
        for inputs, labels in input_fn(data_dir, "valid", 3, label_mode=mode, include_fields=("id",)):
            expected = np.array([originals[r.decode()][1] for r in inputs["id"].numpy()])
            if mode == "one_hot":
                assert labels.dtype == tf.float32 and labels.shape == (len(expected), NUM_CLASSES)
                np.testing.assert_array_equal(labels.numpy(), np.eye(NUM_CLASSES, dtype=np.float32)[expected])
            else:
                assert labels.dtype == tf.int32 and labels.shape == (len(expected),)
                np.testing.assert_array_equal(labels.numpy(), expected)


def test_plain_inputs_and_include_fields(data_dir, examples):
    ds = input_fn(data_dir, "valid", 4)
    assert isinstance(ds.element_spec[0], tf.TensorSpec)
    assert ds.element_spec[0].dtype == tf.int32 and ds.element_spec[0].shape.as_list() == [None, None]
    originals = by_id(examples, "valid")
    ds = input_fn(data_dir, "valid", 4, include_fields=("id", "text", "length"))
    assert set(ds.element_spec[0]) == {"token_ids", "id", "text", "length"}
    for inputs, _ in ds:
        for rec_id, text, length, row in zip(inputs["id"].numpy(), inputs["text"].numpy(),
                                             inputs["length"].numpy(), inputs["token_ids"].numpy()):
            i = int(rec_id.decode().split(":")[1])
            assert text.decode() == f"text {i}"
            assert length == len(originals[rec_id.decode()][0]) == np.count_nonzero(row)


@pytest.mark.parametrize("batch_size,boundaries,drop", [(5, None, False), (5, None, True), (3, [], False),
                                                        (2, [3, 5, 9], True), (64, None, False)])
def test_cardinality_matches_counted_batches(data_dir, examples, batch_size, boundaries, drop):
    ds = input_fn(data_dir, "train", batch_size, bucket_boundaries=boundaries, drop_remainder=drop, seed=0)
    counted = sum(1 for _ in ds)
    assert ds.cardinality().numpy() == counted
    # Independent count: bucket the lengths by hand.
    used = BOUNDARIES if boundaries is None else boundaries
    per_bucket = collections.Counter(sum(len(ids) >= b for b in used) for ids, _ in examples["train"])
    rounding = math.floor if drop else math.ceil
    assert counted == sum(rounding(n / batch_size) for n in per_bucket.values())
    if drop:
        for _, labels in ds:
            assert labels.shape[0] == batch_size


def test_count_batches_by_hand():
    # Lengths 2,2,2 | 5,5,5,5 | 9 with boundaries [4, 8] and batches of 2: 2 + 2 + 1.
    assert count_batches({2: 3, 5: 4, 9: 1}, [4, 8], 2) == 5
    assert count_batches({"2": 3, "5": 4, "9": 1}, [4, 8], 2, drop_remainder=True) == 3
    assert count_batches({2: 3, 5: 4, 9: 1}, [], 3) == 3
    assert count_batches({3: 1, 4: 1}, [4], 1) == 2  # 4 belongs to the second bucket
    with pytest.raises(ValueError, match="strictly increasing"):
        count_batches({2: 1}, [4, 4], 2)


def test_cardinality_unknown_without_histogram(tmp_path, examples):
    write_text_dataset(tmp_path, {"train": examples["train"][:10]}, with_histogram=False, bucket_boundaries=[5])
    ds = input_fn(str(tmp_path), "train", 3)
    assert ds.cardinality() == tf.data.UNKNOWN_CARDINALITY
    assert sum(int(labels.shape[0]) for _, labels in ds) == 10


def collect_ids(ds):
    return [r.decode() for inputs, _ in ds for r in inputs["id"].numpy()]


@pytest.mark.parametrize("split,level", [("train", "file"), ("valid", "record")])
@pytest.mark.parametrize("shuffle", [False, True])
def test_input_context_shards_disjointly(data_dir, examples, split, level, shuffle):
    assert len(list_shards(data_dir, split)) == (4 if level == "file" else 1)
    parts = []
    for pipeline_id in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id,
                                             num_replicas_in_sync=2)
        ds = input_fn(data_dir, split, 6, shuffle=shuffle, input_context=context, include_fields=("id",))
        assert ds.cardinality() == tf.data.UNKNOWN_CARDINALITY
        for inputs, _ in ds:
            assert inputs["token_ids"].shape[0] <= 3  # per-replica batch size
        parts.append(collect_ids(ds))
    assert not set(parts[0]) & set(parts[1])
    assert sorted(parts[0] + parts[1]) == sorted(by_id(examples, split))
    assert parts[0] and parts[1]
    if level == "file":  # shard s of 4 holds records i with i % 4 == s; pipeline p reads shards p, p + 2
        assert {int(r.split(":")[1]) % 2 for r in parts[1]} == {1}


@pytest.mark.parametrize("pipelines,replicas", [(1, 2), (2, 4), (1, 3)])
def test_replicas_of_one_pipeline_share_a_step_padding(data_dir, examples, pipelines, replicas):
    """k replicas per pipeline: k consecutive per-replica batches come from one global batch."""
    k = replicas // pipelines
    originals = by_id(examples, "train")
    parts = []
    for pipeline_id in range(pipelines):
        context = tf.distribute.InputContext(num_input_pipelines=pipelines, input_pipeline_id=pipeline_id,
                                             num_replicas_in_sync=replicas)
        ds = input_fn(data_dir, "train", 4 * replicas, seed=5, input_context=context, include_fields=("id",))
        batches = [inputs for inputs, _ in ds]
        if pipelines == 1:
            assert ds.cardinality().numpy() == len(batches)
        assert len(batches) % k == 0
        for step in range(0, len(batches), k):
            group = batches[step: step + k]
            widths = {int(b["token_ids"].shape[1]) for b in group}
            assert len(widths) == 1  # one padded length per step
            rec_ids = [r.decode() for b in group for r in b["id"].numpy()]
            lengths = [len(originals[r][0]) for r in rec_ids]
            assert widths == {max(lengths)} and len({bucket_of(n) for n in lengths}) == 1
            sizes = [int(b["token_ids"].shape[0]) for b in group]
            assert max(sizes) <= 4 and max(sizes) - min(sizes) <= 1
        parts.append([r.decode() for b in batches for r in b["id"].numpy()])
    everything = [r for part in parts for r in part]
    assert sorted(everything) == sorted(originals)  # exactly once over all pipelines


def test_mirrored_strategy_two_cpu_replicas(data_dir, examples):
    script = os.path.join(os.path.dirname(__file__), "mirrored_strategy_script.py")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, script, data_dir], capture_output=True, text=True, env=env,
                            timeout=300, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["num_replicas"] == 2
    assert report["num_input_pipelines"] == 1
    assert report["per_replica_batch_size"] == 4  # global batch 8 over 2 replicas
    assert set(report["devices"]) == {"/job:localhost/replica:0/task:0/device:CPU:0",
                                      "/job:localhost/replica:0/task:0/device:CPU:1"}
    originals = by_id(examples, "train")
    assert sorted(report["ids"]) == sorted(originals)
    for step in report["steps"]:  # [[ids of replica 0], [ids of replica 1]] with their padded widths
        assert len(step["widths"]) == 2 and len(set(step["widths"])) == 1
        assert all(len(ids) <= 4 for ids in step["ids"])
        assert step["widths"][0] == max(len(originals[r][0]) for ids in step["ids"] for r in ids)
    assert len(report["steps"]) == count_batches(
        collections.Counter(len(ids) for ids, _ in examples["train"]), BOUNDARIES, 8)
    assert report["fit_steps"] == 2 * len(report["steps"])
    assert all(math.isfinite(loss) for loss in report["losses"]) and len(report["losses"]) == 2


def test_make_text_dataset_keeps_order_and_pads_per_batch():
    encoder = WordEncoder(["<pad>", "<unk>", "oil", "$", "prices", "rise", "."])
    texts = ["Oil prices rise.", "#36;", "Oil prices rise again today, says quot;Reuters quot;", ""]
    expected = encoder.encode_py(texts)
    batches = list(make_text_dataset(texts, [0, 1, 2, 3], encoder, 2, num_classes=4))
    got = []
    for token_ids, labels in batches:
        assert token_ids.dtype == tf.int32
        assert token_ids.shape[1] == max(len(expected[len(got) + k]) for k in range(token_ids.shape[0]))
        for k, row in enumerate(token_ids.numpy()):
            ids = expected[len(got)]
            assert list(row[: len(ids)]) == ids and not row[len(ids):].any()
            np.testing.assert_array_equal(labels.numpy()[k], np.eye(4)[len(got)])
            got.append(ids)
    assert len(got) == 4
    inputs_only = list(make_text_dataset(texts, None, encoder, 3))
    assert [b.shape[0] for b in inputs_only] == [3, 1]
    sparse = list(make_text_dataset(texts, [3, 2, 1, 0], encoder, 4, label_mode="sparse"))
    np.testing.assert_array_equal(sparse[0][1].numpy(), [3, 2, 1, 0])
    with pytest.raises(ValueError, match="num_classes"):
        make_text_dataset(texts, [0, 1, 2, 3], encoder, 2)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        make_text_dataset(texts, [0, 1, 2, 3], encoder, 2, num_classes=3)


def test_argument_errors(data_dir):
    with pytest.raises(ValueError, match=r"unknown split 'tset'.*\['train', 'valid'\]"):
        input_fn(data_dir, "tset")
    with pytest.raises(ValueError, match="label_mode"):
        input_fn(data_dir, "train", label_mode="onehot")
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="batch_size"):
            input_fn(data_dir, "train", bad)
    with pytest.raises(ValueError, match="include_fields"):
        input_fn(data_dir, "train", include_fields=("label",))
    with pytest.raises(ValueError, match="strictly increasing"):
        input_fn(data_dir, "train", bucket_boundaries=[5, 3])


def test_data_errors(tmp_path, examples):
    with pytest.raises(FileNotFoundError, match="metadata.json not found"):
        input_fn(str(tmp_path / "nowhere"), "train")
    few = {"train": examples["train"][:6], "test": examples["valid"][:3]}
    write_text_dataset(tmp_path, few, num_shards=3)
    for name in os.listdir(tmp_path):
        if name.startswith("test-"):
            os.remove(tmp_path / name)
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}: no shards of split 'test'"):
        input_fn(str(tmp_path), "test")
    os.remove(tmp_path / "train-00001-of-00003.tfrecord")
    with pytest.raises(ValueError, match=r"has 2 of 3 shards; missing shard numbers \[1\]"):
        input_fn(str(tmp_path), "train")


def test_histogram_must_agree_with_split_size(tmp_path, examples):
    write_text_dataset(tmp_path, {"train": examples["train"][:6]},
                       extra_metadata={"splits": {"train": 7}})
    with pytest.raises(ValueError, match=r"length_histogram\['train'\] counts 6 records but splits\['train'\] says 7"):
        input_fn(str(tmp_path), "train")


def test_window_metadata_rejected(tmp_path):
    from tfrecords.metadata import write_metadata
    write_metadata(str(tmp_path), {"dataset": "stocks", "record_kind": "window", "splits": {"train": 1},
                                   "window_size": 60, "scaler": {}})
    with pytest.raises(ValueError, match="record_kind is 'window'"):
        input_fn(str(tmp_path), "train")


def test_bad_records_fail_with_their_id(tmp_path, examples):
    # Labels beyond num_classes, token ids beyond vocab_size: the metadata lies about the records.
    write_text_dataset(tmp_path / "labels", {"train": [([2, 3], 0), ([4], 5)]}, num_shards=1, num_classes=4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)label outside \[0, 4\) in record.*train:1"):
        list(input_fn(str(tmp_path / "labels"), "train", 2))
    write_text_dataset(tmp_path / "vocab", {"train": [([2, 3], 0), ([4, 9], 1)]}, num_shards=1, vocab_size=6)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)token id outside \[1, vocab_size 6\) in record.*train:1"):
        list(input_fn(str(tmp_path / "vocab"), "train", 2))
