"""Scores for the stock forecasts: RMSE / MAE, binary accuracy / F1, and an exact binomial test.

Plain numpy and ``math`` so every figure in ``metrics.json`` can be checked by hand.

Example::

    >>> rmse([1.0, 2.0], [1.0, 4.0]), mae([1.0, 2.0], [1.0, 4.0])
    (1.4142135623730951, 1.0)
    >>> binary_scores([1, 0, 1, 1], [1, 1, 1, 0])["f1"]
    0.6666666666666666
    >>> round(binomial_p_value(8, 10, 0.5), 4)   # P(X >= 8), X ~ Binomial(10, 0.5)
    0.0547
"""
from __future__ import annotations

import math

import numpy as np


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64).reshape(-1)
    b = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"y_true has {a.size} values, y_pred {b.size}")
    if a.size == 0:
        raise ValueError("no values to score")
    return a, b


def rmse(y_true, y_pred) -> float:
    """Root mean squared error.

    Args:
        y_true: actual values.
        y_pred: predictions (same number of values).

    Returns:
        ``sqrt(mean((y_pred - y_true) ** 2))``.
    """
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((b - a) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error.

    Args:
        y_true: actual values.
        y_pred: predictions.

    Returns:
        ``mean(|y_pred - y_true|)``.
    """
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(b - a)))


def binary_scores(y_true, y_pred) -> dict:
    """Accuracy, precision, recall and F1 of the positive class (1 = up).

    Args:
        y_true: 0/1 labels.
        y_pred: 0/1 predictions.

    Returns:
        ``{"n", "correct", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn",
        "predicted_up_rate"}``; precision/recall/F1 are 0.0 when undefined (no predicted or
        no actual positives).
    """
    a, b = _pair(y_true, y_pred)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("binary_scores needs 0/1 labels and predictions")
    tp = int(np.sum((a == 1) & (b == 1)))
    fp = int(np.sum((a == 0) & (b == 1)))
    tn = int(np.sum((a == 0) & (b == 0)))
    fn = int(np.sum((a == 1) & (b == 0)))
    n = tp + fp + tn + fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {
        "n": n, "correct": tp + tn, "accuracy": (tp + tn) / n, "precision": precision, "recall": recall, "f1": f1,
        "tp": tp, "fp": fp, "tn": tn, "fn": fn, "predicted_up_rate": (tp + fp) / n,
    }


def binomial_p_value(successes: int, trials: int, p: float) -> float:
    """One-sided exact binomial test: ``P(X >= successes)`` for ``X ~ Binomial(trials, p)``.

    The chance of doing at least this well by guessing with success rate ``p`` (e.g. a coin,
    ``p = 0.5``).  Terms are summed in log space (``math.lgamma``), so large ``trials`` do not
    overflow.

    Args:
        successes: correct predictions, ``0 <= successes <= trials``.
        trials: predictions made (>= 1).
        p: success probability under the null hypothesis, in [0, 1].

    Returns:
        The p-value in [0, 1].
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}, {trials}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if successes == 0 or p == 1.0:
        return 1.0
    if p == 0.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(trials + 1)
    logs = [
        log_n - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + k * log_p + (trials - k) * log_q
        for k in range(successes, trials + 1)
    ]
    top = max(logs)
    return float(min(1.0, math.exp(top) * math.fsum(math.exp(v - top) for v in logs)))
