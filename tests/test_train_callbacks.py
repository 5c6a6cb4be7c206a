"""Callbacks that keep history, early stopping and timing across an interrupted fit."""
import json
import math

import keras
import numpy as np
import pytest

from rnnmodels.training_callbacks import (
    EpochHistoryFile,
    InterruptAfterEpoch,
    ResumableEarlyStopping,
    StepTimer,
    TrainingInterrupted,
    best_epoch,
    series_from_entries,
)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    return model


X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.eye(2, dtype="float32")[np.arange(16) % 2]


def test_history_file_spans_a_resumed_fit(tmp_path):
    path = str(tmp_path / "h.json")
    model = _model()
    model.fit(X, Y, validation_data=(X, Y), epochs=2, callbacks=[EpochHistoryFile(path)], verbose=0)
    first = json.loads(open(path).read())
    assert [e["epoch"] for e in first] == [0, 1] and [e["session"] for e in first] == [1, 1]
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "seconds"} <= set(first[0])

    # A resumed fit starting at epoch 1 redoes epoch 1: its old entry is replaced.
    resumed = EpochHistoryFile(path)
    model.fit(X, Y, validation_data=(X, Y), initial_epoch=1, epochs=3, callbacks=[resumed], verbose=0)
    entries = json.loads(open(path).read())
    assert [e["epoch"] for e in entries] == [0, 1, 2]
    assert [e["session"] for e in entries] == [1, 2, 2]
    assert entries[0] == first[0]
    assert resumed.resumed_at == 1
    assert resumed.as_series()["epoch"] == [0, 1, 2]


def test_series_from_entries_fills_missing_values():
    assert series_from_entries([{"epoch": 0, "loss": 1.0}, {"epoch": 1, "val_loss": 2.0}]) == {
        "epoch": [0, 1], "loss": [1.0, None], "val_loss": [None, 2.0]}


def test_best_epoch():
    entries = [{"epoch": 0, "val_loss": 0.5, "val_accuracy": 0.7}, {"epoch": 1, "val_loss": 0.4, "val_accuracy": 0.8},
               {"epoch": 2, "val_loss": 0.4, "val_accuracy": 0.8}, {"epoch": 3, "val_loss": math.nan}]
    assert best_epoch(entries, "val_loss", "min")["epoch"] == 1  # first of a tie
    assert best_epoch(entries, "val_accuracy", "max")["epoch"] == 1
    assert best_epoch([{"epoch": 0, "loss": 1.0}], "val_loss") is None


def _replayed(tmp_path, values, resume_at, patience=2):
    path = tmp_path / "h.json"
    path.write_text(json.dumps([{"epoch": i, "val_loss": v} for i, v in enumerate(values)]))
    stopper = ResumableEarlyStopping(EpochHistoryFile(str(path)), monitor="val_loss", mode="min", patience=patience)
    stopper.set_model(_model())
    stopper.on_train_begin()
    stopper.on_epoch_begin(resume_at)
    return stopper


def test_early_stopping_counts_epochs_before_the_interruption(tmp_path):
    stopper = _replayed(tmp_path, [1.0, 0.9, 0.95, 0.97], resume_at=4)
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (0.9, 1, 2)
    stopper.on_epoch_end(4, {"val_loss": 0.96})  # a third epoch without improvement
    assert stopper.model.stop_training is True


def test_early_stopping_improvement_after_resume_resets_patience(tmp_path):
    stopper = _replayed(tmp_path, [1.0, 0.9, 0.95, 0.97], resume_at=4)
    stopper.on_epoch_end(4, {"val_loss": 0.5})
    assert not stopper.model.stop_training
    assert (stopper.best, stopper.wait) == (0.5, 0)


def test_early_stopping_ignores_entries_being_redone(tmp_path):
    # Epoch 3 was recorded but not backed up: the fit resumes at 3 and must not count it.
    stopper = _replayed(tmp_path, [1.0, 0.9, 0.95, 0.97], resume_at=3)
    assert stopper.wait == 1


def test_early_stopping_refuses_restore_best_weights(tmp_path):
    with pytest.raises(ValueError, match="restore_best_weights"):
        ResumableEarlyStopping(EpochHistoryFile(str(tmp_path / "h.json")), restore_best_weights=True)


def test_step_timer_summary():
    timer = StepTimer(warmup_steps=1)
    timer.step_seconds = [5.0, 1.0, 1.0, 1.0, 3.0]
    s = timer.summary(examples_per_step=64)
    assert s == {"steps_timed": 4, "step_time_median_s": 1.0, "step_time_mean_s": 1.5,
                 "examples_per_second": pytest.approx(64 / 1.5)}
    assert StepTimer().summary(64)["examples_per_second"] is None


def test_step_timer_times_every_training_step():
    timer = StepTimer(warmup_steps=0)
    _model().fit(X, Y, batch_size=4, epochs=2, callbacks=[timer], verbose=0)
    assert len(timer.step_seconds) == 8 and all(t > 0 for t in timer.step_seconds)


def test_interrupt_after_epoch():
    calls = []

    class Seen(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            calls.append(epoch)

    with pytest.raises(TrainingInterrupted, match="after epoch 1"):
        _model().fit(X, Y, epochs=5, callbacks=[Seen(), InterruptAfterEpoch(1)], verbose=0)
    assert calls == [0, 1]
