"""PNG figures for a training run: learning curves and confusion matrices (matplotlib, Agg)."""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_history(history: Mapping[str, Sequence[float]], path: str, *, title: str = "") -> str:
    """Training and validation loss and accuracy per epoch, side by side.

    Args:
        history: per-epoch series as in ``keras.callbacks.History.history`` (``loss``,
            ``val_loss``, ``accuracy``, ``val_accuracy``; missing series are skipped), plus
            optionally ``epoch`` (0-based epoch numbers; default ``0..n-1``).
        path: output PNG file.
        title: figure title.

    Returns:
        ``path``.
    """
    n = len(history.get("loss", []))
    if n == 0:
        raise ValueError("history has no 'loss' values to plot")
    epochs = [int(e) + 1 for e in history.get("epoch", range(n))]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for key, label, style in ((metric, "training", "o-"), (f"val_{metric}", "validation", "s--")):
            values = history.get(key)
            if values:
                ax.plot(epochs[: len(values)], values, style, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    return path


def plot_confusion_matrix(confusion, class_names: Sequence[str], path: str, *, title: str = "") -> str:
    """Confusion matrix as an annotated heat map (rows = true class, columns = predicted).

    Args:
        confusion: square count matrix.
        class_names: one label per class.
        path: output PNG file.
        title: figure title.

    Returns:
        ``path``.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1] or confusion.shape[0] != len(class_names):
        raise ValueError(f"confusion matrix of shape {confusion.shape} does not match {len(class_names)} class names")
    row_share = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    k = len(class_names)
    fig, ax = plt.subplots(figsize=(1.3 * k + 2.5, 1.3 * k + 1.5))
    image = ax.imshow(row_share, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_xticks(range(k), labels=class_names, rotation=30, ha="right")
    ax.set_yticks(range(k), labels=class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{int(confusion[i, j])}", ha="center", va="center",
                    color="white" if row_share[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    _save(fig, path)
    return path


def _save(fig, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
