"""PNG figures of a stock run: test prices in dollars, and training curves (matplotlib, Agg)."""
from __future__ import annotations

import datetime
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_test_prices(dates: Sequence[str], actual, predicted, persistence, path: str, *, ticker: str) -> str:
    """Actual vs predicted closes of one ticker over the test period, in dollars.

    Args:
        dates: ISO target dates.
        actual: actual closes.
        predicted: the regressor's predictions.
        persistence: the persistence forecast (previous close), drawn thin for reference.
        path: output PNG.
        ticker: used in the title.

    Returns:
        ``path``.
    """
    x = [datetime.date.fromisoformat(d) for d in dates]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(x, np.asarray(actual), color="black", linewidth=1.5, label="actual close")
    ax.plot(x, np.asarray(predicted), color="tab:red", linewidth=1.2, label="LSTM prediction")
    ax.plot(x, np.asarray(persistence), color="tab:blue", linewidth=0.8, alpha=0.6, linestyle="--",
            label="persistence (previous close)")
    ax.set_title(f"{ticker}: next-day close on the test period")
    ax.set_xlabel("date")
    ax.set_ylabel("close ($)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_training_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], path: str,
                         best_epochs: Mapping[str, int] | None = None) -> str:
    """Training and validation loss per epoch, one panel per model.

    Args:
        histories: ``{model name: keras History.history}`` (``loss``, optional ``val_loss``).
        path: output PNG.
        best_epochs: ``{model name: 1-based epoch whose weights were kept}``, marked with a line.

    Returns:
        ``path``.
    """
    names = list(histories)
    if not names:
        raise ValueError("no histories to plot")
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        history = histories[name]
        loss = history.get("loss") or []
        if not loss:
            raise ValueError(f"history of {name!r} has no 'loss'")
        epochs = np.arange(1, len(loss) + 1)
        ax.plot(epochs, loss, "o-", markersize=3, label="training")
        if history.get("val_loss"):
            ax.plot(epochs[: len(history["val_loss"])], history["val_loss"], "s--", markersize=3, label="validation")
        if best_epochs and name in best_epochs:
            ax.axvline(best_epochs[name], color="gray", linestyle=":", label=f"kept (epoch {best_epochs[name]})")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
