"""Evaluating a classifier on a split: predictions, confusion matrix, accuracy, precision/recall/F1.

The metrics are computed from the confusion matrix (rows = true class, columns = predicted
class), so every figure in ``metrics.json`` can be re-derived from the matrix stored beside it.
A class that is never predicted has precision 0 (and a class absent from the data recall 0)
rather than NaN, the usual "zero division = 0" convention.

Example:

>>> m = classification_metrics(confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], 2), ["a", "b"])
>>> round(m["accuracy"], 2), round(m["per_class"]["b"]["precision"], 4)
(0.75, 0.6667)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Args:
        y_true: true class indices, each in ``[0, num_classes)``.
        y_pred: predicted class indices, same length.
        num_classes: number of classes.

    Returns:
        int64 array of shape ``(num_classes, num_classes)``; ``[i, j]`` counts examples of
        class ``i`` predicted as ``j``.
    """
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} holds class {int(y.min() if y.min() < 0 else y.max())}, outside [0, {num_classes})")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def classification_metrics(confusion: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy, macro averages and per-class precision / recall / F1 from a confusion matrix.

    Args:
        confusion: square count matrix from :func:`confusion_matrix`.
        class_names: one name per class, in class-index order.

    Returns:
        A JSON-serialisable dict: ``examples``, ``accuracy``, ``macro_precision``,
        ``macro_recall``, ``macro_f1`` (unweighted mean of the per-class F1 scores),
        ``per_class`` (``{name: {"precision", "recall", "f1", "support"}}``),
        ``class_names`` and ``confusion_matrix`` (nested lists, rows = true class).
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion matrix must be square, got shape {confusion.shape}")
    if len(class_names) != confusion.shape[0]:
        raise ValueError(f"{len(class_names)} class names for a {confusion.shape[0]}-class confusion matrix")
    total = int(confusion.sum())
    if total == 0:
        raise ValueError("confusion matrix is empty (no examples were evaluated)")
    true_pos = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    precision = _safe_divide(true_pos, predicted)
    recall = _safe_divide(true_pos, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return {
        "examples": total,
        "accuracy": float(true_pos.sum() / total),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "per_class": {
            str(name): {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_names)
        },
        "class_names": [str(n) for n in class_names],
        "confusion_matrix": confusion.tolist(),
    }


def predict_dataset(model, dataset, *, total_batches: int | None = None, desc: str = "predict") -> dict:
    """Runs ``model`` over a dataset of ``input_fn`` batches, keeping ids and texts alongside.

    Args:
        model: a Keras classifier taking int token ids ``(B, T)`` and returning class
            probabilities ``(B, C)``.
        dataset: ``tf.data.Dataset`` of ``({"token_ids", "id", "text"}, labels)`` (as made by
            ``input_fn(..., include_fields=("id", "text"))``) or of ``(token_ids, labels)``;
            labels one-hot ``(B, C)`` or sparse ``(B,)``.
        total_batches: number of batches, for the progress bar (optional).
        desc: progress bar label.

    Returns:
        ``{"labels": int64[N], "probs": float32[N, C], "predictions": int64[N],
        "ids": list[str], "texts": list[str]}`` (``ids`` / ``texts`` empty strings when the
        dataset does not carry them), in dataset order.
    """
    from tqdm import tqdm

    labels, probs, ids, texts = [], [], [], []
    for features, batch_labels in tqdm(dataset, total=total_batches, desc=desc, unit="batch"):
        if isinstance(features, dict):
            token_ids = features["token_ids"]
            batch_ids = features.get("id")
            batch_texts = features.get("text")
        else:
            token_ids, batch_ids, batch_texts = features, None, None
        batch_probs = np.asarray(model.predict_on_batch(token_ids))
        batch_labels = np.asarray(batch_labels)
        if batch_labels.ndim == 2:
            batch_labels = batch_labels.argmax(axis=-1)
        n = batch_probs.shape[0]
        probs.append(batch_probs.astype(np.float32))
        labels.append(batch_labels.astype(np.int64))
        ids.extend(_strings(batch_ids, n))
        texts.extend(_strings(batch_texts, n))
    if not probs:
        raise ValueError("the dataset yielded no batches")
    probs_arr = np.concatenate(probs)
    return {
        "labels": np.concatenate(labels),
        "probs": probs_arr,
        "predictions": probs_arr.argmax(axis=-1).astype(np.int64),
        "ids": ids,
        "texts": texts,
    }


def _strings(tensor, n: int) -> list[str]:
    if tensor is None:
        return [""] * n
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(tensor).tolist()]
