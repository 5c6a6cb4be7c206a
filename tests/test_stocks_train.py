"""rnnmodels.train_stocks: helpers, a tiny end-to-end run (CSV -> Beam -> train), and the real data."""
import csv
import datetime
import json

import keras
import numpy as np
import pytest

from rnnmodels import train_stocks
from tests.stock_csv_fixtures import weekdays, write_series
from tfrecords.scaling import MinMaxScaler

OUTPUTS = ("metrics.json", "report.md", "model_regressor.keras", "model_direction.keras", "history.json",
           "training_curves.png", "predictions_test.csv")


def test_validation_tail_cuts_by_date():
    dates = np.array(["2020-01-0%d" % d for d in (1, 1, 2, 2, 3, 3, 4, 4, 5, 5)])
    mask = train_stocks.validation_tail(dates, 0.2)
    assert mask.tolist() == [False] * 8 + [True] * 2
    mask = train_stocks.validation_tail(dates[::-1], 0.3)  # any order; the cut is a date
    assert sorted(dates[::-1][mask].tolist()) == ["2020-01-04"] * 2 + ["2020-01-05"] * 2
    assert not train_stocks.validation_tail(dates, 0.0).any()
    with pytest.raises(ValueError, match="empty split"):
        train_stocks.validation_tail(np.array(["2020-01-01"] * 3), 0.5)


def test_to_dollars_per_ticker():
    scalers = {"A": MinMaxScaler(10.0, 20.0), "B": MinMaxScaler(100.0, 300.0)}
    got = train_stocks.to_dollars([0.5, 0.5, 1.5], ["A", "B", "A"], scalers)
    np.testing.assert_allclose(got, [15.0, 200.0, 25.0])


def closes_by_date(path):
    with open(path, newline="") as f:
        return {datetime.date.fromisoformat(r["Date"]): float(r["Close"]) for r in csv.DictReader(f)}


def persistence_errors(paths, test_start, test_end):
    """(actual - previous close) for every test day of every file, from the CSV alone."""
    errors = []
    for path in paths:
        closes = closes_by_date(path)
        days = sorted(closes)
        for prev, day in zip(days, days[1:]):
            if test_start <= day < test_end:
                errors.append(closes[day] - closes[prev])
    return np.array(errors)


def check_run(run, csv_paths, test_start, test_end, tickers):
    for name in OUTPUTS + tuple(f"test_prices_{t}.png" for t in tickers):
        assert (run / name).is_file() and (run / name).stat().st_size > 0, name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) >= {"regression", "direction", "data", "training", "options", "files"}
    reg = metrics["regression"]
    assert set(reg) >= {"model", "persistence", "rmse_ratio", "mae_ratio", "beats_persistence"}
    errors = persistence_errors(csv_paths, test_start, test_end)
    assert reg["n"] == errors.size
    assert reg["persistence"]["rmse"] == pytest.approx(float(np.sqrt(np.mean(errors**2))), rel=1e-5)
    assert reg["persistence"]["mae"] == pytest.approx(float(np.mean(np.abs(errors))), rel=1e-5)
    assert reg["rmse_ratio"] == pytest.approx(reg["model"]["rmse"] / reg["persistence"]["rmse"])
    preds = metrics["direction"]["predictors"]
    assert set(preds) == {"classifier", "always_up", "train_majority", "last_move", "regressor_sign"}
    for s in preds.values():
        assert set(s) >= {"accuracy", "f1", "p_value_vs_coin", "p_value_vs_majority_rate"}
    # always-up accuracy is the share of up days in the test period, computed from the CSVs.
    assert preds["always_up"]["accuracy"] == pytest.approx(float(np.mean(errors > 0)))
    report = (run / "report.md").read_text()
    assert "Does the regressor beat" in report and "beat a coin" in report
    assert f"${reg['persistence']['rmse']:.3f}" in report
    history = json.loads((run / "history.json").read_text())
    for name in ("regressor", "direction"):
        assert len(history[name]["loss"]) == metrics["training"][name]["epochs_run"]
        assert len(history[name]["epoch_seconds"]) == metrics["training"][name]["epochs_run"]
    return metrics


def test_tiny_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    dates = weekdays("2020-01-01", 140)
    paths = []
    for ticker, start in (("AAA", 50.0), ("BBB", 120.0)):
        closes = start * np.exp(np.cumsum(rng.normal(0, 0.02, len(dates))))
        paths.append(write_series(tmp_path / f"{ticker}.csv", dates, closes))
    run = tmp_path / "run"
    argv = ["--input", *map(str, paths), "--output_dir", str(run), "--epochs", "2", "--batch_size", "16",
            "--units", "4", "--num_layers", "2", "--patience", "1", "--verbose", "0",
            # the rest goes to python -m pipelines.stocks
            "--window", "5", "--train_start", "2020-01-01", "--train_end", "2020-05-01", "--test_end", "2020-07-01"]
    assert train_stocks.main(argv) == 0
    metrics = check_run(run, paths, datetime.date(2020, 5, 1), datetime.date(2020, 7, 1), ["AAA", "BBB"])
    assert metrics["data"]["window_size"] == 5 and metrics["options"]["beam_job_args"][:2] == ["--window", "5"]
    assert (run / "data" / "metadata.json").is_file()
    assert 1 <= metrics["training"]["regressor"]["epochs_run"] <= 2
    w = metrics["data"]["windows"]
    assert w["valid"] > 0 and w["train_fit"] > 0 and w["test"] == metrics["regression"]["n"]

    # The saved models reload in safe mode and reproduce predictions_test.csv.
    regressor = keras.models.load_model(run / "model_regressor.keras", safe_mode=True)
    classifier = keras.models.load_model(run / "model_direction.keras", safe_mode=True)
    test = train_stocks.load_split(str(run / "data"), "test")
    meta = json.loads((run / "data" / "metadata.json").read_text())
    scalers = {t: MinMaxScaler.from_dict(p) for t, p in meta["scaler"].items()}
    dollars = train_stocks.to_dollars(regressor.predict(test["window"], verbose=0), test["ticker"], scalers)
    p_up = classifier.predict(test["window"], verbose=0).reshape(-1)
    with open(run / "predictions_test.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["ticker"], r["date"]) for r in rows] == list(zip(test["ticker"], test["date"]))
    np.testing.assert_allclose([float(r["predicted_close"]) for r in rows], dollars, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose([float(r["p_up"]) for r in rows], p_up, atol=1e-5)
    acc = float(np.mean((p_up > 0.5).astype(int) == test["direction"]))
    assert metrics["direction"]["predictors"]["classifier"]["accuracy"] == pytest.approx(acc)


def test_unknown_flags_without_input_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_stocks.main(["--data_dir", str(tmp_path), "--output_dir", str(tmp_path / "r"), "--window", "5"])
    assert "only --input passes flags to the Beam job" in capsys.readouterr().err


@pytest.mark.slow
def test_real_data_end_to_end(real_data_dir, tmp_path):
    stocks = real_data_dir / "stocks"
    paths = [stocks / "AAPL.csv", stocks / "MSFT.csv"]
    run = tmp_path / "run"
    # Few epochs of a smaller network: this test checks the data path and the outputs.
    argv = ["--input", *map(str, paths), "--output_dir", str(run), "--epochs", "2", "--units", "16",
            "--num_layers", "2", "--verbose", "0"]
    assert train_stocks.main(argv) == 0
    metrics = check_run(run, paths, datetime.date(2018, 1, 1), datetime.date(2019, 1, 1), ["AAPL", "MSFT"])
    assert metrics["regression"]["n"] == 2 * 251
    assert metrics["data"]["windows"]["test"] == 502
    assert metrics["data"]["windows"]["train_fit"] + metrics["data"]["windows"]["valid"] == 2 * 947
    for ticker in ("AAPL", "MSFT"):
        errors = persistence_errors([stocks / f"{ticker}.csv"], datetime.date(2018, 1, 1), datetime.date(2019, 1, 1))
        assert metrics["regression"]["persistence"]["per_ticker"][ticker]["rmse"] == pytest.approx(
            float(np.sqrt(np.mean(errors**2))), rel=1e-5)
