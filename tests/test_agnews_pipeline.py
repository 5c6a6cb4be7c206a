"""End-to-end runs of ``pipelines.agnews`` on small CSV files written here.

Two runs are shared by most tests (module-scoped fixtures, since Beam start-up is slow):

* ``single``: in-memory DirectRunner, one worker, ``--valid_fraction 0.25``, packaged GloVe;
* ``multi``: ``--direct_running_mode=multi_processing --direct_num_workers=2``, the same
  split given as ``--valid_size`` (a quarter of the training rows, so the same fraction),
  and a tiny GloVe text file.

Everything expected is computed here from the rows as written: labels, ids, texts, the
split rule (sha256 of the line bytes), the vocabulary (counted with ``collections.Counter``)
and the token ids.
"""
from __future__ import annotations

import collections
import glob
import hashlib
import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from pipelines import agnews
from pipelines.dead_letter import read_rejected
from tfrecords import bucketing, schema
from tfrecords.metadata import read_metadata
from tfrecords.tokenizer import TokenizerConfig, read_vocab, tokenize_py

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
VOCAB_SIZE = 30
CLASSES = ["World", "Sports", "Business", "Science and Technology"]

# Good training rows: (label 1..4, title, description).  Repeated words make ties at the
# vocabulary cut-off; "zzqxv" is frequent but has no GloVe vector; "valuation" occurs only
# in the test file.
_WORDS = ["oil", "market", "team", "win", "space", "probe", "bank", "rates", "zzqxv", "game"]
GOOD_TRAIN = [
    (1, "Oil, gas and \"more\" news", 'Crude at #36;50, a ""record"" high'),  # CSV-quoted below
] + [
    (i % 4 + 1, f"{_WORDS[i % 10]} {_WORDS[(i * 3) % 10]} story {i}", f"{_WORDS[(i * 7) % 10]} report number {i % 5}")
    for i in range(1, 40)
]
BAD_TRAIN = [  # (raw line bytes, expected reason prefix)
    (b'"2","only two"', "wrong column count"),
    (b'"x","Title","Desc"', "label is not a number"),
    (b'"5","Title","Desc"', "label out of range"),
    (b'"3"," ","\t"', "empty text"),
    (b'"4","caf\xe9","bad byte"', "not UTF-8"),
    (b'"1","Title","Desc never closes', "broken quote"),
    (b"", "blank line"),
    (b'"2","&nbsp;","#160;"', "no tokens"),
]
GOOD_TEST = [(i % 4 + 1, f"valuation {_WORDS[i % 10]} test {i}", "valuation of the market") for i in range(12)]
BAD_TEST = [(b'"9","Title","Desc"', "label out of range")]


def _csv_line(label: int, title: str, description: str) -> bytes:
    q = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
    return f"{q(str(label))},{q(title)},{q(description)}".encode("utf-8")


def _train_lines() -> list[bytes]:
    """Good rows with bad ones interleaved; the broken quote is followed by a good row."""
    good = [_csv_line(*r) for r in GOOD_TRAIN]
    lines = []
    for i, line in enumerate(good):
        lines.append(line)
        if i % 4 == 1 and BAD_TRAIN[i // 4:]:
            lines.append(BAD_TRAIN[i // 4][0])
    assert len(lines) == len(GOOD_TRAIN) + len(BAD_TRAIN)
    return lines


def _write_inputs(folder: pathlib.Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    train = _train_lines()
    # BOM, CRLF line endings and a trailing blank line.
    (folder / "train.csv").write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(train) + b"\r\n\r\n")
    test = [_csv_line(*r) for r in GOOD_TEST[:5]] + [BAD_TEST[0][0]] + [_csv_line(*r) for r in GOOD_TEST[5:]]
    (folder / "test.csv").write_bytes(b"\n".join(test) + b"\n\n")
    (folder / "classes.txt").write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    return {"train.csv": train, "test.csv": test}


def _expected(lines_by_file: dict, fraction: float) -> dict:
    """{split: {id: (label0, text)}} and {split: [(file, line, reason prefix)]}, computed independently."""
    bad_reasons = {raw: reason for raw, reason in BAD_TRAIN + BAD_TEST}
    records = {"train": {}, "valid": {}, "test": {}}
    rejected = {"train": [], "valid": [], "test": []}
    for name, lines in lines_by_file.items():
        for number, raw in enumerate(lines, start=1):
            if name == "test.csv":
                split = "test"
            else:
                h = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big") / 2**64
                split = "valid" if h < fraction else "train"
            if raw in bad_reasons:
                rejected[split].append((name, number, bad_reasons[raw]))
            else:
                label, title, description = next(
                    r for r in GOOD_TRAIN + GOOD_TEST if _csv_line(*r) == raw
                )
                records[split][f"{name}:{number}"] = (label - 1, f"{title} {description}")
    return {"records": records, "rejected": rejected}


def _read_split(out: str, split: str) -> list[dict]:
    files = sorted(glob.glob(schema.shard_pattern(out, split)))
    rows = []
    for serialized in tf.data.TFRecordDataset(files):
        ex = schema.parse_text_example(serialized)
        rows.append({
            "id": ex["id"].numpy().decode(),
            "token_ids": tuple(ex["token_ids"].numpy().tolist()),
            "label": int(ex["label"]),
            "length": int(ex["length"]),
            "text": ex["text"].numpy().decode(),
        })
    return rows


def _run(tmp_path_factory, name: str, extra: list[str]) -> dict:
    base = tmp_path_factory.mktemp(name)
    lines = _write_inputs(base / "in")
    out = str(base / "out")
    argv = ["--input_dir", str(base / "in"), "--output_dir", out, "--vocab_size", str(VOCAB_SIZE), *extra]
    with pytest.MonkeyPatch.context() as mp:  # worker processes must import this checkout's packages
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        meta = agnews.run(argv)
    return {"meta": meta, "out": out, "lines": lines, "input": base / "in",
            "splits": {s: _read_split(out, s) for s in ("train", "valid", "test")}}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    return _run(tmp_path_factory, "single", ["--valid_fraction", "0.25"])


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    n_train_rows = len(_train_lines())
    assert n_train_rows % 4 == 0  # so --valid_size gives exactly the fraction 0.25
    base = tmp_path_factory.mktemp("glove")
    vectors = base / "tiny_glove.txt"
    vectors.write_text("oil 1 0\nmarket 0 1\nreport 2 2\nunusedword 9 9\n", encoding="utf-8")
    return _run(tmp_path_factory, "multi", [
        "--valid_size", str(n_train_rows // 4), "--glove", str(vectors), "--num_shards", "3",
        "--direct_running_mode=multi_processing", "--direct_num_workers=2",
    ])


def _expected_vocab(expected_records: dict) -> list[str]:
    counts = collections.Counter()
    for _, text in expected_records["train"].values():
        counts.update(tokenize_py([text])[0])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ["<pad>", "<unk>"] + [t for t, _ in ranked[:VOCAB_SIZE]]


def test_records_are_the_valid_rows_with_their_ids_labels_and_texts(single):
    expected = _expected(single["lines"], 0.25)
    for split in ("train", "valid", "test"):
        got = {r["id"]: (r["label"], r["text"]) for r in single["splits"][split]}
        assert got == expected["records"][split], split
    assert len(single["splits"]["valid"]) > 0 and len(single["splits"]["train"]) > len(single["splits"]["valid"])
    first = next(r for r in single["splits"]["train"] + single["splits"]["valid"] if r["id"] == "train.csv:1")
    assert first["text"] == 'Oil, gas and "more" news Crude at #36;50, a ""record"" high'  # BOM stripped, quotes undone


def test_vocabulary_from_training_split_only_with_deterministic_ties(single):
    expected = _expected(single["lines"], 0.25)
    vocab = read_vocab(os.path.join(single["out"], "vocab.txt"))
    assert vocab == _expected_vocab(expected["records"])
    assert "valuation" not in vocab  # only in the test file
    assert single["meta"]["vocab_size"] == len(vocab) == VOCAB_SIZE + 2


def test_token_ids_follow_the_vocabulary(single):
    vocab = read_vocab(os.path.join(single["out"], "vocab.txt"))
    ids = {t: i for i, t in enumerate(vocab)}
    for split in ("train", "valid", "test"):
        for r in single["splits"][split]:
            assert r["token_ids"] == tuple(ids.get(t, 1) for t in tokenize_py([r["text"]])[0])
            assert r["length"] == len(r["token_ids"]) > 0
    assert any(1 in r["token_ids"] for r in single["splits"]["test"])  # "valuation" -> <unk>


def test_rejected_rows_have_file_line_reason_and_raw_row(single):
    expected = _expected(single["lines"], 0.25)
    rejected = read_rejected(single["out"])
    got = sorted((r["file"], r["line"], r["reason"].split(":")[0]) for r in rejected)
    want = sorted(x for per_split in expected["rejected"].values() for x in per_split)
    assert got == want
    by_line = {(r["file"], r["line"]): r for r in rejected}
    lines = single["lines"]
    for (name, number), r in by_line.items():
        assert r["row"] == lines[name][number - 1].decode("utf-8", errors="backslashreplace")
    broken = next(r for r in rejected if r["reason"].startswith("broken quote"))
    # The line after the broken quote is a good row and was not swallowed.
    assert f"train.csv:{broken['line'] + 1}" in {r["id"] for s in ("train", "valid") for r in single["splits"][s]}
    for split in ("train", "valid", "test"):
        files = glob.glob(os.path.join(single["out"], f"rejected-{split}-*.jsonl"))
        n = sum(1 for f in files for line in open(f, encoding="utf-8") if line.strip())
        assert n == len(expected["rejected"][split])


def test_read_equals_written_plus_rejected(single):
    meta = single["meta"]
    expected = _expected(single["lines"], 0.25)
    for split in ("train", "valid", "test"):
        assert meta["splits"][split] == len(single["splits"][split]) == len(expected["records"][split])
        assert meta["rejected"][split] == len(expected["rejected"][split])
        assert meta["read"][split] == meta["splits"][split] + meta["rejected"][split]
    assert meta["read"]["train"] + meta["read"]["valid"] == len(GOOD_TRAIN) + len(BAD_TRAIN)  # trailing blank not a row
    assert meta["read"]["test"] == len(GOOD_TEST) + len(BAD_TEST)


def test_metadata_contents(single):
    meta = single["meta"]
    assert meta == read_metadata(single["out"])
    assert meta["dataset"] == "ag_news" and meta["record_kind"] == "text"
    assert meta["class_names"] == CLASSES and meta["num_classes"] == 4
    assert (meta["pad_id"], meta["unk_id"]) == (0, 1)
    assert meta["tokenizer"] == TokenizerConfig(kind="word", vocab_file="vocab.txt").to_dict()
    for split in ("train", "valid", "test"):
        hist = collections.Counter(r["length"] for r in single["splits"][split])
        assert meta["length_histogram"][split] == {str(k): v for k, v in sorted(hist.items())}
        lengths = sorted(r["length"] for r in single["splits"][split])
        assert meta["length_stats"][split]["min"] == lengths[0] and meta["length_stats"][split]["max"] == lengths[-1]
        assert meta["length_stats"][split]["mean"] == pytest.approx(np.mean(lengths))
    assert meta["bucket_boundaries"] == bucketing.suggest_bucket_boundaries(meta["length_histogram"]["train"], batch_size=128)
    for name in ("train.csv", "test.csv", "classes.txt"):
        data = (single["input"] / name).read_bytes()
        assert meta["inputs"][name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert meta["inputs"][name]["bytes"] == len(data)
    assert meta["options"]["runner"] == "DirectRunner"
    assert meta["options"]["vocab_size"] == VOCAB_SIZE and meta["options"]["valid_fraction"] == 0.25
    assert meta["valid_split"]["fraction"] == 0.25
    assert not os.path.exists(os.path.join(single["out"], "_work"))
    shard_names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(single["out"], "*.tfrecord")))
    assert shard_names == ["test-00000-of-00001.tfrecord"] + [f"train-0000{i}-of-00004.tfrecord" for i in range(4)] + [
        "valid-00000-of-00001.tfrecord"]


def test_embedding_from_packaged_glove(single):
    from pipelines.glove import load_packaged_vectors

    vocab = read_vocab(os.path.join(single["out"], "vocab.txt"))
    matrix = np.load(os.path.join(single["out"], "embedding.npy"))
    assert matrix.dtype == np.float32 and matrix.shape == (len(vocab), 50)
    found, _ = load_packaged_vectors(vocab[2:])
    assert "zzqxv" in vocab and "zzqxv" not in found
    mean = np.mean([found[w] for w in vocab[2:] if w in found], axis=0)
    assert not matrix[0].any()
    np.testing.assert_allclose(matrix[1], mean, rtol=1e-5)
    np.testing.assert_allclose(matrix[vocab.index("zzqxv")], mean, rtol=1e-5)
    np.testing.assert_array_equal(matrix[vocab.index("oil")], found["oil"])
    emb = single["meta"]["embedding"]
    assert emb["file"] == "embedding.npy" and emb["dim"] == 50 and emb["shape"] == [len(vocab), 50]
    assert emb["coverage"]["vocab_words_found"] == len(found) == len(vocab) - 3


def test_two_workers_give_the_same_records(single, multi):
    for split in ("train", "valid", "test"):
        a = collections.Counter((r["id"], r["token_ids"], r["label"]) for r in single["splits"][split])
        b = collections.Counter((r["id"], r["token_ids"], r["label"]) for r in multi["splits"][split])
        assert a == b, split
    assert multi["meta"]["splits"] == single["meta"]["splits"]
    assert multi["meta"]["rejected"] == single["meta"]["rejected"]
    assert multi["meta"]["valid_split"]["fraction"] == 0.25 and multi["meta"]["valid_split"]["requested_size"] == 12
    assert len(glob.glob(schema.shard_pattern(multi["out"], "train"))) == 3
    assert sorted(read_rejected(multi["out"]), key=lambda r: (r["file"], r["line"])) == sorted(
        read_rejected(single["out"]), key=lambda r: (r["file"], r["line"]))


def test_embedding_from_a_glove_text_file(multi):
    vocab = read_vocab(os.path.join(multi["out"], "vocab.txt"))
    matrix = np.load(os.path.join(multi["out"], "embedding.npy"))
    assert matrix.shape == (len(vocab), 2)
    mean = np.mean([[1, 0], [0, 1], [2, 2]], axis=0)
    np.testing.assert_array_equal(matrix[vocab.index("oil")], [1, 0])
    np.testing.assert_array_equal(matrix[vocab.index("report")], [2, 2])
    np.testing.assert_allclose(matrix[vocab.index("zzqxv")], mean)
    np.testing.assert_allclose(matrix[1], mean)
    assert not matrix[0].any()
    assert multi["meta"]["embedding"]["source"].endswith("tiny_glove.txt")
    assert multi["meta"]["embedding"]["coverage"]["vocab_words_found"] == 3


def test_missing_file_names_the_path(tmp_path):
    _write_inputs(tmp_path / "in")
    with pytest.raises(FileNotFoundError, match=r"in/nope\.csv: required AG News file not found"):
        agnews.run(["--input_dir", str(tmp_path / "in"), "--train_file", "nope.csv", "--output_dir", str(tmp_path / "out")])


def test_missing_glove_file_fails_before_the_pipeline_runs(tmp_path):
    _write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match=r"nope\.txt: word vectors file not found \(--glove"):
        agnews.run(["--input_dir", str(tmp_path / "in"), "--glove", str(tmp_path / "nope.txt"), "--output_dir", str(out)])
    assert not out.exists() or not any(out.iterdir())


def test_nothing_valid_is_a_clear_error(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "train.csv").write_bytes(b'"9","a","b"\n"x","c","d"\n')
    (folder / "test.csv").write_bytes(b'"1","fine","row"\n')
    with pytest.raises(agnews.InputError, match=r"in/train\.csv: no valid training rows \(2 read, 2 rejected"):
        agnews.run(["--input_dir", str(folder), "--output_dir", str(tmp_path / "out")])
    assert len(read_rejected(str(tmp_path / "out"))) == 2


def test_command_line_error_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as info:
        agnews.main(["--input_dir", str(tmp_path), "--output_dir", str(tmp_path / "out")])
    assert str(info.value).startswith("pipelines.agnews: error: ") and "train.csv: required AG News file not found" in str(info.value)
    with pytest.raises(SystemExit, match=r"--valid_fraction/--valid_size: valid fraction must be in \[0, 1\), got 1.5"):
        _write_inputs(tmp_path / "in")
        agnews.main(["--input_dir", str(tmp_path / "in"), "--output_dir", str(tmp_path / "out"), "--valid_fraction", "1.5"])
