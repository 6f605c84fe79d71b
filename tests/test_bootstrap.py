"""The stationary bootstrap's test of a mean daily return against zero: its words, its untested cases, and the
Sharpe ratio test built on the same resampling."""

import numpy as np
import pandas as pd
import pytest

from stockrnn.bootstrap import MeanTest, p_value

DAYS = pd.bdate_range("2020-01-01", periods=250)


def test_p_value_is_the_share_at_least_as_far_from_the_observed():
    # Observed 1, null 0: resampled values 0.0, 0.5, 1.0, 2.5 are 1, 0.5, 0, 1.5 from it; two of four are >= 1.
    assert p_value(np.array([0.0, 0.5, 1.0, 2.5]), 1.0) == 0.5


def test_the_mean_test_words_and_untested():
    rng = np.random.default_rng(0)
    noise = pd.Series(rng.normal(0, 0.01, 250), index=DAYS)
    up = MeanTest.run(noise + 0.004, model="the test portfolio")  # +0.4% a day against 1% noise: t about 6
    assert up.outcome == "above zero" and up.p_value < 0.01 and up.n == 250 and up.block >= 1
    assert up.line().startswith("verdict: the test portfolio's mean return after costs, +0.394% a day, ")
    assert "is ABOVE zero on 2020-01-01..2020-12-15, significant at 5% (bootstrap p = 0.00, 250 days)" in up.line()
    down = MeanTest.run(noise - 0.004)
    assert down.outcome == "below zero" and "is BELOW zero" in down.line()
    plain = MeanTest.run(noise - noise.mean() + 0.0001)
    assert plain.outcome == "no significant difference" and plain.p_value > 0.5
    assert "is not significantly different from zero" in plain.line()
    assert MeanTest.run(noise[:10]).reason == "fewer than 20 days"
    assert MeanTest.run(pd.Series(0.001, index=DAYS)).reason == "the portfolio's daily return never varied"
    rare = MeanTest.run(noise.where(np.arange(250) % 50 == 0, 0.0), exposed=5)
    assert rare.outcome == "untested" and rare.reason == "the portfolio held a position on 5 of 250 days, fewer than 20"
    assert rare.to_dict()["verdict"].startswith("verdict: the portfolio's mean return not tested on 2020-01-01")


def test_the_same_data_give_the_same_p_value():
    series = pd.Series(np.random.default_rng(4).normal(0.0005, 0.01, 250), index=DAYS)
    assert MeanTest.run(series).p_value == MeanTest.run(series).p_value
    assert MeanTest.run(series, seed=1).p_value != pytest.approx(MeanTest.run(series, seed=2).p_value, abs=0)
