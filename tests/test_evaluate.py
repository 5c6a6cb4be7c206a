"""Metrics from a confusion matrix, checked against hand-computed values and Keras' own metrics."""
from fractions import Fraction

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnmodels.evaluate import classification_metrics, confusion_matrix, predict_dataset

# Confusion matrix (rows = true, columns = predicted):
#   [[5, 1, 0],
#    [2, 3, 1],
#    [0, 0, 4]]
Y_TRUE = [0] * 6 + [1] * 6 + [2] * 4
Y_PRED = [0] * 5 + [1] + [0, 0, 1, 1, 1, 2] + [2] * 4


def test_confusion_matrix_counts_pairs():
    cm = confusion_matrix(Y_TRUE, Y_PRED, 3)
    assert cm.tolist() == [[5, 1, 0], [2, 3, 1], [0, 0, 4]]
    assert cm.dtype == np.int64


def test_metrics_match_hand_computed_values():
    m = classification_metrics(confusion_matrix(Y_TRUE, Y_PRED, 3), ["a", "b", "c"])
    # precision = diagonal / column sums (7, 4, 5); recall = diagonal / row sums (6, 6, 4)
    p = [Fraction(5, 7), Fraction(3, 4), Fraction(4, 5)]
    r = [Fraction(5, 6), Fraction(1, 2), Fraction(1, 1)]
    f1 = [Fraction(10, 13), Fraction(3, 5), Fraction(8, 9)]  # 2pr/(p+r), worked by hand
    assert m["examples"] == 16
    assert m["accuracy"] == pytest.approx(12 / 16)
    for name, pi, ri, fi, support in zip("abc", p, r, f1, (6, 6, 4)):
        assert m["per_class"][name]["precision"] == pytest.approx(float(pi))
        assert m["per_class"][name]["recall"] == pytest.approx(float(ri))
        assert m["per_class"][name]["f1"] == pytest.approx(float(fi))
        assert m["per_class"][name]["support"] == support
    assert m["macro_f1"] == pytest.approx(float(sum(f1) / 3))
    assert m["macro_precision"] == pytest.approx(float(sum(p) / 3))
    assert m["macro_recall"] == pytest.approx(float(sum(r) / 3))
    assert m["confusion_matrix"] == [[5, 1, 0], [2, 3, 1], [0, 0, 4]]
    assert m["class_names"] == ["a", "b", "c"]


def test_macro_f1_agrees_with_keras_f1score():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, size=200))
    ours = classification_metrics(confusion_matrix(y_true, y_pred, 4), list("wxyz"))
    metric = keras.metrics.F1Score(average=None, threshold=0.5)
    metric.update_state(np.eye(4, dtype="float32")[y_true], np.eye(4, dtype="float32")[y_pred])
    per_class = np.asarray(metric.result())
    assert [ours["per_class"][c]["f1"] for c in "wxyz"] == pytest.approx(per_class.tolist(), abs=1e-6)
    assert ours["macro_f1"] == pytest.approx(float(per_class.mean()), abs=1e-6)


def test_never_predicted_class_scores_zero_not_nan():
    m = classification_metrics(confusion_matrix([0, 1, 2], [0, 1, 1], 3), ["a", "b", "c"])
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="2 labels"):
        confusion_matrix([0, 1], [0], 3)
    with pytest.raises(ValueError, match="empty"):
        classification_metrics(np.zeros((2, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="class names"):
        classification_metrics(np.eye(2), ["a"])


def test_predict_dataset_keeps_ids_texts_and_order():
    # A fixed "model": class = token id of the first position (ids 0..2), as probabilities.
    inputs = keras.Input((None,), dtype="int32")
    first = keras.layers.Embedding(3, 3, embeddings_initializer="identity")(inputs)[:, 0, :]
    model = keras.Model(inputs, keras.layers.Activation("softmax")(first * 10.0))
    token_ids = tf.constant([[2, 1], [0, 0], [1, 2]], tf.int32)
    features = {"token_ids": token_ids, "id": tf.constant([b"f:1", b"f:2", b"f:3"]),
                "text": tf.constant(["x", "y", "z"])}
    labels = tf.one_hot([2, 1, 1], 3)
    ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(2)
    out = predict_dataset(model, ds, total_batches=2)
    assert out["predictions"].tolist() == [2, 0, 1]
    assert out["labels"].tolist() == [2, 1, 1]
    assert out["ids"] == ["f:1", "f:2", "f:3"]
    assert out["texts"] == ["x", "y", "z"]
    assert out["probs"].shape == (3, 3)
    np.testing.assert_allclose(out["probs"].sum(axis=1), 1.0, rtol=1e-5)
