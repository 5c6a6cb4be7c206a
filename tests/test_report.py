"""report.md from measured numbers; disagreement examples matched by id."""
import numpy as np
import pytest

from rnnmodels.evaluate import classification_metrics, confusion_matrix
from rnnmodels.report import count_agreement, disagreements, render_report, write_report

CLASSES = ["World", "Sports", "Business", "Sci/Tech"]


def _run(ids, labels, probs, texts=None):
    probs = np.asarray(probs, dtype=np.float32)
    return {"ids": list(ids), "labels": np.asarray(labels), "probs": probs,
            "predictions": probs.argmax(axis=1), "texts": texts or [f"text of {i}" for i in ids]}


ADV = _run(["a", "b", "c", "d"], [0, 1, 2, 3],
           [[.9, .1, 0, 0], [.2, .7, .1, 0], [.6, 0, .4, 0], [0, 0, .3, .7]])
# Baseline in another order: wrong on "b" (prob of true class .3) and "d" (.45), right on "c".
BASE = _run(["d", "c", "b", "a"], [3, 2, 1, 0],
            [[0, 0, .55, .45], [0, 0, .8, .2], [.7, .3, 0, 0], [.8, .2, 0, 0]],
            texts=["text of d", "text of c", "text of b", "text of a"])


def test_disagreements_matched_by_id_and_sorted_by_margin():
    rows = disagreements(BASE, ADV, CLASSES)  # baseline wrong, advanced right
    # margins: b .7-.3=.4 ; d .7-.45=.25
    assert [r["id"] for r in rows] == ["b", "d"]
    assert rows[0] == {"id": "b", "text": "text of b", "true": "Sports", "first_pred": "World",
                       "first_prob": pytest.approx(0.7), "second_pred": "Sports", "second_prob": pytest.approx(0.7)}
    reverse = disagreements(ADV, BASE, CLASSES)
    assert [r["id"] for r in reverse] == ["c"]
    assert reverse[0]["first_pred"] == "World" and reverse[0]["second_pred"] == "Business"
    assert disagreements(BASE, ADV, CLASSES, limit=1)[0]["id"] == "b"


def test_count_agreement():
    assert count_agreement(ADV, BASE) == {"both_right": 1, "only_first_right": 2, "only_second_right": 1, "both_wrong": 0}


def test_disagreements_reject_mismatched_runs():
    other = _run(["a", "b", "c", "x"], [0, 1, 2, 3], ADV["probs"])
    with pytest.raises(ValueError, match="one model only"):
        disagreements(other, ADV, CLASSES)
    relabelled = _run(["a", "b", "c", "d"], [1, 1, 2, 3], ADV["probs"])
    with pytest.raises(ValueError, match="label"):
        disagreements(relabelled, BASE, CLASSES)


def _metrics():
    def model(run, params):
        test = classification_metrics(confusion_matrix(run["labels"], run["predictions"], 4), CLASSES)
        return {"test": test, "params": params, "config": {"hidden_units": 8},
                "training": {"epochs_run": 3, "best_epoch": 1, "best_val_accuracy": 0.5, "train_seconds": 12.0,
                             "step_time_median_s": 0.0123, "examples_per_second": 456.0}}
    return {
        "run": {"command": "python -m rnnmodels.train --output_dir X", "wall_seconds": 99.0, "finished": "today"},
        "data": {"data_dir": "X/data", "reused": False, "splits": {"train": 10, "valid": 2, "test": 4},
                 "class_names": CLASSES, "vocab_size": 12, "tokenizer": {"kind": "word", "normalizer": "agnews-v1"},
                 "embedding": {"source": "glove", "dim": 50, "coverage": 0.9},
                 "inputs": {"train.csv": {"bytes": 100, "sha256": "ab" * 32}}},
        "models": {"advanced": model(ADV, 1234), "baseline": model(BASE, 56)},
    }


def test_report_renders_measured_numbers(tmp_path):
    metrics = _metrics()
    examples = {"baseline_wrong_advanced_right": disagreements(BASE, ADV, CLASSES),
                "advanced_wrong_baseline_right": disagreements(ADV, BASE, CLASSES),
                "agreement": count_agreement(ADV, BASE)}
    path = write_report(str(tmp_path / "report.md"), metrics, examples=examples,
                        figures={"advanced: learning curves": "history_advanced.png"})
    text = open(path, encoding="utf-8").read()
    adv_acc = metrics["models"]["advanced"]["test"]["accuracy"]  # 3 of 4
    base_acc = metrics["models"]["baseline"]["test"]["accuracy"]  # 2 of 4
    assert adv_acc == 0.75 and base_acc == 0.5
    assert "| advanced | 75.00% |" in text and "| baseline | 50.00% |" in text
    assert f"{100 * metrics['models']['advanced']['test']['macro_f1']:.2f}%" in text
    assert "python -m rnnmodels.train --output_dir X" in text
    assert "![advanced: learning curves](history_advanced.png)" in text
    assert "text of b" in text and "text of c" in text
    assert "only the advanced model right 2" in text
    assert "1,234 parameters" in text
    assert "ab" * 32 in text


def test_report_escapes_table_cells():
    metrics = _metrics()
    row = disagreements(BASE, ADV, CLASSES)[0]
    row["text"] = "pipes | inside\nand newlines"
    text = render_report(metrics, examples={"baseline_wrong_advanced_right": [row]})
    assert "pipes \\| inside and newlines" in text
    assert "(none)" in text  # the other direction has no rows given
