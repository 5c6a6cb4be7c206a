"""rnnmodels.compare_tokenizers: the figures, the generated text, and a tiny comparison run.

The unit tests feed hand-made figures; the end-to-end run (slow) trains a tiny model for one
epoch on a few hundred real AG News rows with GloVe words and with the real BPEmb ``vs1000``
model and vectors, then checks ``comparison.json`` against the runs' own files and against
figures recomputed here from the records.
"""
from __future__ import annotations

import glob
import json
import os

import numpy as np
import pytest

from rnnmodels import compare_tokenizers as ct


def _variant(acc, f1, unk, tokens, mean, p95, eff, padded, params, emb_params, sec, kind, pretrained=True):
    return {
        "tokenizer": {"kind": kind, "vocab_size": emb_params // 50, "model_file": None},
        "embedding": {"source": "src", "dim": 50, "shape": [emb_params // 50, 50], "pretrained": pretrained,
                      "trained_from_random": not pretrained},
        "test_accuracy": acc, "test_macro_f1": f1, "unk_rate_test": unk / tokens, "unk_tokens_test": unk,
        "tokens_test": tokens,
        "length_stats": {s: {"count": 10, "mean": mean, "p50": int(mean), "p95": p95, "max": p95 + 5} for s in ("train", "test")},
        "padding_train": {"efficiency": eff, "real_tokens": int(padded * eff), "padded_tokens": padded, "batches": 3,
                          "batch_size": 4, "bucket_boundaries": [5]},
        "params": {"total": params, "embedding": emb_params},
        "training": {"epochs_run": 2, "best_epoch_number": 1, "seconds_per_epoch": sec, "epoch_seconds": [sec, sec],
                     "step_time_median_s": 0.1, "examples_per_second": 100.0, "steps_per_epoch": 3},
        "baseline": {"test_accuracy": 0.5, "test_macro_f1": 0.5},
        "splits": {"train": 10, "valid": 2, "test": 4},
    }


@pytest.fixture
def comparison():
    v = {"glove": _variant(0.8, 0.79, 250, 1000, 40.0, 70, 0.95, 20_000, 600_000, 500_100, 100.0, "word"),
         "bpemb": _variant(0.835, 0.83, 1, 2000, 60.0, 90, 0.97, 30_000, 650_000, 500_050, 150.0, "bpemb", False)}
    rows = {s: {"glove": 5, "bpemb": 5, "identical": True, "only_glove": 0, "only_bpemb": 0} for s in ("train", "valid", "test")}
    return {"commands": {"glove": "python -m rnnmodels.train g", "bpemb": "python -m rnnmodels.train b"},
            "settings": {"epochs": 2}, "machine": "m", "finished": "now", "same_rows": rows,
            "variants": v, "differences": ct.differences(v)}


def test_differences_are_bpemb_minus_glove(comparison):
    d = comparison["differences"]
    assert d["test_accuracy_points"] == pytest.approx(3.5)
    assert d["test_macro_f1_points"] == pytest.approx(4.0)
    assert d["unk_rate_test_points"] == pytest.approx(100 * (1 / 2000 - 250 / 1000))
    assert d["mean_train_length_ratio"] == pytest.approx(1.5)
    assert d["padding_efficiency_points"] == pytest.approx(2.0)
    assert d["padded_tokens_ratio"] == pytest.approx(1.5)
    assert d["seconds_per_epoch_ratio"] == pytest.approx(1.5)


def test_markdown_restates_the_numbers(comparison):
    md = ct.render_markdown(comparison)
    assert "BPEmb test accuracy 0.8350 vs GloVe 0.8000 (difference +3.50 points)" in md
    assert "macro F1 0.8300 vs 0.7900 (+4.00 points)" in md
    assert "25.00% of GloVe word ids (250 of 1,000) vs 0.05% of BPEmb subword ids (1 of 2,000)" in md
    assert "1.50 times as long with BPEmb (mean 60.0 vs 40.0 ids; p95 90 vs 70)" in md
    assert "97.0% real tokens with BPEmb vs 95.0% with GloVe" in md
    assert "150.0 s per epoch with BPEmb vs 100.0 s with GloVe (x1.50)" in md
    assert "random initialisation (no vectors), trained" in md
    assert "| epochs run (epoch kept) | 2 (1) | 2 (1) |" in md
    assert "do not hold identical rows" not in md
    comparison["same_rows"]["test"].update(identical=False, only_glove=1)
    assert "test: 1 only in GloVe, 0 only in BPEmb" in ct.render_markdown(comparison)


def test_length_stats_use_nearest_rank():
    stats = ct.length_stats(np.array([5, 1, 2, 3, 4, 6, 7, 8, 9, 100]))
    assert stats == {"count": 10, "mean": 14.5, "p50": 5, "p95": 100, "max": 100}


def test_owned_flags_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        ct.run(["--output_dir", str(tmp_path), "--tokenizer", "bpemb"])


def test_variant_arguments(tmp_path):
    args, rest = ct.build_parser().parse_known_args(
        ["--output_dir", str(tmp_path), "--epochs", "1", "--bpemb_model", "m.model", "--bpemb_dim", "25"])
    assert ct.variant_argv("glove", args, rest) == ["--epochs", "1", "--output_dir", str(tmp_path / "glove"), "--tokenizer", "glove"]
    assert ct.variant_argv("bpemb", args, rest) == [
        "--epochs", "1", "--output_dir", str(tmp_path / "bpemb"), "--tokenizer", "bpemb",
        "--bpemb_model", "m.model", "--bpemb_dim", "25"]


@pytest.mark.slow
def test_tiny_comparison_on_real_rows(real_data_dir, sample_dir, tmp_path):
    """Both variants on the same real rows (BPEmb: the real vs1000 model and 25-d vectors)."""
    import subprocess
    import sys

    import tensorflow as tf

    from tests.test_train_end_to_end import TINY, _env

    bpemb_dir = real_data_dir / "bpemb" / "en"
    out = tmp_path / "compare"
    cmd = [sys.executable, "-m", "rnnmodels.compare_tokenizers", "--output_dir", str(out),
           "--bpemb_model", str(bpemb_dir / "en.wiki.bpe.vs1000.model"),
           "--bpemb_vectors", str(bpemb_dir / "en.wiki.bpe.vs1000.d25.w2v.bin"),
           "--input_dir", str(sample_dir), "--epochs", "1", "--baseline_epochs", "1", *TINY]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    comparison = json.loads((out / "comparison.json").read_text())
    md = (out / "comparison.md").read_text()
    test_rows = len((sample_dir / "test.csv").read_bytes().splitlines())

    for split, rows in comparison["same_rows"].items():
        assert rows["identical"] and rows["glove"] == rows["bpemb"] > 0, split
    assert comparison["same_rows"]["test"]["glove"] == test_rows
    for variant in ct.VARIANTS:
        v = comparison["variants"][variant]
        metrics = json.loads((out / variant / "metrics.json").read_text())
        assert metrics["data"]["tokenizer"]["kind"] == {"glove": "word", "bpemb": "bpemb"}[variant]
        assert v["test_accuracy"] == metrics["models"]["advanced"]["test_accuracy"]
        assert v["params"]["total"] == metrics["models"]["advanced"]["params"]
        assert v["training"]["best_epoch_number"] == metrics["models"]["advanced"]["training"]["best_epoch"] + 1
        # Recount the test ids and <unk> (id 1) straight from the shards.
        lengths, unk = [], 0
        for path in glob.glob(os.path.join(v["data_dir"], "test-*.tfrecord")):
            for raw in tf.data.TFRecordDataset(path):
                ids = tf.train.Example.FromString(raw.numpy()).features.feature["token_ids"].int64_list.value
                lengths.append(len(ids))
                unk += sum(1 for i in ids if i == 1)
        assert len(lengths) == test_rows
        assert v["tokens_test"] == sum(lengths) and v["unk_tokens_test"] == unk
        assert v["length_stats"]["test"]["max"] == max(lengths)
        assert v["length_stats"]["test"]["mean"] == pytest.approx(np.mean(lengths))
        assert 0 < v["padding_train"]["efficiency"] <= 1
        assert f"{v['test_accuracy']:.4f}" in md
    assert comparison["variants"]["bpemb"]["embedding"]["dim"] == 25
    # Subwords: far fewer unknown tokens than words outside a vocabulary of a few hundred rows.
    assert comparison["variants"]["bpemb"]["unk_rate_test"] < comparison["variants"]["glove"]["unk_rate_test"]

    # predict works on the BPEmb run folder, with the subword model copied into it.
    proc = subprocess.run([sys.executable, "-m", "rnnmodels.predict", "--model_dir", str(out / "bpemb"), "--json",
                           "Chad asks the IMF for a loan to pay for refugees from Darfur in 2004"],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["predicted"] in ("World", "Sports", "Business", "Sci/Tech")
    assert min(result["token_ids"]) >= 1

    # Running it again reuses both trainings and rewrites the same figures.
    again = ct.run(cmd[3:])
    assert again["variants"]["bpemb"]["test_accuracy"] == comparison["variants"]["bpemb"]["test_accuracy"]
