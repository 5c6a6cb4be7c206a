r"""Train and evaluate the stock regressor and direction classifier against honest baselines.

Usage::

    # records already written by python -m pipelines.stocks:
    python -m rnnmodels.train_stocks --data_dir /tmp/stocks_data --output_dir runs/stocks

    # or run the Beam job first (as a subprocess) into RUN/data; flags this job does not know
    # (--window, --train_start, --test_history, --overwrite, Beam options ...) go to the Beam job:
    python -m rnnmodels.train_stocks --input ../shared/data/stocks/AAPL.csv ../shared/data/stocks/MSFT.csv \
        --output_dir runs/stocks --epochs 100

Steps: read the train and test splits with :func:`tfrecords.window_input_fn.window_input_fn`
(ticker, date order); hold out the last ``--valid_fraction`` of the training windows by date
(all tickers' windows from the same dates go together) as the early-stopping validation set;
train the regressor (MSE) and the classifier (binary cross-entropy) with
``EarlyStopping(monitor="val_loss", restore_best_weights=True)``; predict the test windows; turn
prices back into dollars with the per-ticker training scaler from ``metadata.json``; score the
models and the baselines (:mod:`rnnmodels.stock_baselines`) on the same test days.

Outputs in ``--output_dir``: ``metrics.json``, ``report.md``, ``history.json``,
``model_regressor.keras``, ``model_direction.keras``, ``predictions_test.csv``,
``test_prices_<TICKER>.png`` and ``training_curves.png``.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time

import keras
import numpy as np

VALID_FRACTION = 0.1


def build_parser() -> argparse.ArgumentParser:
    """The job's flags."""
    p = argparse.ArgumentParser(
        prog="python -m rnnmodels.train_stocks",
        description="Train the LSTM price regressor and direction classifier on window records and compare them "
        "with persistence / always-up / majority / last-move baselines on the test period. With --input, the Beam "
        "job python -m pipelines.stocks runs first and receives every flag not listed here.",
    )
    p.add_argument("--data_dir", default=None,
                   help="folder written by python -m pipelines.stocks (default with --input: OUTPUT_DIR/data)")
    p.add_argument("--output_dir", required=True, help="folder for models, metrics.json, report.md, plots")
    p.add_argument("--input", nargs="+", default=None, metavar="CSV",
                   help="run python -m pipelines.stocks on these CSV files first (into --data_dir)")
    p.add_argument("--epochs", type=int, default=100, help="maximum epochs per model (default 100)")
    p.add_argument("--batch_size", type=int, default=30, help="batch size (default 30)")
    p.add_argument("--patience", type=int, default=10,
                   help="early stopping: epochs without a lower validation loss before stopping (default 10)")
    p.add_argument("--valid_fraction", type=float, default=VALID_FRACTION,
                   help="last fraction of training windows (by date) used for early stopping (default 0.1); "
                   "0 disables validation and early stopping")
    p.add_argument("--units", type=int, default=50, help="LSTM units per layer (default 50)")
    p.add_argument("--num_layers", type=int, default=4, help="LSTM layers (default 4)")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout after each LSTM (default 0.2)")
    p.add_argument("--learning_rate", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, dropout and shuffling (default 0)")
    p.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2), help="Keras fit verbosity (default 2)")
    return p


def project_root() -> str:
    """The folder holding the ``rnnmodels`` package (and, in a checkout, ``pipelines``)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_beam_job(inputs: list[str], data_dir: str, job_args: list[str]) -> None:
    """Runs ``python -m pipelines.stocks`` as a subprocess (rnnmodels never imports pipelines).

    Args:
        inputs: CSV paths or globs.
        data_dir: the job's ``--output_dir``.
        job_args: extra flags for the job (its own or Beam's).

    Raises:
        RuntimeError: the job failed (its error is printed above by the job itself).
    """
    cmd = [sys.executable, "-m", "pipelines.stocks", "--input", *inputs, "--output_dir", data_dir, *job_args]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root(), env.get("PYTHONPATH", "")) if p)
    print("running:", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"python -m pipelines.stocks failed with exit status {result.returncode} (see its error above)")


def load_split(data_dir: str, split: str) -> dict[str, np.ndarray]:
    """All records of a split as numpy arrays, in ticker then date order.

    Args:
        data_dir: the window dataset folder.
        split: "train" or "test".

    Returns:
        ``{"window": float32 [N, W, 1], "target": float32 [N], "direction": int32 [N],
        "prev_close": float32 [N], "date": str [N], "ticker": str [N]}``.
    """
    from tfrecords.window_input_fn import window_input_fn

    ds = window_input_fn(data_dir, split, batch_size=1024, shuffle=False,
                         include_fields=("date", "ticker", "prev_close", "direction"))
    parts: dict[str, list] = {k: [] for k in ("window", "target", "direction", "prev_close", "date", "ticker")}
    for features, target in ds.as_numpy_iterator():
        parts["target"].append(target[:, 0])
        for key in ("window", "direction", "prev_close", "date", "ticker"):
            parts[key].append(features[key])
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["date"] = np.array([d.decode("utf-8") for d in out["date"]])
    out["ticker"] = np.array([t.decode("utf-8") for t in out["ticker"]])
    return out


def validation_tail(dates, fraction: float) -> np.ndarray:
    """Boolean mask of the records in the last ``fraction`` of the training period by date.

    The cut is a date: every record dated on or after it is validation, so windows of all
    tickers from the same days fall on the same side.  With ``fraction == 0`` the mask is
    all False.

    Args:
        dates: ISO dates ``[N]``.
        fraction: in [0, 1).

    Returns:
        ``[N]`` bool mask.

    Raises:
        ValueError: the fraction leaves no training or no validation record.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {fraction}")
    dates = np.asarray(dates)
    if fraction == 0.0:
        return np.zeros(dates.shape[0], dtype=bool)
    ordered = np.sort(dates)
    cut = ordered[min(len(ordered) - 1, int(round(len(ordered) * (1.0 - fraction))))]
    mask = dates >= cut
    if mask.all() or not mask.any():
        raise ValueError(f"valid_fraction {fraction} of {len(dates)} training windows leaves an empty split")
    return mask


def to_dollars(scaled, tickers, scalers) -> np.ndarray:
    """Inverse MinMax scaling per record with its ticker's training scaler.

    Args:
        scaled: scaled prices ``[N]``.
        tickers: ticker of each record ``[N]``.
        scalers: ``{ticker: tfrecords.scaling.MinMaxScaler}``.

    Returns:
        Prices in dollars (float64 ``[N]``).
    """
    scaled = np.asarray(scaled, dtype=np.float64).reshape(-1)
    out = np.empty_like(scaled)
    tickers = np.asarray(tickers)
    for t in np.unique(tickers):
        rows = tickers == t
        out[rows] = scalers[str(t)].inverse_transform(scaled[rows])
    return out


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch in ``seconds``."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def fit_model(model, x, y, valid, *, epochs: int, batch_size: int, patience: int, verbose: int) -> dict:
    """Fits with shuffling and (when ``valid`` is given) early stopping on validation loss.

    Args:
        model: a compiled Keras model.
        x: inputs.
        y: targets.
        valid: ``(x_valid, y_valid)`` or None.
        epochs: maximum epochs.
        batch_size: batch size.
        patience: early-stopping patience.
        verbose: Keras verbosity.

    Returns:
        ``{"history": {...}, "epochs_run", "best_epoch" (1-based), "seconds", "seconds_per_epoch",
        "epoch_seconds"}``.
    """
    timer = EpochTimer()
    callbacks = [timer]
    if valid is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True))
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=valid, shuffle=True,
                        callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - start
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    monitored = hist.get("val_loss") or hist["loss"]
    return {
        "history": hist,
        "epochs_run": len(hist["loss"]),
        "best_epoch": int(np.argmin(monitored)) + 1,
        "monitor": "val_loss" if valid is not None else "loss",
        "seconds": seconds,
        "epoch_seconds": timer.seconds,
        "seconds_per_epoch": float(np.mean(timer.seconds)) if timer.seconds else 0.0,
    }


def evaluate(train: dict, test: dict, price_pred, p_up, scalers: dict) -> dict:
    """Scores the models and every baseline on the test records.

    Args:
        train: :func:`load_split` of the training split (for the majority class).
        test: :func:`load_split` of the test split.
        price_pred: the regressor's scaled predictions ``[N]``.
        p_up: the classifier's probabilities of "up" ``[N]``.
        scalers: ``{ticker: MinMaxScaler}``.

    Returns:
        ``{"regression": ..., "direction": ...}`` (see ``report.md`` for the meaning).
    """
    from rnnmodels import stock_baselines as base
    from rnnmodels.stock_metrics import binary_scores, binomial_p_value, mae, rmse

    tickers = test["ticker"]
    actual = to_dollars(test["target"], tickers, scalers)
    model = to_dollars(price_pred, tickers, scalers)
    persistence = to_dollars(base.persistence_forecast(test["prev_close"]), tickers, scalers)

    def price_scores(pred) -> dict:
        scores = {"rmse": rmse(actual, pred), "mae": mae(actual, pred), "per_ticker": {}}
        for t in np.unique(tickers):
            rows = tickers == t
            scores["per_ticker"][str(t)] = {"rmse": rmse(actual[rows], pred[rows]), "mae": mae(actual[rows], pred[rows]),
                                            "n": int(rows.sum())}
        return scores

    reg = {"units": "dollars", "n": int(actual.size), "model": price_scores(model), "persistence": price_scores(persistence)}
    reg["rmse_ratio"] = reg["model"]["rmse"] / reg["persistence"]["rmse"]
    reg["mae_ratio"] = reg["model"]["mae"] / reg["persistence"]["mae"]
    reg["per_ticker_rmse_ratio"] = {
        t: reg["model"]["per_ticker"][t]["rmse"] / reg["persistence"]["per_ticker"][t]["rmse"] for t in reg["model"]["per_ticker"]
    }
    reg["beats_persistence"] = bool(reg["rmse_ratio"] < 1.0)

    y = test["direction"].astype(np.int64)
    majority = base.majority_class(train["direction"])
    majority_pred = np.full(y.shape, majority, dtype=np.int64)
    predictions = {
        "classifier": (np.asarray(p_up).reshape(-1) > 0.5).astype(np.int64),
        "always_up": base.always_up(y.size),
        "train_majority": majority_pred,
        "last_move": base.last_move(y, tickers, test["target"], test["prev_close"], test["window"]),
        "regressor_sign": (np.asarray(price_pred).reshape(-1) > test["prev_close"]).astype(np.int64),
    }
    majority_accuracy = float(np.mean(majority_pred == y))
    direction = {
        "n": int(y.size),
        "test_up_rate": float(y.mean()),
        "train_up_rate": float(np.mean(train["direction"])),
        "train_majority_class": majority,
        "predictors": {},
    }
    for name, pred in predictions.items():
        scores = binary_scores(y, pred)
        scores["p_value_vs_coin"] = binomial_p_value(scores["correct"], scores["n"], 0.5)
        scores["p_value_vs_majority_rate"] = binomial_p_value(scores["correct"], scores["n"], majority_accuracy)
        direction["predictors"][name] = scores
    direction["majority_rate"] = majority_accuracy
    clf = direction["predictors"]["classifier"]
    direction["classifier_beats_coin"] = bool(clf["p_value_vs_coin"] < 0.05)
    direction["classifier_beats_majority"] = bool(clf["p_value_vs_majority_rate"] < 0.05)
    return {"regression": reg, "direction": direction,
            "_series": {"actual": actual, "model": model, "persistence": persistence, "predictions": predictions}}


def write_predictions(path: str, test: dict, series: dict, p_up) -> str:
    """``predictions_test.csv``: one row per test record (dollars and direction predictions)."""
    names = list(series["predictions"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ticker", "date", "actual_close", "predicted_close", "persistence_close", "direction", "p_up",
                    *[f"pred_{n}" for n in names]])
        for i in range(test["date"].shape[0]):
            w.writerow([test["ticker"][i], test["date"][i], f"{series['actual'][i]:.6f}", f"{series['model'][i]:.6f}",
                        f"{series['persistence'][i]:.6f}", int(test["direction"][i]), f"{float(p_up[i]):.6f}",
                        *[int(series["predictions"][n][i]) for n in names]])
    return path


def main(argv=None) -> int:
    """Runs the whole job (see module docstring).

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).

    Returns:
        0 on success.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not args.input:
        parser.error(f"unrecognized arguments: {' '.join(extra)} (only --input passes flags to the Beam job)")
    if args.epochs < 1 or args.batch_size < 1 or args.patience < 0:
        parser.error("--epochs and --batch_size must be >= 1, --patience >= 0")
    data_dir = args.data_dir or (os.path.join(args.output_dir, "data") if args.input else None)
    if data_dir is None:
        parser.error("give --data_dir (records of python -m pipelines.stocks) or --input CSV files")
    os.makedirs(args.output_dir, exist_ok=True)
    if args.input:
        run_beam_job(args.input, data_dir, extra)

    from rnnmodels.stock_models import create_direction_classifier, create_stock_regressor
    from rnnmodels.stock_plots import plot_test_prices, plot_training_curves
    from rnnmodels.stock_report import write_report
    from tfrecords.metadata import read_metadata
    from tfrecords.scaling import MinMaxScaler

    metadata = read_metadata(data_dir)
    if metadata["record_kind"] != "window":
        raise ValueError(f"{data_dir}: record_kind {metadata['record_kind']!r}, expected window records of pipelines.stocks")
    scalers = {t: MinMaxScaler.from_dict(p) for t, p in metadata["scaler"].items()}
    window_size = int(metadata["window_size"])
    train = load_split(data_dir, "train")
    test = load_split(data_dir, "test")
    valid_mask = validation_tail(train["date"], args.valid_fraction)
    fit_rows = ~valid_mask
    valid_from = str(min(train["date"][valid_mask])) if valid_mask.any() else None
    print(f"train windows {fit_rows.sum()} (+ {valid_mask.sum()} validation from {valid_from}), "
          f"test windows {test['date'].size}", flush=True)

    hyper = dict(window_size=window_size, units=args.units, num_layers=args.num_layers, dropout=args.dropout,
                 learning_rate=args.learning_rate)
    fit_kw = dict(epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, verbose=args.verbose)
    runs = {}
    models = {}
    for name, factory, y_all in (
        ("regressor", create_stock_regressor, train["target"].astype(np.float32)),
        ("direction", create_direction_classifier, train["direction"].astype(np.float32)),
    ):
        keras.utils.set_random_seed(args.seed)
        model = factory(**hyper)
        valid = (train["window"][valid_mask], y_all[valid_mask]) if valid_mask.any() else None
        print(f"training the {name} model", flush=True)
        runs[name] = fit_model(model, train["window"][fit_rows], y_all[fit_rows], valid, **fit_kw)
        path = os.path.join(args.output_dir, f"model_{name}.keras")
        model.save(path)
        models[name] = model

    price_pred = models["regressor"].predict(test["window"], batch_size=256, verbose=0).reshape(-1)
    p_up = models["direction"].predict(test["window"], batch_size=256, verbose=0).reshape(-1)
    results = evaluate(train, test, price_pred, p_up, scalers)
    series = results.pop("_series")

    plots = {}
    for t in metadata["tickers"]:
        rows = test["ticker"] == t
        name = f"test_prices_{t}.png"
        plot_test_prices(test["date"][rows], series["actual"][rows], series["model"][rows], series["persistence"][rows],
                         os.path.join(args.output_dir, name), ticker=t)
        plots[t] = name
    plot_training_curves({n: r["history"] for n, r in runs.items()}, os.path.join(args.output_dir, "training_curves.png"),
                         best_epochs={n: r["best_epoch"] for n, r in runs.items()})
    write_predictions(os.path.join(args.output_dir, "predictions_test.csv"), test, series, p_up)

    metrics = {
        **results,
        "data": {
            "data_dir": os.path.abspath(data_dir),
            "tickers": metadata["tickers"],
            "window_size": window_size,
            "test_history": metadata.get("test_history"),
            "date_ranges": {k: v for k, v in metadata.get("date_ranges", {}).items() if k != "per_ticker"},
            "windows": {"train_fit": int(fit_rows.sum()), "valid": int(valid_mask.sum()), "test": int(test["date"].size)},
            "valid_from": valid_from,
            "test_dates": [str(min(test["date"])), str(max(test["date"]))],
            "inputs": {k: v.get("sha256") for k, v in metadata.get("inputs", {}).items()},
        },
        "training": {n: {k: v for k, v in r.items() if k != "history"} for n, r in runs.items()},
        "options": {**vars(args), "data_dir": data_dir, "beam_job_args": extra},
        "files": {
            "models": {"regressor": "model_regressor.keras", "direction": "model_direction.keras"},
            "plots": {"test_prices": plots, "training_curves": "training_curves.png"},
            "predictions": "predictions_test.csv",
            "history": "history.json",
            "report": "report.md",
        },
    }
    with open(os.path.join(args.output_dir, "history.json"), "w", encoding="utf-8") as f:
        json.dump({n: {**r["history"], "epoch_seconds": r["epoch_seconds"]} for n, r in runs.items()}, f, indent=2)
    with open(os.path.join(args.output_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    write_report(metrics, os.path.join(args.output_dir, "report.md"))
    reg, d = metrics["regression"], metrics["direction"]["predictors"]
    print(f"regressor RMSE ${reg['model']['rmse']:.3f} vs persistence ${reg['persistence']['rmse']:.3f} "
          f"(ratio {reg['rmse_ratio']:.3f}); direction accuracy {d['classifier']['accuracy']:.3f} "
          f"(always up {d['always_up']['accuracy']:.3f}, last move {d['last_move']['accuracy']:.3f}); "
          f"outputs in {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
