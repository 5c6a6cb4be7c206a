"""Per-ticker series logic (pipelines.stock_series, pipelines.windows), checked by hand.

The reference series: 10 consecutive days 2020-01-01 .. 2020-01-10, closes
10, 12, 11, 15, 14, 14, 20, 18, 25, 30; train = [01-01, 01-07) (6 rows), test = [01-07, 01-11)
(4 rows), window 3.  Scaler (train only): min 10, max 15, so scaled = (close - 10) / 5:
0, .4, .2, 1, .8, .8, 2, 1.6, 3, 4.
"""
import dataclasses
import datetime

import pytest

from pipelines.stock_rows import StockRow
from pipelines.stock_series import InsufficientRowsError, SeriesConfig, process_series, reject_duplicate_dates
from pipelines.windows import sliding_windows

D = datetime.date
CLOSES = [10, 12, 11, 15, 14, 14, 20, 18, 25, 30]
DATES = [D(2020, 1, 1) + datetime.timedelta(days=i) for i in range(10)]
CONFIG = SeriesConfig(window=3, train_start=D(2020, 1, 1), train_end=D(2020, 1, 7), test_end=D(2020, 1, 11))

# (date, window, target, prev_close, direction), worked out by hand from the docstring.
EXPECTED_TRAIN = [
    ("2020-01-04", [0.0, 0.4, 0.2], 1.0, 0.2, 1),  # 15 > 11
    ("2020-01-05", [0.4, 0.2, 1.0], 0.8, 1.0, 0),  # 14 < 15
    ("2020-01-06", [0.2, 1.0, 0.8], 0.8, 0.8, 0),  # 14 == 14 is not "above"
]
EXPECTED_TEST_TRAIN_TAIL = [
    ("2020-01-07", [1.0, 0.8, 0.8], 2.0, 0.8, 1),  # history = last 3 training days
    ("2020-01-08", [0.8, 0.8, 2.0], 1.6, 2.0, 0),
    ("2020-01-09", [0.8, 2.0, 1.6], 3.0, 1.6, 1),
    ("2020-01-10", [2.0, 1.6, 3.0], 4.0, 3.0, 1),
]
EXPECTED_TEST_ONLY = [("2020-01-10", [2.0, 1.6, 3.0], 4.0, 3.0, 1)]


def rows(closes=CLOSES, dates=DATES, file="T.csv"):
    return [StockRow(date=d, close=float(c), file=file, line=i + 2, raw=f"{d},{c}") for i, (d, c) in enumerate(zip(dates, closes))]


def as_tuples(records):
    return [(r.date, list(r.window), r.target, r.prev_close, r.direction) for r in records]


def assert_records(records, expected, ticker="T", split="train"):
    assert [r.ticker for r in records] == [ticker] * len(expected)
    assert [r.split for r in records] == [split] * len(expected)
    got = as_tuples(records)
    assert [g[0] for g in got] == [e[0] for e in expected]
    for g, e in zip(got, expected):
        assert g[1] == pytest.approx(e[1]) and g[2] == pytest.approx(e[2]) and g[3] == pytest.approx(e[3]), (g, e)
        assert g[4] == e[4], (g, e)


def test_sliding_windows_end_the_day_before_their_target():
    assert list(sliding_windows("abcde", 3, 3)) == [(3, ["a", "b", "c"]), (4, ["b", "c", "d"])]
    assert list(sliding_windows("abcde", 2, 4)) == [(4, ["c", "d"])]
    with pytest.raises(ValueError, match="incomplete"):
        list(sliding_windows("abc", 3, 2))


def test_hand_checked_records_train_tail():
    result = process_series("T", rows(), CONFIG)
    assert (result.scaler.min, result.scaler.max) == (10.0, 15.0)
    assert_records(result.records["train"], EXPECTED_TRAIN)
    assert_records(result.records["test"], EXPECTED_TEST_TRAIN_TAIL, split="test")
    for r in result.records["train"] + result.records["test"]:
        assert r.prev_close == r.window[-1]
    assert result.date_ranges["test"]["first_history"] == "2020-01-04"
    assert result.date_ranges["train"] == {
        "rows": 6, "first_row": "2020-01-01", "last_row": "2020-01-06", "windows": 3,
        "first_history": "2020-01-01", "first_target": "2020-01-04", "last_target": "2020-01-06",
    }
    assert (result.used, result.out_of_range, result.rejected) == (10, 0, [])


def test_hand_checked_records_test_only():
    result = process_series("T", rows(), dataclasses.replace(CONFIG, test_history="test_only"))
    assert_records(result.records["train"], EXPECTED_TRAIN)
    assert_records(result.records["test"], EXPECTED_TEST_ONLY, split="test")
    assert result.date_ranges["test"]["first_history"] == "2020-01-07"


def test_input_order_does_not_matter():
    shuffled = rows()[::-1]
    assert as_tuples(process_series("T", shuffled, CONFIG).records["test"]) == as_tuples(
        process_series("T", rows(), CONFIG).records["test"]
    )


def test_date_boundaries_are_end_exclusive_and_out_of_range_counted():
    # Days 2019-12-30 .. 2020-01-12: two before train_start, two on/after test_end.
    dates = [D(2019, 12, 30) + datetime.timedelta(days=i) for i in range(14)]
    closes = [1000, 1000] + CLOSES + [5000, 5000]
    result = process_series("T", rows(closes, dates), CONFIG)
    assert (result.used, result.out_of_range) == (10, 4)
    # train_start (01-01) is the first training row; train_end (01-07) is the first test day;
    # test_end (01-11) is excluded; out-of-range prices do not reach the scaler.
    assert result.date_ranges["train"]["first_row"] == "2020-01-01"
    assert result.date_ranges["train"]["last_row"] == "2020-01-06"
    assert result.date_ranges["test"]["first_row"] == "2020-01-07"
    assert result.date_ranges["test"]["last_row"] == "2020-01-10"
    assert (result.scaler.min, result.scaler.max) == (10.0, 15.0)
    assert_records(result.records["train"], EXPECTED_TRAIN)
    assert_records(result.records["test"], EXPECTED_TEST_TRAIN_TAIL, split="test")


def test_scaler_and_train_records_ignore_test_period_prices():
    base = process_series("T", rows(), CONFIG)
    closes = list(CLOSES)
    closes[7] = 1e9  # a test-period price (2020-01-08)
    changed = process_series("T", rows(closes), CONFIG)
    assert changed.scaler == base.scaler
    assert changed.records["train"] == base.records["train"]
    assert changed.records["test"] != base.records["test"]  # the change is visible where it belongs
    assert changed.records["test"][1].target == pytest.approx((1e9 - 10) / 5)


def test_duplicate_dates_reject_every_copy():
    rs = rows()
    dup = dataclasses.replace(rs[2], close=99.0, line=12, raw="dup")
    kept, rejected = reject_duplicate_dates(rs + [dup])
    assert [r.date for r in kept] == DATES[:2] + DATES[3:]
    assert [(r.line, r.row) for r in rejected] == [(4, rs[2].raw), (12, "dup")]
    assert rejected[0].reason == "duplicate date 2020-01-03 (rows T.csv:4, T.csv:12)"


@pytest.mark.parametrize("split, n_train, n_test", [("train", 3, 4), ("test", 6, 3)])
def test_too_few_rows_fail_clearly(split, n_train, n_test):
    rs = rows()[6 - n_train:6 + n_test]
    with pytest.raises(InsufficientRowsError) as info:
        process_series("TK", rs, CONFIG, files=["in/TK.csv"])
    message = str(info.value)
    assert f"the {split} split" in message and "needs at least window + 1 = 4" in message
    assert "TK" in message and "in/TK.csv" in message


def test_exactly_window_plus_one_rows_per_split_is_enough():
    rs = rows()[2:]  # 4 train rows, 4 test rows
    result = process_series("T", rs, CONFIG)
    assert [r.date for r in result.records["train"]] == ["2020-01-06"]
    assert len(result.records["test"]) == 4


def test_series_config_checks():
    with pytest.raises(ValueError, match="train_start < train_end < test_end"):
        SeriesConfig(train_start=D(2018, 1, 1), train_end=D(2018, 1, 1))
    with pytest.raises(ValueError, match="test_history"):
        SeriesConfig(test_history="future")
    with pytest.raises(ValueError, match="window"):
        SeriesConfig(window=0)


def test_constant_training_period_fails_naming_the_ticker():
    closes = [7.0] * 6 + CLOSES[6:]
    with pytest.raises(ValueError, match=r"FLAT \(T.csv\): training period: scaler needs max > min"):
        process_series("FLAT", rows(closes), CONFIG)
