"""The predict CLI: texts from arguments or stdin, unknown words -> <unk>, clear errors."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnnmodels import create_advanced_rnn, create_bow_model
from rnnmodels.predict import main
from tfrecords.metadata import write_metadata
from tfrecords.tokenizer import TokenizerConfig, write_vocab

CLASSES = ["World", "Sports", "Business", "Sci/Tech"]
VOCAB = ["<pad>", "<unk>", "oil", "price", "team", "wins", "$"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    write_vocab(str(d / "vocab.txt"), VOCAB)
    write_metadata(str(d), {
        "dataset": "ag_news", "record_kind": "text", "splits": {"train": 1, "valid": 1, "test": 1},
        "class_names": CLASSES, "num_classes": 4, "vocab_size": len(VOCAB), "pad_id": 0, "unk_id": 1,
        "tokenizer": TokenizerConfig().to_dict(), "bucket_boundaries": [],
    })
    embedding = np.random.default_rng(0).normal(size=(len(VOCAB), 4)).astype("float32")
    create_advanced_rnn(embedding, 4, hidden_units=4, num_layers=1, dense_units=(4,)).save(str(d / "model.keras"))
    create_bow_model(embedding, 4, hidden_units=4).save(str(d / "baseline.keras"))
    return d


def _expected(run_dir, ids, name="model.keras"):
    import keras
    import rnnmodels  # noqa: F401  (registers the custom layers)
    model = keras.models.load_model(str(run_dir / name), safe_mode=True, compile=False)
    width = max(len(r) for r in ids)
    padded = np.array([r + [0] * (width - len(r)) for r in ids], dtype="int32")
    return np.asarray(model.predict_on_batch(padded))


def _run(argv, stdin_text=""):
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv, stdin=io.StringIO(stdin_text), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def test_texts_from_arguments(run_dir):
    rc, out, err = _run(["--model_dir", str(run_dir), "Oil price", "team WINS"])
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    expected = _expected(run_dir, [[2, 3], [4, 5]])
    for line, p, text in zip(lines, expected, ["Oil price", "team WINS"]):
        predicted, probs, shown = line.split("\t")
        assert predicted == CLASSES[int(p.argmax())]
        assert shown == text
        parsed = dict(item.split("=") for item in probs.split(" "))
        assert list(parsed) == CLASSES
        assert [float(v) for v in parsed.values()] == pytest.approx(p.tolist(), abs=1e-4)


def test_texts_from_stdin_and_dash(run_dir):
    rc, out, _ = _run(["--model_dir", str(run_dir), "--json"], "Oil price\nteam wins\n")
    rc_dash, out_dash, _ = _run(["--model_dir", str(run_dir), "--json", "-"], "Oil price\nteam wins\n")
    assert rc == rc_dash == 0
    assert out == out_dash
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in results] == ["Oil price", "team wins"]
    assert [r["token_ids"] for r in results] == [[2, 3], [4, 5]]
    expected = _expected(run_dir, [[2, 3], [4, 5]])
    for r, p in zip(results, expected):
        assert [r["probabilities"][c] for c in CLASSES] == pytest.approx(p.tolist(), abs=1e-5)
        assert r["predicted"] == CLASSES[int(p.argmax())]


def test_unknown_words_map_to_unk(run_dir):
    rc, out, _ = _run(["--model_dir", str(run_dir), "--json", "Zebras eat oil at #36;5"])
    assert rc == 0
    result = json.loads(out)
    # zebras, eat, at, 5 are not in the vocabulary; "#36;" is normalized to "$" (id 6).
    assert result["token_ids"] == [1, 1, 2, 1, 6, 1]
    assert result["unknown_tokens"] == 4
    p = _expected(run_dir, [[1, 1, 2, 1, 6, 1]])[0]
    assert [result["probabilities"][c] for c in CLASSES] == pytest.approx(p.tolist(), abs=1e-5)


def test_baseline_model_option(run_dir):
    rc, out, _ = _run(["--model_dir", str(run_dir), "--model", "baseline", "--json", "oil"])
    assert rc == 0
    p = _expected(run_dir, [[2]], "baseline.keras")[0]
    assert [json.loads(out)["probabilities"][c] for c in CLASSES] == pytest.approx(p.tolist(), abs=1e-5)


@pytest.mark.parametrize("argv_tail, stdin_text, message", [
    ([], "", "no input text"),
    (["-"], "", "no input text"),
    (["   "], "", "argument 1: the text has no tokens"),
    (["oil", ""], "", "argument 2: the text has no tokens"),
    ([], "oil\n\nprice\n", "standard input line 2: the text has no tokens"),
])
def test_empty_input_is_a_clear_error(run_dir, argv_tail, stdin_text, message):
    rc, out, err = _run(["--model_dir", str(run_dir)] + argv_tail, stdin_text)
    assert rc == 2
    assert out == ""
    assert message in err


def test_incomplete_run_folder(tmp_path, run_dir):
    rc, _, err = _run(["--model_dir", str(tmp_path), "oil"])
    assert rc == 2 and "not a run folder of python -m rnnmodels.train (it has no metadata.json)" in err
    for name in ("metadata.json", "vocab.txt"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    rc, _, err = _run(["--model_dir", str(tmp_path), "oil"])
    assert rc == 2 and "model.keras not found" in err


def test_command_line_entry_point(run_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    ok = subprocess.run([sys.executable, "-m", "rnnmodels.predict", "--model_dir", str(run_dir), "--json"],
                        input="Oil price\n", capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["token_ids"] == [2, 3]
    bad = subprocess.run([sys.executable, "-m", "rnnmodels.predict", "--model_dir", str(run_dir), " "],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "no tokens" in bad.stderr
