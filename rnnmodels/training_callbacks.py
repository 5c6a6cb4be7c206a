"""Keras callbacks that make ``model.fit`` resumable and measured.

``keras.callbacks.BackupAndRestore`` restores the weights, the optimizer and the epoch
counter after an interruption, but the ``History`` of a resumed ``fit`` only holds the
epochs run after the restart, and ``EarlyStopping`` / ``ModelCheckpoint`` forget what they
had seen.  The callbacks here keep that state in files next to the checkpoints:

* :class:`EpochHistoryFile` appends every epoch's logs to a JSON file and, when a resumed
  ``fit`` starts at epoch ``k``, drops entries from epoch ``k`` on (they are being re-run);
* :class:`ResumableEarlyStopping` replays the earlier epochs' monitored values before the
  first resumed epoch, so patience counts across the interruption;
* :class:`StepTimer` times training batches (``perf_counter`` around each train step);
* :func:`tensorboard_callback` is ``keras.callbacks.TensorBoard`` when the ``tensorboard``
  package (which implements ``tf.summary``) is installed;
* :class:`InterruptAfterEpoch` raises after a given epoch (a test hook that simulates a
  crash after the epoch's checkpoints are written).

Put :class:`EpochHistoryFile` before ``BackupAndRestore`` in the callback list, and
:class:`InterruptAfterEpoch` last.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import time

import keras
import numpy as np


def _write_json_atomic(path: str, data) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _to_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class EpochHistoryFile(keras.callbacks.Callback):
    """Keeps every epoch's logs (and its wall time) in a JSON file that survives restarts.

    The file holds a list of ``{"epoch": int, "session": int, "seconds": float, <metric>:
    float, ...}``, one per finished epoch, rewritten atomically at each epoch end.
    ``session`` counts the ``fit`` calls that wrote to the file (1 for the first, 2 after a
    first resumption, ...), so a resumed run shows which epochs it did not redo.

    Args:
        path: the JSON file (created if absent, extended if present).
    """

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.entries = self.read(path)
        self.session = 1 + max((int(e.get("session", 1)) for e in self.entries), default=0)
        self.resumed_at: int | None = None
        self._epoch_start = 0.0

    @staticmethod
    def read(path: str) -> list[dict]:
        """Entries of an existing history file (``[]`` if there is none)."""
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            try:
                entries = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not valid JSON ({e}); delete it or pass --restart") from e
        return sorted(entries, key=lambda e: e["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        if self.resumed_at is None:
            # The first epoch of this fit: anything recorded from here on is being redone.
            self.resumed_at = int(epoch)
            self.entries = [e for e in self.entries if e["epoch"] < epoch]
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        entry = {"epoch": int(epoch), "session": self.session, "seconds": time.perf_counter() - self._epoch_start}
        entry.update({k: _to_float(v) for k, v in (logs or {}).items()})
        self.entries = [e for e in self.entries if e["epoch"] != epoch] + [entry]
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        _write_json_atomic(self.path, self.entries)

    def as_series(self) -> dict:
        """``{"epoch": [...], "loss": [...], ...}``, the layout of ``History.history``."""
        return series_from_entries(self.entries)


def series_from_entries(entries: list[dict]) -> dict:
    """List of per-epoch dicts -> dict of per-epoch lists (missing values become None)."""
    keys = []
    for entry in entries:
        keys += [k for k in entry if k not in keys]
    return {k: [entry.get(k) for entry in entries] for k in keys}


def best_epoch(entries: list[dict], monitor: str = "val_loss", mode: str = "min") -> dict | None:
    """The entry with the best ``monitor`` value (first one on ties), or None."""
    scored = [e for e in entries if isinstance(e.get(monitor), (int, float)) and not math.isnan(e[monitor])]
    if not scored:
        return None
    sign = 1.0 if mode == "min" else -1.0
    return min(scored, key=lambda e: (sign * e[monitor], e["epoch"]))

class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` whose patience counts the epochs run before an interruption.

    Before the first epoch of a resumed ``fit``, it replays the monitored values of the
    earlier epochs, read from an :class:`EpochHistoryFile`, through the same improvement
    rule, so ``best`` and ``wait`` are as if training had never stopped.

    Args:
        history: the run's :class:`EpochHistoryFile` (listed before this callback).
        **kwargs: ``keras.callbacks.EarlyStopping`` arguments (``restore_best_weights`` is
            not supported: use ``ModelCheckpoint`` and reload the best weights).
    """

    def __init__(self, history: EpochHistoryFile, **kwargs):
        if kwargs.get("restore_best_weights"):
            raise ValueError("restore_best_weights cannot span an interruption; reload ModelCheckpoint's file instead")
        super().__init__(**kwargs)
        self.history_file = history
        self._replayed = False

    def on_epoch_begin(self, epoch, logs=None):
        if self._replayed:
            return
        self._replayed = True
        if self.monitor_op is None:
            self._set_monitor_op()
        for entry in self.history_file.entries:
            if entry["epoch"] >= epoch:
                continue
            value = entry.get(self.monitor)
            if value is None:
                continue
            if self._is_improvement(value, self.best):
                self.best = value
                self.best_epoch = entry["epoch"]
                self.wait = 0
            else:
                self.wait += 1


class StepTimer(keras.callbacks.Callback):
    """Wall time of every training step (``on_train_batch_begin`` to ``on_train_batch_end``).

    Args:
        warmup_steps: steps at the start of this ``fit`` left out of the summary (graph
            tracing, first allocations).
    """

    def __init__(self, warmup_steps: int = 5):
        super().__init__()
        self.warmup_steps = warmup_steps
        self.step_seconds: list[float] = []
        self._start = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.step_seconds.append(time.perf_counter() - self._start)

    def summary(self, examples_per_step: float) -> dict:
        """Median / mean step time after warm-up and the implied training examples per second.

        Args:
            examples_per_step: mean examples per training step (examples per epoch divided
                by steps per epoch; bucketing makes a few batches partial).

        Returns:
            ``{"steps_timed", "step_time_median_s", "step_time_mean_s", "examples_per_second"}``
            (values None when no step was timed after warm-up).
        """
        steady = self.step_seconds[self.warmup_steps:] or self.step_seconds
        if not steady:
            return {"steps_timed": 0, "step_time_median_s": None, "step_time_mean_s": None, "examples_per_second": None}
        mean = float(np.mean(steady))
        return {
            "steps_timed": len(steady),
            "step_time_median_s": float(np.median(steady)),
            "step_time_mean_s": mean,
            "examples_per_second": float(examples_per_step / mean) if mean > 0 else None,
        }


class TrainingInterrupted(RuntimeError):
    """Raised by :class:`InterruptAfterEpoch`."""


class InterruptAfterEpoch(keras.callbacks.Callback):
    """Raises :class:`TrainingInterrupted` at the end of epoch ``epoch`` (0-based), simulating
    a crash once that epoch's checkpoints are written.  Must be the last callback."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = int(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise TrainingInterrupted(f"interrupted after epoch {epoch} (--interrupt_after_epoch)")


def tensorboard_available() -> bool:
    """Whether the ``tensorboard`` package, which ``tf.summary`` needs, is installed."""
    return importlib.util.find_spec("tensorboard") is not None


def tensorboard_callback(log_dir: str, *, log=print):
    """``keras.callbacks.TensorBoard(log_dir)``, or None (with a message) without ``tensorboard``.

    TensorFlow's ``tf.summary`` writers live in the ``tensorboard`` package; without it the
    Keras callback fails at the first epoch end, so the logs are skipped instead.
    """
    if not tensorboard_available():
        log(f"TensorBoard logs skipped ({log_dir}): the tensorboard package is not installed (pip install tensorboard)")
        return None
    return keras.callbacks.TensorBoard(log_dir=log_dir)
