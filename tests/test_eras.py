"""A traded panel split by era (eras.py): the eras' days, means and tests are the portfolio's own restricted to each
span; a signal that works only in the first era is found there and not in the second; bad --eras in one line."""

import numpy as np
import pandas as pd
import pytest

from stockrnn.bootstrap import MeanTest
from stockrnn.eras import parse, split
from stockrnn.errors import UsageError
from stockrnn.panel_controls import planted_reversal_panel, reversal_scores
from stockrnn.portfolio import trade
from stockrnn.rules import PortfolioRule


def test_a_signal_of_the_first_era_only_is_found_there_and_not_after():
    panel = planted_reversal_panel(members=20, days=750, planted=10, strength=0.2, seed=0)
    closes = panel.prices
    scores = reversal_scores(closes, 0.5)
    cut = closes.index[375]
    noise = np.random.default_rng(3).random((len(closes) - 375, closes.shape[1]))
    scores.iloc[375:] = noise  # after the cut the scores know nothing
    report = trade(scores, closes, PortfolioRule(top=5, cost_bps=0))
    first, second = split(report, scores, closes, [cut])
    assert (first.start, second.start, second.end) == (report.day.index[0], cut, report.day.index[-1])
    assert first.days + second.days == len(report.day) and first.end < cut
    before = report.day.loc[report.day.index < cut]
    assert first.gross == pytest.approx(before["gross"].mean()) and first.net == pytest.approx(before["ret"].mean())
    assert first.mean_test == MeanTest.run(before["ret"], model=f"the {report.rule.name} portfolio",
                                           exposed=int(before["exposed"].sum()))  # fmt: skip
    assert first.accuracy.share > 0.52 and abs(second.accuracy.share - 0.5) < 0.02
    assert first.mean_test.outcome == "above zero" and second.mean_test.outcome != "above zero"
    assert first.sharpe is not None and second.sharpe is not None and first.sharpe > second.sharpe
    assert first.accuracy.n + second.accuracy.n == report.accuracy.n
    data = first.to_json()
    assert data["days"] == first.days and data["mean_test"]["p_value"] == first.mean_test.p_value


def test_no_cut_or_a_cut_outside_the_days_is_one_era():
    panel = planted_reversal_panel(members=10, days=200, planted=5, strength=0.2, seed=1)
    scores = reversal_scores(panel.prices, 0.5)
    report = trade(scores, panel.prices, PortfolioRule(top=2))
    for at in ([], [pd.Timestamp("1990-01-01")], [panel.prices.index[-1] + pd.Timedelta(days=5)]):
        (one,) = split(report, scores, panel.prices, at)
        assert one.days == len(report.day) and one.net == pytest.approx(report.mean_test.mean)


def test_eras_are_parsed_sorted_and_a_bad_day_refused_in_one_line():
    assert parse(["2015-01-01", "2010-01-01", "2015-01-01"]) == (pd.Timestamp("2010-01-01"), pd.Timestamp("2015-01-01"))
    with pytest.raises(UsageError, match=r"^--eras 'soon' is not a date; use YYYY-MM-DD"):
        parse(["soon"])
