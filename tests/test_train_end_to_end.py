"""python -m rnnmodels.train end to end on a few hundred real AG News rows.

Real rows (the ``sample_dir`` fixture of ``conftest.py``: every 100th training row, every
40th test row of ``$RNN_DATA_DIR/ag_news``) are written to a temporary folder; the Beam job
runs once for the module and the runs below reuse its output.  The model is tiny and trains for few epochs: these tests check that every
output is written and consistent, not accuracy.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow

TINY = ["--hidden_units", "8", "--num_layers", "1", "--dense_units", "8", "--baseline_hidden_units", "8",
        "--batch_size", "32", "--valid_fraction", "0.2"]


def _env():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
                TF_CPP_MIN_LOG_LEVEL="2")


@pytest.fixture(scope="module")
def shared_data_dir(sample_dir, tmp_path_factory):
    """The Beam job's output for the sample, made once by the first run and reused by later ones."""
    return tmp_path_factory.mktemp("beam_out") / "agnews"


@pytest.fixture(scope="module")
def cli_run(sample_dir, shared_data_dir, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    cmd = [sys.executable, "-m", "rnnmodels.train", "--input_dir", str(sample_dir), "--data_dir", str(shared_data_dir),
           "--output_dir", str(run_dir), "--epochs", "2", "--baseline_epochs", "2", *TINY]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return run_dir, proc


def test_every_output_file_is_written(cli_run):
    run_dir, proc = cli_run
    for name in ("model.keras", "baseline.keras", "metadata.json", "vocab.txt", "history.json", "metrics.json",
                 "report.md", "history_advanced.png", "history_baseline.png", "confusion_advanced.png",
                 "confusion_baseline.png", "checkpoints/advanced/best.weights.h5",
                 "checkpoints/baseline/best.weights.h5", "checkpoints/advanced/history.json"):
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0, name
    # tensorboard is a dependency of the package: the logs are always written.
    for name in ("advanced", "baseline"):
        assert any((run_dir / "logs" / name).rglob("events.out.tfevents.*")), name
    assert "TensorBoard logs skipped" not in proc.stdout
    # BackupAndRestore deletes its backup once training finished.
    assert not (run_dir / "checkpoints" / "advanced" / "backup").exists()
    assert "running the Beam job" in proc.stdout


def test_metrics_are_consistent(cli_run, sample_dir):
    run_dir, _ = cli_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    test_rows = len((sample_dir / "test.csv").read_bytes().splitlines())
    for name in ("advanced", "baseline"):
        m = metrics["models"][name]
        cm = np.array(m["test"]["confusion_matrix"])
        assert cm.shape == (4, 4) and cm.sum() == test_rows
        assert m["test_accuracy"] == pytest.approx(np.trace(cm) / test_rows)
        assert set(m["test"]["per_class"]) == {"World", "Sports", "Business", "Sci/Tech"}
        assert 0.0 <= m["test_macro_f1"] <= 1.0
        assert m["training"]["epochs_run"] == 2
        assert m["training"]["step_time_median_s"] > 0 and m["training"]["examples_per_second"] > 0
    history = json.loads((run_dir / "history.json").read_text())
    assert history["advanced"]["epoch"] == [0, 1]
    best = metrics["models"]["advanced"]["training"]["best_epoch"]
    assert history["advanced"]["val_loss"][best] == min(history["advanced"]["val_loss"])
    report = (run_dir / "report.md").read_text()
    assert f"{100 * metrics['models']['advanced']['test_accuracy']:.2f}%" in report
    assert f"{100 * metrics['models']['baseline']['test_accuracy']:.2f}%" in report


def test_models_reload_safely_and_predict(cli_run):
    import keras

    import rnnmodels  # noqa: F401  (registers the custom layers)
    from tfrecords.input_fn import input_fn

    run_dir, _ = cli_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    data_dir = metrics["data"]["data_dir"]
    for name, file in (("advanced", "model.keras"), ("baseline", "baseline.keras")):
        model = keras.models.load_model(str(run_dir / file), safe_mode=True)
        labels, preds = [], []
        for x, y in input_fn(data_dir, "test", 32, shuffle=False, bucket_boundaries=metrics["data"]["bucket_boundaries"]):
            preds += np.asarray(model.predict_on_batch(x)).argmax(axis=1).tolist()
            labels += np.asarray(y).argmax(axis=1).tolist()
        # The reloaded model reproduces the accuracy the job measured.
        assert np.mean(np.array(preds) == np.array(labels)) == pytest.approx(metrics["models"][name]["test_accuracy"])
    proc = subprocess.run([sys.executable, "-m", "rnnmodels.predict", "--model_dir", str(run_dir), "--json",
                           "Chad asks the IMF for a loan to pay for refugees from Darfur"],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["predicted"] in ("World", "Sports", "Business", "Sci/Tech")
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_rerun_reuses_data_and_finished_models(cli_run, sample_dir, shared_data_dir):
    from rnnmodels.train import run

    run_dir, _ = cli_run
    before = json.loads((run_dir / "metrics.json").read_text())
    after = run(["--input_dir", str(sample_dir), "--data_dir", str(shared_data_dir), "--output_dir", str(run_dir),
                 "--epochs", "2", "--baseline_epochs", "2", *TINY])
    assert after["data"]["reused"] is True
    for name in ("advanced", "baseline"):
        assert after["models"][name]["test"]["confusion_matrix"] == before["models"][name]["test"]["confusion_matrix"]
        assert after["models"][name]["training"]["epochs_run"] == 2


def test_resume_after_interruption_continues_from_last_epoch(cli_run, sample_dir, shared_data_dir, tmp_path):
    import keras

    from rnnmodels.train import run
    from rnnmodels.training_callbacks import TrainingInterrupted

    class EpochsSeen(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append(epoch)

    # Also covers the fused implementation and a per-epoch cap on training examples.
    args = ["--input_dir", str(sample_dir), "--data_dir", str(shared_data_dir), "--output_dir", str(tmp_path),
            "--epochs", "3", "--baseline_epochs", "1", "--patience", "5", "--implementation", "fused",
            "--max_train_examples", "100", *TINY]
    first = EpochsSeen()
    with pytest.raises(TrainingInterrupted):
        run(args + ["--interrupt_after_epoch", "1"], extra_callbacks=[first])
    assert first.epochs == [0, 1]
    assert (tmp_path / "checkpoints" / "advanced" / "backup").is_dir()
    assert not (tmp_path / "model.keras").exists()

    second = EpochsSeen()
    metrics = run(args, extra_callbacks=[second])
    assert second.epochs[:1] == [2]  # the advanced model resumed at epoch 2 (the baseline's fit follows: [0])
    history = json.loads((tmp_path / "history.json").read_text())["advanced"]
    assert history["epoch"] == [0, 1, 2]
    assert history["session"] == [1, 1, 2]
    training = metrics["models"]["advanced"]["training"]
    assert training["epochs_run"] == 3 and training["resumed_at_epoch"] == 2
    assert training["steps_per_epoch"] == 4 and training["examples_per_epoch"] == 100  # ceil(100 / 32) steps
    assert metrics["data"]["train_examples_used"] == 100
    assert metrics["models"]["advanced"]["config"]["implementation"] == "fused"
    assert metrics["data"]["reused"] is True


def test_checkpoints_with_other_settings_are_refused(cli_run, sample_dir, shared_data_dir):
    from rnnmodels.train import run

    run_dir, _ = cli_run
    with pytest.raises(SystemExit, match="other settings.*hidden_units"):
        run(["--input_dir", str(sample_dir), "--data_dir", str(shared_data_dir), "--output_dir", str(run_dir),
             "--epochs", "2", "--baseline_epochs", "2", *TINY[:1], "16", *TINY[2:]])
