"""The stocks Beam job end to end on small CSVs (DirectRunner), read back with window_input_fn."""
import glob
import hashlib
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from pipelines import stocks
from pipelines.dead_letter import read_rejected
from pipelines.stock_series import InsufficientRowsError
from tests.stock_csv_fixtures import daily_dates, price_line, write_csv, write_series
from tests.test_stocks_windows import CLOSES, EXPECTED_TEST_ONLY, EXPECTED_TEST_TRAIN_TAIL, EXPECTED_TRAIN
from tfrecords.metadata import read_metadata
from tfrecords.window_input_fn import window_input_fn

SPLIT_FLAGS = ["--window", "3", "--train_start", "2020-01-01", "--train_end", "2020-01-07", "--test_end", "2020-01-11"]


def run_job(inputs, out, *extra):
    return stocks.run(["--input", *map(str, inputs), "--output_dir", str(out), *SPLIT_FLAGS, *extra])


def read_all(out, split):
    ds = window_input_fn(str(out), split, batch_size=4, shuffle=False, include_fields=("date", "ticker", "prev_close", "direction"))
    rows = []
    for features, target in ds.as_numpy_iterator():
        for i in range(target.shape[0]):
            rows.append((features["ticker"][i].decode(), features["date"][i].decode(), features["window"][i, :, 0].tolist(),
                         float(target[i, 0]), float(features["prev_close"][i]), int(features["direction"][i])))
    return rows


def check(rows, expected, ticker):
    assert [r[1] for r in rows] == [e[0] for e in expected]
    for r, (date, window, target, prev, direction) in zip(rows, expected):
        assert r[0] == ticker
        assert r[2] == pytest.approx(window, abs=1e-6) and r[3] == pytest.approx(target, abs=1e-6)
        assert r[4] == pytest.approx(prev, abs=1e-6) and r[5] == direction


@pytest.fixture(scope="module")
def two_tickers(tmp_path_factory):
    """ZZZ: the hand-checked series; AAA: the same closes times 2 (same scaled values)."""
    root = tmp_path_factory.mktemp("stocks_two")
    dates = daily_dates("2020-01-01", 10)
    zzz = write_series(root / "ZZZ.csv", dates, CLOSES)
    aaa = write_series(root / "AAA.csv", dates, [2 * c for c in CLOSES])
    out = root / "out"
    metadata = run_job([root / "*.csv"], out)  # a glob
    return root, out, metadata, (zzz, aaa)


def test_records_match_the_hand_computed_windows(two_tickers):
    _, out, _, _ = two_tickers
    train, test = read_all(out, "train"), read_all(out, "test")
    # Sorted by ticker then date: AAA first (shard 0), then ZZZ (shard 1).
    assert [r[0] for r in train] == ["AAA"] * 3 + ["ZZZ"] * 3
    check(train[:3], EXPECTED_TRAIN, "AAA")
    check(train[3:], EXPECTED_TRAIN, "ZZZ")
    check(test[:4], EXPECTED_TEST_TRAIN_TAIL, "AAA")
    check(test[4:], EXPECTED_TEST_TRAIN_TAIL, "ZZZ")


def test_metadata_contract(two_tickers):
    root, out, metadata, (zzz, aaa) = two_tickers
    assert metadata == read_metadata(str(out))
    assert metadata["dataset"] == "stocks" and metadata["record_kind"] == "window"
    assert metadata["splits"] == {"train": 6, "test": 8}
    assert metadata["window_size"] == 3
    assert metadata["tickers"] == ["AAA", "ZZZ"]
    assert metadata["scaler"] == {"AAA": {"min": 20.0, "max": 30.0}, "ZZZ": {"min": 10.0, "max": 15.0}}
    assert metadata["test_history"] == "train_tail"
    assert metadata["date_ranges"]["train"] == {"start": "2020-01-01", "end": "2020-01-07", "end_exclusive": True}
    assert metadata["date_ranges"]["test"] == {"start": "2020-01-07", "end": "2020-01-11", "end_exclusive": True}
    assert metadata["date_ranges"]["per_ticker"]["ZZZ"]["test"]["first_history"] == "2020-01-04"
    for path, ticker in ((aaa, "AAA"), (zzz, "ZZZ")):
        entry = metadata["inputs"][path.name]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size and entry["ticker"] == ticker
    assert metadata["read"] == {"AAA.csv": 10, "ZZZ.csv": 10}
    assert metadata["rejected"] == {"AAA.csv": 0, "ZZZ.csv": 0}
    assert metadata["options"]["window"] == 3 and metadata["options"]["train_end"] == "2020-01-07"
    assert sorted(os.path.basename(p) for p in glob.glob(str(out / "*.tfrecord"))) == [
        "test-00000-of-00002.tfrecord", "test-00001-of-00002.tfrecord",
        "train-00000-of-00002.tfrecord", "train-00001-of-00002.tfrecord",
    ]
    assert read_rejected(str(out)) == []


def test_existing_outputs_need_overwrite(two_tickers):
    root, out, _, _ = two_tickers
    with pytest.raises(FileExistsError, match="--overwrite"):
        run_job([root / "ZZZ.csv"], out)


def test_dead_letter_and_row_accounting(tmp_path):
    dates = daily_dates("2019-12-30", 14)  # 2 days before train_start, 2 from test_end on
    closes = [1.0, 1.0] + CLOSES + [1.0, 1.0]
    good = [price_line(d, c) for d, c in zip(dates, closes)]
    bad = [
        "2020-01-03,1,1,1,null,1,5",          # null
        "2020-01-03,1,1,1,NaN,1,5",           # NaN
        "2020-01-03,1,1,1,,1,5",              # empty
        "2020-01-03,1,1,1,-2,1,5",            # negative
        "2020-01-03,1,1,1,0,1,5",             # zero
        "2020-13-40,1,1,1,2,1,5",             # unparsable date
        "2020-01-03,1,1,1,2",                 # wrong column count
        price_line("2020-01-05", 77.0),       # duplicate date (2020-01-05 also in good)
    ]
    # Good rows in order, the bad ones after line 6 (the header is line 1).
    lines = good[:5] + bad + good[5:]
    path = write_csv(tmp_path / "BAD.csv", lines)
    out = tmp_path / "out"
    metadata = run_job([path], out)
    rejected = read_rejected(str(out))
    by_line = {r["line"]: r for r in rejected}
    assert all(r["file"] == str(path) for r in rejected)
    expected_reasons = {
        7: "Close is missing (null)", 8: "Close is NaN", 9: "Close is empty", 10: "Close is not positive (-2)",
        11: "Close is not positive (0)", 12: "unparsable date '2020-13-40' (expected YYYY-MM-DD)",
        13: "expected 7 columns, got 5",
    }
    for line, reason in expected_reasons.items():
        assert by_line[line]["reason"] == reason and by_line[line]["row"] == lines[line - 2]
    dup_lines = sorted(line for line, r in by_line.items() if r["reason"].startswith("duplicate date 2020-01-05"))
    good_0105 = 2 + 5 + len(bad) + good[5:].index(price_line("2020-01-05", CLOSES[4]))
    assert dup_lines == [14, good_0105]
    assert len(rejected) == 9
    # 22 lines read = 9 rejected + 4 out of range + 9 used (the 10 in-range days minus 2020-01-05).
    assert metadata["read"] == {"BAD.csv": 22}
    assert metadata["rejected"] == {"BAD.csv": 9}
    assert metadata["out_of_range"] == {"BAD.csv": 4}
    assert metadata["used"] == {"BAD.csv": 9}
    assert metadata["totals"] == {"read": 22, "rejected": 9, "out_of_range": 4, "used": 9}
    # Without 2020-01-05 the train period has 5 rows (2 windows).
    assert metadata["splits"] == {"train": 2, "test": 4}


def test_test_only_history(tmp_path):
    path = write_series(tmp_path / "T.csv", daily_dates("2020-01-01", 10), CLOSES)
    # Flags the job does not define are Beam pipeline options.
    metadata = run_job([path], tmp_path / "out", "--test_history", "test_only", "--direct_num_workers", "1")
    assert metadata["test_history"] == "test_only" and metadata["splits"] == {"train": 3, "test": 1}
    assert metadata["options"]["beam_args"] == ["--direct_num_workers", "1"]
    check(read_all(tmp_path / "out", "test"), EXPECTED_TEST_ONLY, "T")


def test_scaler_and_train_records_unchanged_by_a_huge_test_price(tmp_path):
    dates = daily_dates("2020-01-01", 10)
    closes = list(CLOSES)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_series(tmp_path / "a" / "T.csv", dates, closes)
    closes[8] = 1e7  # 2020-01-09, a test day
    write_series(tmp_path / "b" / "T.csv", dates, closes)
    meta_a = run_job([tmp_path / "a" / "T.csv"], tmp_path / "out_a")
    meta_b = run_job([tmp_path / "b" / "T.csv"], tmp_path / "out_b")
    assert meta_a["scaler"] == meta_b["scaler"] == {"T": {"min": 10.0, "max": 15.0}}
    train_a = (tmp_path / "out_a" / "train-00000-of-00001.tfrecord").read_bytes()
    train_b = (tmp_path / "out_b" / "train-00000-of-00001.tfrecord").read_bytes()
    assert train_a == train_b
    test_b = read_all(tmp_path / "out_b", "test")
    assert test_b[2][3] == pytest.approx((1e7 - 10) / 5, rel=1e-6)


def test_ticker_flag_and_input_errors(tmp_path):
    path = write_series(tmp_path / "prices.csv", daily_dates("2020-01-01", 10), CLOSES)
    metadata = run_job([path], tmp_path / "out", "--ticker", "XYZ")
    assert metadata["tickers"] == ["XYZ"] and read_all(tmp_path / "out", "test")[0][0] == "XYZ"
    with pytest.raises(ValueError, match="no such file"):
        run_job([tmp_path / "nope*.csv"], tmp_path / "o2")
    other = write_series(tmp_path / "x.csv", daily_dates("2020-01-01", 10), CLOSES)
    with pytest.raises(ValueError, match="single input file"):
        run_job([path, other], tmp_path / "o3", "--ticker", "X")
    (tmp_path / "d").mkdir()
    same = write_series(tmp_path / "d" / "x.csv", daily_dates("2020-01-01", 10), CLOSES)
    with pytest.raises(ValueError, match="ticker 'x' comes from two files"):
        run_job([other, same], tmp_path / "o4")


def test_too_few_rows_fail_clearly(tmp_path, capsys):
    path = write_series(tmp_path / "SHORT.csv", daily_dates("2020-01-01", 9), CLOSES[:9])  # 3 test rows
    with pytest.raises(InsufficientRowsError, match=r"SHORT .*the test split \[2020-01-07, 2020-01-11\) has 3 valid rows"):
        run_job([path], tmp_path / "out")
    args = ["--input", str(path), "--output_dir", str(tmp_path / "out2"), *SPLIT_FLAGS]
    assert stocks.main(args) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "needs at least window + 1 = 4" in err and str(path) in err
    assert "Traceback" not in err and "[while running" not in err
    # The dead-letter sink's temporary folder is not left behind.
    assert not list((tmp_path / "out2").glob("beam-temp-*"))


def test_window_examples_parse_with_the_schema_spec(two_tickers):
    _, out, _, _ = two_tickers
    from tfrecords.schema import parse_window_example

    raw = next(iter(tf.data.TFRecordDataset(str(out / "train-00001-of-00002.tfrecord"))))
    record = {k: v.numpy() for k, v in parse_window_example(raw, 3).items()}
    assert record["ticker"] == b"ZZZ" and record["date"] == b"2020-01-04"
    np.testing.assert_allclose(record["window"], [0.0, 0.4, 0.2], atol=1e-7)
    assert json.loads((out / "metadata.json").read_text())["record_order"].startswith("one shard per ticker")
