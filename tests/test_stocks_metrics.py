"""Scores and baselines of the stock job, against hand computations and scipy."""
import math
from fractions import Fraction

import numpy as np
import pytest

from rnnmodels.stock_baselines import always_up, last_move, majority_class, persistence_forecast
from rnnmodels.stock_metrics import binary_scores, binomial_p_value, mae, rmse


def test_rmse_mae_by_hand():
    assert rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        rmse([1, 2], [1])


def test_binary_scores_by_hand():
    s = binary_scores([1, 1, 0, 0, 1, 0], [1, 0, 1, 0, 1, 1])  # tp 2, fn 1, fp 2, tn 1
    assert (s["tp"], s["fn"], s["fp"], s["tn"]) == (2, 1, 2, 1)
    assert s["accuracy"] == pytest.approx(3 / 6)
    assert s["precision"] == pytest.approx(2 / 4) and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s["predicted_up_rate"] == pytest.approx(4 / 6)
    none_up = binary_scores([1, 0], [0, 0])
    assert none_up["f1"] == 0.0 and none_up["precision"] == 0.0


def exact_tail(k, n, p):
    p = Fraction(p)
    return float(sum(Fraction(math.comb(n, i)) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


@pytest.mark.parametrize("k, n, p", [(8, 10, 0.5), (0, 5, 0.3), (260, 502, 0.5), (280, 502, 0.53), (502, 502, 0.5), (3, 3, 0.9)])
def test_binomial_tail_exact(k, n, p):
    assert binomial_p_value(k, n, p) == pytest.approx(exact_tail(k, n, p), rel=1e-9, abs=1e-300)


def test_binomial_tail_matches_scipy_and_handles_large_n():
    stats = pytest.importorskip("scipy.stats")
    for k, n, p in [(5100, 10000, 0.5), (130, 251, 0.56)]:
        expected = stats.binomtest(k, n, p, alternative="greater").pvalue
        assert binomial_p_value(k, n, p) == pytest.approx(expected, rel=1e-9)
    assert binomial_p_value(0, 10, 0.5) == 1.0
    with pytest.raises(ValueError):
        binomial_p_value(11, 10, 0.5)


def test_simple_baselines():
    np.testing.assert_array_equal(persistence_forecast([[0.1], [0.2]]), [0.1, 0.2])
    np.testing.assert_array_equal(always_up(3), [1, 1, 1])
    assert majority_class([1, 0, 1]) == 1 and majority_class([0, 0, 1]) == 0 and majority_class([0, 1]) == 1


def test_last_move_uses_the_previous_days_label():
    # Ticker A closes (scaled): .1 .3 .2 .2 .5 ; records target days 2..4 (window 2).
    # Ticker B closes: .9 .8 .7 .9 ; records target days 2..3.
    window = [[.1, .3], [.3, .2], [.2, .2], [.8, .7]]
    target = [.2, .2, .5, .9]
    prev = [.3, .2, .2, .7]
    direction = [0, 0, 1, 1]
    ticker = ["A", "A", "A", "B"]
    # A day 2: first record, previous move .1 -> .3 is up -> 1; day 3: label of day 2 (0);
    # day 4: label of day 3 (0). B day 3 (first record): .8 -> .7 is down -> 0.
    np.testing.assert_array_equal(last_move(direction, ticker, target, prev, window), [1, 0, 0, 0])


def test_last_move_refuses_non_consecutive_records():
    with pytest.raises(ValueError, match="does not follow"):
        last_move([0, 1], ["A", "A"], [.2, .4], [.1, .3], [[.0, .1], [.2, .3]])
