"""``python -m pipelines.agnews --tokenizer bpemb`` on a small CSV with the real BPEmb files.

Three Beam runs shared by the tests (module-scoped fixtures), all on the same CSV files
(real AG News rows from ``$RNN_DATA_DIR/ag_news`` plus a few written here):

* ``bpemb_run``: the real English ``vs1000`` model with its 25-dimensional vectors;
* ``word_run``: the word tokenizer (``--tokenizer glove``, its other name) with a tiny GloVe
  text file, to compare split membership;
* ``novec_run``: the real ``vs10000`` model without vectors (random embedding).

Expected values are computed here: the split rule (sha256 of the line bytes), the texts (the
``csv`` module), the ids (:class:`tfrecords.bpemb_tokenizer.BPEmbEncoder` and, for one
row, SentencePiece directly after BPEmb's preprocessing), the vectors (gensim).
"""
from __future__ import annotations

import csv
import glob
import hashlib
import io
import logging
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from pipelines import agnews, bpemb_assets
from pipelines.dead_letter import read_rejected
from tfrecords import bucketing, schema
from tfrecords.bpemb_tokenizer import BPEmbEncoder
from tfrecords.metadata import read_metadata
from tfrecords.tokenizer import encoder_from_metadata, normalize_text

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
FRACTION = 0.25
VS1000 = "en.wiki.bpe.vs1000.model"
VS1000_VECTORS = "en.wiki.bpe.vs1000.d25.w2v.bin"
VS10000 = "en.wiki.bpe.vs10000.model"
DIGITS_ROW = b'"3","Q3 2004 profits up 15%","Sales rose to \xc2\xa3 1,234 million in 2004."'
NO_TEXT_ROW = b'"2","&nbsp;","#160;"'  # nothing left after the escape repair: rejected by both tokenizers
BAD_LABEL_ROW = b'"7","Title","Description"'


def _bpemb_dir(real_data_dir: pathlib.Path) -> pathlib.Path:
    return real_data_dir / "bpemb" / "en"


@pytest.fixture(scope="module")
def inputs(real_data_dir, tmp_path_factory) -> dict:
    """train.csv: 40 real rows + a row with digits + two bad rows; test.csv: 12 real rows."""
    folder = tmp_path_factory.mktemp("bpemb_in")
    with open(real_data_dir / "ag_news" / "train_partial.csv", "rb") as f:
        train = [f.readline().rstrip(b"\r\n") for _ in range(40)]
    with open(real_data_dir / "ag_news" / "test.csv", "rb") as f:
        test = [f.readline().rstrip(b"\r\n") for _ in range(12)]
    train = train[:10] + [DIGITS_ROW, NO_TEXT_ROW] + train[10:30] + [BAD_LABEL_ROW] + train[30:]
    (folder / "train.csv").write_bytes(b"\n".join(train) + b"\n")
    (folder / "test.csv").write_bytes(b"\n".join(test) + b"\n")
    return {"dir": folder, "lines": {"train.csv": train, "test.csv": test}}


def _expected_rows(lines_by_file: dict) -> dict:
    """{split: {id: (label0, text)}} for the good rows, by the split rule and the csv module."""
    out = {"train": {}, "valid": {}, "test": {}}
    for name, lines in lines_by_file.items():
        for number, raw in enumerate(lines, start=1):
            if raw in (NO_TEXT_ROW, BAD_LABEL_ROW):
                continue
            if name == "test.csv":
                split = "test"
            else:
                h = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big") / 2**64
                split = "valid" if h < FRACTION else "train"
            label, title, description = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
            out[split][f"{name}:{number}"] = (int(label) - 1, f"{title} {description}")
    return out


def _read_split(out: str, split: str) -> dict:
    rows = {}
    for serialized in tf.data.TFRecordDataset(sorted(glob.glob(schema.shard_pattern(out, split)))):
        ex = schema.parse_text_example(serialized)
        rows[ex["id"].numpy().decode()] = {
            "token_ids": ex["token_ids"].numpy().tolist(),
            "label": int(ex["label"]),
            "length": int(ex["length"]),
            "text": ex["text"].numpy().decode(),
        }
    return rows


def _run(inputs: dict, out: pathlib.Path, extra: list[str]) -> dict:
    argv = ["--input_dir", str(inputs["dir"]), "--output_dir", str(out), "--valid_fraction", str(FRACTION), *extra]
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("pipelines.agnews")
    logger.addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:  # worker processes must import this checkout's packages
            mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
            meta = agnews.run(argv)
    finally:
        logger.removeHandler(handler)
    return {"meta": meta, "out": str(out), "log": [r.getMessage() for r in records],
            "splits": {s: _read_split(str(out), s) for s in ("train", "valid", "test")}}


@pytest.fixture(scope="module")
def bpemb_run(inputs, real_data_dir, tmp_path_factory):
    d = _bpemb_dir(real_data_dir)
    return _run(inputs, tmp_path_factory.mktemp("bpemb") / "out", [
        "--tokenizer", "bpemb", "--bpemb_model", str(d / VS1000), "--bpemb_vectors", str(d / VS1000_VECTORS)])


@pytest.fixture(scope="module")
def word_run(inputs, tmp_path_factory):
    base = tmp_path_factory.mktemp("word")
    vectors = base / "tiny_glove.txt"
    vectors.write_text("the 1 0\nto 0 1\nreuters 2 2\n", encoding="utf-8")
    return _run(inputs, base / "out", ["--tokenizer", "glove", "--glove", str(vectors), "--vocab_size", "50"])


@pytest.fixture(scope="module")
def novec_run(inputs, real_data_dir, tmp_path_factory):
    return _run(inputs, tmp_path_factory.mktemp("novec") / "out", [
        "--tokenizer", "bpemb", "--bpemb_model", str(_bpemb_dir(real_data_dir) / VS10000),
        "--bpemb_dim", "16", "--seed", "7"])


def test_records_hold_the_bpemb_ids_of_title_and_description(bpemb_run, inputs, real_data_dir):
    expected = _expected_rows(inputs["lines"])
    encoder = BPEmbEncoder((_bpemb_dir(real_data_dir) / VS1000).read_bytes())
    for split in ("train", "valid", "test"):
        got = bpemb_run["splits"][split]
        assert {k: (r["label"], r["text"]) for k, r in got.items()} == expected[split], split
        ids = encoder.encode_py([text for _, text in expected[split].values()])
        for key, want in zip(expected[split], ids):
            assert got[key]["token_ids"] == want and got[key]["length"] == len(want)
            assert 0 not in want
    assert len(bpemb_run["splits"]["valid"]) > 0


def test_digits_become_zero_and_ids_are_sentencepiece_ids_plus_one(bpemb_run, inputs, real_data_dir):
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(_bpemb_dir(real_data_dir) / VS1000))
    key = f"train.csv:{inputs['lines']['train.csv'].index(DIGITS_ROW) + 1}"
    record = (bpemb_run["splits"]["train"].get(key) or bpemb_run["splits"]["valid"][key])
    # BPEmb's own preprocessing, in Python: lower-case, every digit -> 0 (after the AG News repair).
    repaired = normalize_text([record["text"]], lowercase=False).numpy()[0].decode("utf-8")
    preprocessed = re.sub(r"\d", "0", repaired.lower())
    assert "0000" in preprocessed and "2004" not in preprocessed
    assert record["token_ids"] == [i + 1 for i in sp.encode(preprocessed)]


def test_embedding_rows_are_the_shifted_bpemb_vectors(bpemb_run, real_data_dir):
    from gensim.models import KeyedVectors

    d = _bpemb_dir(real_data_dir)
    kv = KeyedVectors.load_word2vec_format(str(d / VS1000_VECTORS), binary=True)
    matrix = np.load(os.path.join(bpemb_run["out"], "embedding.npy"))
    assert matrix.dtype == np.float32 and matrix.shape == (1001, 25)
    assert not matrix[0].any()
    np.testing.assert_array_equal(matrix[1:], kv.vectors)
    assert kv.index_to_key[0] == "<unk>"  # BPEmb's <unk> (piece 0) is our id 1
    emb = bpemb_run["meta"]["embedding"]
    assert emb["pretrained"] is True and emb["trained_from_random"] is False
    assert emb["dim"] == 25 and emb["shape"] == [1001, 25] and emb["file"] == "embedding.npy"
    assert emb["id_offset"] == 1 and emb["source"] == str(d / VS1000_VECTORS)
    assert emb["files"]["vectors"]["sha256"] == hashlib.sha256((d / VS1000_VECTORS).read_bytes()).hexdigest()


def test_metadata_records_the_tokenizer_and_the_model_travels_with_the_records(bpemb_run, real_data_dir):
    meta, out = bpemb_run["meta"], bpemb_run["out"]
    model = (_bpemb_dir(real_data_dir) / VS1000).read_bytes()
    assert meta == read_metadata(out)
    assert pathlib.Path(out, VS1000).read_bytes() == model
    assert not os.path.exists(os.path.join(out, "vocab.txt"))
    tok = meta["tokenizer"]
    assert tok["kind"] == "bpemb" and tok["vocab_file"] is None
    assert tok["extra"]["model_file"] == VS1000 and tok["extra"]["id_offset"] == 1
    assert tok["extra"]["model_sha256"] == hashlib.sha256(model).hexdigest()
    assert tok["extra"]["bpemb"] == {"lang": "en", "vs": 1000, "dim": 25}
    assert (meta["vocab_size"], meta["pad_id"], meta["unk_id"]) == (1001, 0, 1)
    assert meta["options"]["tokenizer"] == "bpemb"
    # Prediction rebuilds the same encoder from the output folder alone.
    encoder = encoder_from_metadata(meta, out)
    record = next(iter(bpemb_run["splits"]["test"].values()))
    assert encoder.encode_py([record["text"]]) == [record["token_ids"]]


def test_counts_lengths_and_rejections(bpemb_run, inputs):
    meta = bpemb_run["meta"]
    for split in ("train", "valid", "test"):
        rows = bpemb_run["splits"][split]
        assert meta["splits"][split] == len(rows)
        assert meta["read"][split] == meta["splits"][split] + meta["rejected"][split]
        lengths = [r["length"] for r in rows.values()]
        hist = {str(n): lengths.count(n) for n in sorted(set(lengths))}
        assert meta["length_histogram"][split] == hist
        assert meta["length_stats"][split]["mean"] == pytest.approx(np.mean(lengths))
    assert meta["bucket_boundaries"] == bucketing.suggest_bucket_boundaries(meta["length_histogram"]["train"], batch_size=128)
    reasons = sorted((r["line"], r["reason"].split(":")[0]) for r in read_rejected(bpemb_run["out"]))
    lines = inputs["lines"]["train.csv"]
    assert reasons == [(lines.index(NO_TEXT_ROW) + 1, "no tokens"), (lines.index(BAD_LABEL_ROW) + 1, "label out of range")]


@pytest.mark.parametrize("run_name", ["bpemb_run", "word_run"])
def test_unknown_token_rate_is_the_share_of_unk_ids(run_name, request):
    run = request.getfixturevalue(run_name)
    for split in ("train", "valid", "test"):
        ids = [i for r in run["splits"][split].values() for i in r["token_ids"]]
        assert run["meta"]["token_counts"][split] == {"tokens": len(ids), "unk": ids.count(1)}
        assert run["meta"]["unk_rate"][split] == pytest.approx(ids.count(1) / len(ids))
    if run_name == "word_run":  # a 50-word vocabulary leaves many words unknown
        assert run["meta"]["unk_rate"]["test"] > 0.2


def test_both_tokenizers_put_the_same_rows_in_each_split(bpemb_run, word_run):
    assert word_run["meta"]["tokenizer"]["kind"] == "word" and word_run["meta"]["options"]["tokenizer"] == "word"
    for split in ("train", "valid", "test"):
        bpemb_rows = {k: (r["label"], r["text"]) for k, r in bpemb_run["splits"][split].items()}
        word_rows = {k: (r["label"], r["text"]) for k, r in word_run["splits"][split].items()}
        assert bpemb_rows == word_rows, split
        assert bpemb_run["meta"]["splits"][split] == word_run["meta"]["splits"][split]
    # Subwords are more, shorter tokens than words.
    assert bpemb_run["meta"]["length_stats"]["train"]["mean"] > word_run["meta"]["length_stats"]["train"]["mean"]


def test_model_without_vectors_gets_a_random_trained_embedding(novec_run, bpemb_run, real_data_dir):
    meta, out = novec_run["meta"], novec_run["out"]
    matrix = np.load(os.path.join(out, "embedding.npy"))
    assert matrix.shape == (10_001, 16) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, bpemb_assets.random_embedding_matrix(10_001, 16, seed=7))
    assert not matrix[0].any() and np.abs(matrix[1:]).max() <= 0.05 and (matrix[1:] != 0).all()
    emb = meta["embedding"]
    assert emb["pretrained"] is False and emb["trained_from_random"] is True and emb["seed"] == 7
    assert emb["dim"] == 16 and emb["files"]["vectors"] is None
    assert "initialised randomly" in emb["description"]
    assert any(f"no vectors for {_bpemb_dir(real_data_dir) / VS10000}: embedding initialised randomly and trained" in m
               for m in novec_run["log"])
    assert not any("no vectors" in m for m in bpemb_run["log"])
    assert meta["vocab_size"] == 10_001 and meta["tokenizer"]["extra"]["bpemb"] == {"lang": "en", "vs": 10_000, "dim": 16}
    assert pathlib.Path(out, VS10000).is_file()
    encoder = BPEmbEncoder((_bpemb_dir(real_data_dir) / VS10000).read_bytes())
    for split in ("train", "test"):
        rows = novec_run["splits"][split]
        assert [r["token_ids"] for r in rows.values()] == encoder.encode_py([r["text"] for r in rows.values()])
    # 10,000 pieces cut words into fewer pieces than 1,000 do.
    assert meta["length_stats"]["train"]["mean"] < bpemb_run["meta"]["length_stats"]["train"]["mean"]


def _argv(inputs, out, *extra):
    return ["--input_dir", str(inputs["dir"]), "--output_dir", str(out), *extra]


@pytest.mark.parametrize("extra, message", [
    (["--tokenizer", "bpemb", "--bpemb_vectors", "v.bin"], "--bpemb_vectors needs --bpemb_model"),
    (["--bpemb_model", "m.model"], "--bpemb_model: BPEmb flags need --tokenizer bpemb"),
    (["--tokenizer", "word", "--bpemb_dim", "100"], "--bpemb_dim: BPEmb flags need --tokenizer bpemb"),
    (["--tokenizer", "bpemb", "--glove", "g.txt"], "--glove is for --tokenizer word"),
    (["--tokenizer", "bpemb", "--bpemb_model", "m.model", "--bpemb_no_download"], "--bpemb_model reads local files"),
])
def test_flag_combinations_that_do_not_fit(inputs, tmp_path, extra, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metadata.json").write_text("{}")  # an earlier output: a usage error must not delete it
    with pytest.raises(agnews.UsageError, match=re.escape(message)):
        agnews.run(_argv(inputs, out, *extra))
    assert (out / "metadata.json").exists()


def test_bpemb_files_that_do_not_fit(inputs, real_data_dir, tmp_path):
    d = _bpemb_dir(real_data_dir)
    with pytest.raises(agnews.UsageError, match=r"has 1000 vectors but .*vs10000.model has 10000 pieces"):
        agnews.run(_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_model", str(d / VS10000),
                         "--bpemb_vectors", str(d / VS1000_VECTORS)))
    with pytest.raises(agnews.UsageError, match=r"--bpemb_dim 50, but .*d25.w2v.bin has 25-dimensional vectors"):
        agnews.run(_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_model", str(d / VS1000),
                         "--bpemb_vectors", str(d / VS1000_VECTORS), "--bpemb_dim", "50"))
    with pytest.raises(agnews.UsageError, match=r"--bpemb_vs 10000, but .*vs1000.model has 1000 pieces"):
        agnews.run(_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_model", str(d / VS1000), "--bpemb_vs", "10000"))
    with pytest.raises(FileNotFoundError, match=re.escape(f"{tmp_path / 'missing.model'}: BPEmb model file not found")):
        agnews.run(_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_model", str(tmp_path / "missing.model")))
    with pytest.raises(agnews.UsageError, match="not a SentencePiece model"):
        agnews.run(_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_model", str(d / VS1000_VECTORS)))


def test_bpemb_package_route_uses_its_cache(inputs, real_data_dir, tmp_path):
    """``--bpemb_lang/--bpemb_vs/--bpemb_dim`` resolve through the bpemb package's cache layout, offline."""
    d = _bpemb_dir(real_data_dir)
    cache = tmp_path / "cache"
    with pytest.raises(FileNotFoundError, match=f"BPEmb files missing from the cache {cache}"):
        agnews.run(_argv(inputs, tmp_path / "out", "--tokenizer", "bpemb", "--bpemb_vs", "1000", "--bpemb_dim", "25",
                         "--bpemb_cache_dir", str(cache), "--bpemb_no_download"))
    (cache / "en").mkdir(parents=True)
    shutil.copy(d / VS1000, cache / "en" / VS1000)
    shutil.copy(d / VS1000_VECTORS, cache / "en" / VS1000_VECTORS)
    args, _ = agnews.build_parser().parse_known_args(_argv(
        inputs, tmp_path / "out", "--tokenizer", "bpemb", "--bpemb_lang", "en", "--bpemb_vs", "1000",
        "--bpemb_dim", "25", "--bpemb_cache_dir", str(cache), "--bpemb_no_download"))
    assets = agnews._bpemb_assets(args)
    assert assets.source == "bpemb-cache" and assets.model_proto == (d / VS1000).read_bytes()
    assert assets.vectors.shape == (1000, 25)


def test_earlier_bpemb_model_file_is_cleaned_with_the_other_outputs(tmp_path):
    (tmp_path / "metadata.json").write_text('{"tokenizer": {"extra": {"model_file": "old.wiki.bpe.vs5.model"}}}')
    (tmp_path / "old.wiki.bpe.vs5.model").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    agnews._clean_outputs(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_command_line_error_is_one_line(inputs, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.agnews", *_argv(inputs, tmp_path, "--tokenizer", "bpemb", "--bpemb_vectors", "v.bin")],
        capture_output=True, text=True, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "pipelines.agnews: error: --bpemb_vectors needs --bpemb_model (the SentencePiece .model file the vectors belong to)")
    assert "Traceback" not in result.stderr
