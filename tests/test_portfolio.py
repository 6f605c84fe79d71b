"""A panel's long-short portfolio: weights, turnover and costs on a worked example by hand, thin days, ties, halts,
the equal-weighted panel and the index beside it, no look-ahead, bad input in one line, and the controls: a planted
reversal found, random walks not."""

import math

import numpy as np
import pandas as pd
import pytest

from stockrnn.errors import DataError, UsageError
from stockrnn.panel_controls import planted_reversal_panel, random_walk_panel, reversal_scores
from stockrnn.portfolio import daily, equal_weights, trade, weights
from stockrnn.rules import PortfolioRule

DAYS = pd.bdate_range("2024-01-01", periods=6)  # Mon 1 .. Fri 5, Mon 8 January 2024
NAN = np.nan
CLOSES = pd.DataFrame(
    {
        "A": [100, 101, 103, 102, 104, 105.0],
        "B": [50, 49, 50, 51, 50, 49.0],
        "C": [20, 20.4, 20.2, 20.0, 20.6, 20.6],
        "D": [10, 10, 9.8, 10.1, 10.0, 10.2],
    },
    index=DAYS,
)
# Scores made at the closes of Jan 1..4 (none on Jan 5: the weights are kept).
SCORES = pd.DataFrame(
    {"A": [0.9, 0.8, 0.3, 0.6], "B": [0.2, 0.7, 0.9, NAN], "C": [0.5, 0.1, NAN, NAN], "D": [0.6, 0.4, NAN, NAN]},
    index=DAYS[:4],
)


def test_worked_example_by_hand():
    rule = PortfolioRule(top=2, cost_bps=10)  # 2 names a side, 10 bps a half-turn
    wanted = weights(SCORES, rule)
    # Jan 1: 4 scored, ranked A .9, D .6, C .5, B .2: long A, D at 1/2, short C, B at -1/2.
    # Jan 2: A .8, B .7, D .4, C .1: long A, B, short D, C.
    # Jan 3: only A and B scored: k = min(2, 2 // 2) = 1 a side at 1/1: long B, short A (a thin day).
    # Jan 4: only A: fewer than 2 scored, flat.
    expected = pd.DataFrame(
        {"A": [0.5, 0.5, -1, 0], "B": [-0.5, 0.5, 1, 0], "C": [-0.5, -0.5, 0, 0], "D": [0.5, -0.5, 0, 0.0]},
        index=DAYS[:4],
    )
    pd.testing.assert_frame_equal(wanted, expected)
    day = daily(wanted, CLOSES, rule.cost)
    # Each day's weights are filled at the next close and held from it to the close after.
    # Jan 2: nothing held into the day; Jan 1's book is bought at the close: turnover 4 x 1/2 = 2, cost 0.002.
    # Jan 3: holds Jan 1's book. Returns: A 103/101 - 1 = +1.98020%, B 50/49 - 1 = +2.04082%, C 20.2/20.4 - 1 =
    #   -0.98039%, D 9.8/10 - 1 = -2%: gross = (1.98020 - 2 - 2.04082 + 0.98039)% / 2 = -0.540115%. The fill to
    #   Jan 2's book: B -1/2 -> +1/2 and D +1/2 -> -1/2: turnover 2, cost 0.002.
    # Jan 4: holds Jan 2's book. A 102/103 - 1 = -0.97087%, B 51/50 - 1 = +2%, C 20/20.2 - 1 = -0.99010%,
    #   D 10.1/9.8 - 1 = +3.06122%: gross = (-0.97087 + 2 + 0.99010 - 3.06122)% / 2 = -0.520995%. The fill to
    #   Jan 3's book: A 1/2 -> -1 (1.5), B 1/2 -> 1 (0.5), C -1/2 -> 0 (0.5), D -1/2 -> 0 (0.5): turnover 3, 0.003.
    # Jan 5: holds long B, short A: B 50/51 - 1 = -1.96078%, A 104/102 - 1 = +1.96078%: gross -3.92157%. Sold to
    #   flat (Jan 4's decision): turnover 2, 0.002.
    # Jan 8: flat (no scores on Jan 5: flat kept): nothing.
    a3, b3, c3, d3 = 103 / 101 - 1, 50 / 49 - 1, 20.2 / 20.4 - 1, 9.8 / 10 - 1
    a4, b4, c4, d4 = 102 / 103 - 1, 51 / 50 - 1, 20 / 20.2 - 1, 10.1 / 9.8 - 1
    gross = [0, (a3 + d3 - b3 - c3) / 2, (a4 + b4 - c4 - d4) / 2, (50 / 51 - 1) - (104 / 102 - 1), 0]
    assert gross[1:4] == pytest.approx([-0.00540115, -0.00520995, -0.0392157], abs=1e-7)
    assert list(day.index) == list(DAYS[1:])
    assert day["gross"].to_numpy() == pytest.approx(gross, abs=1e-12)
    assert day["turnover"].to_numpy() == pytest.approx([2, 2, 3, 2, 0])
    assert day["cost"].to_numpy() == pytest.approx([0.002, 0.002, 0.003, 0.002, 0])
    assert day["ret"].to_numpy() == pytest.approx(np.array(gross) - [0.002, 0.002, 0.003, 0.002, 0], abs=1e-12)
    assert day["exposed"].tolist() == [False, True, True, True, False]
    assert (day["long"].tolist(), day["short"].tolist()) == ([2, 2, 1, 0, 0], [2, 2, 1, 0, 0])

    report = trade(SCORES, CLOSES, rule)
    p = report.performance
    # Equity from 1 at the Jan 1 close: 0.998 x 0.99259885 x 0.99179005 x 0.95878431 = 0.94197... on Jan 5.
    assert p.total_return == pytest.approx(np.prod(1 + day["ret"].to_numpy()) - 1)
    assert p.total_return == pytest.approx(0.998 * (1 - 0.00740115) * (1 - 0.00820995) * (1 - 0.0412157) - 1, abs=1e-7)
    # Four fills changed weights (Jan 2..5), 9 units of turnover at 10 bps: 0.9% of equity, 9 x 252 / 5 a year.
    assert (p.trades, p.costs, p.turnover) == (4, pytest.approx(0.009), pytest.approx(9 * 252 / 5))
    assert (p.exposure, p.hit_rate) == (pytest.approx(0.6), 0.0)  # three days held, each lost
    # The equal-weighted panel: every member has a close each day, 1/4 each, bought at the Jan 2 close (turnover 1,
    # 0.001), then held: each day's mean return of the four.
    panel = report.panel_day
    assert panel["turnover"].tolist() == pytest.approx([1, 0, 0, 0, 0])
    assert panel["ret"].iloc[1] == pytest.approx((a3 + b3 + c3 + d3) / 4)
    assert panel["ret"].iloc[0] == pytest.approx(-0.001)
    # The scores' accuracy against the next day's classes (above the median next-day return):
    # Jan 1 -> Jan 2 returns A +1%, B -2%, C +2%, D 0: classes A 1, B 0, C 1, D 0; the scores say A 1, D 1, C 0,
    # B 0 (median .55): A, B right. Jan 2 -> 3: A +1.98, B +2.04, C -0.98, D -2: classes A 1, B 1, C 0, D 0; the
    # scores say A 1, B 1 (median .55): 4 right. Jan 3 -> 4: A -0.97 vs B +2: A 0, B 1; scores A .3, B .9: 2 right.
    # Jan 4: one member scored, no class. 8 of 10.
    assert (report.accuracy.share, report.accuracy.n) == (pytest.approx(0.8), 10)


def test_long_only_is_the_long_leg_and_ties_go_to_the_earlier_column():
    scores = pd.DataFrame([[0.5, 0.5, 0.5, 0.5], [0.1, 0.9, 0.3, NAN]], index=DAYS[:2], columns=list("ABCD"))
    both = weights(scores, PortfolioRule(top=1))
    assert both.iloc[0].tolist() == [1, 0, 0, -1]  # all tied: the first column long, the last short
    assert both.iloc[1].tolist() == [-1, 1, 0, 0]  # 3 scored: k = 1; D absent
    alone = weights(scores, PortfolioRule(top=2, long_only=True))
    assert alone.iloc[0].tolist() == [0.5, 0.5, 0, 0] and alone.iloc[1].tolist() == [0, 1, 0, 0]
    assert (alone.abs().sum(axis=1) == 1).all() and (weights(scores, PortfolioRule(top=2)).abs().sum(axis=1) == 2).all()


def test_a_halted_member_earns_nothing_until_it_trades_again():
    closes = CLOSES.copy()
    closes.loc[DAYS[2], "B"] = NAN  # B does not trade on Jan 3
    wanted = weights(SCORES.iloc[:2], PortfolioRule(top=2, cost_bps=0))  # long A, D / short C, B; then A, B / C, D
    day = daily(wanted, closes, 0.0, last=DAYS[3])
    a3, c3, d3 = 103 / 101 - 1, 20.2 / 20.4 - 1, 9.8 / 10 - 1
    assert day["gross"].iloc[1] == pytest.approx((a3 + d3 - c3) / 2)  # B short, marked at 49: 0
    a4, c4, d4 = 102 / 103 - 1, 20 / 20.2 - 1, 10.1 / 9.8 - 1
    assert day["gross"].iloc[2] == pytest.approx((a4 + (51 / 49 - 1) - c4 - d4) / 2)  # B's two days, held long


def test_equal_weights_cover_the_members_present():
    closes = CLOSES.copy()
    closes.loc[DAYS[0], ["C", "D"]] = NAN  # C and D start on Jan 2
    held = equal_weights(closes, DAYS[:2])
    assert held.iloc[0].tolist() == [0.5, 0.5, 0, 0] and held.iloc[1].tolist() == [0.25] * 4


def test_no_look_ahead():
    # Moving every close after a day D moves no weight decided up to D and no return of a day up to D; nor the
    # control's score made at any close up to D.
    panel = planted_reversal_panel(members=8, days=120, planted=4, seed=3)
    d = panel.prices.index[60]
    moved = panel.prices.copy()
    moved.loc[moved.index > d] *= np.random.default_rng(0).uniform(0.5, 2.0, size=moved.loc[moved.index > d].shape)
    scores, changed = reversal_scores(panel.prices), reversal_scores(moved)
    pd.testing.assert_frame_equal(scores.loc[:d], changed.loc[:d])
    rule = PortfolioRule(top=2)
    first = daily(weights(scores, rule), panel.prices, rule.cost)
    second = daily(weights(changed, rule), moved, rule.cost)
    pd.testing.assert_frame_equal(first.loc[:d], second.loc[:d])
    assert not first.loc[d:].equals(second.loc[d:])  # the check can see a change


def test_the_index_is_bought_once_and_held():
    index = pd.Series([1000, 1010, 1000, NAN, 1030, 1040.0], index=DAYS)  # no close on Jan 4: carried
    report = trade(SCORES, CLOSES, PortfolioRule(top=1, cost_bps=5), index=index, index_name="the test index")
    assert report.index is not None and report.index.days == 5 and report.index.costs == pytest.approx(0.0005)
    # Bought at the Jan 2 close; held: 1000/1010, 1000/1000, 1030/1000, 1040/1030.
    assert report.index.total_return == pytest.approx(0.9995 * 1040 / 1010 - 1)
    assert report.to_json()["index"]["name"] == "the test index"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (PortfolioRule(top=0), "--top must be a whole number of names a side, 1 or more, not 0"),
        (
            PortfolioRule(fill="open"),
            "--fill for a portfolio must be close (the next close) or same-close (the scores' own close, the "
            "literature's convention), not 'open'",
        ),
        (PortfolioRule(cost_bps=-1), "--cost-bps must be from 0 to 1000 basis points per half-turn, not -1"),
    ],
)
def test_bad_rules_are_one_line_usage_errors(rule, message):
    with pytest.raises(UsageError) as caught:
        weights(SCORES, rule)
    assert str(caught.value) == message


def test_bad_input_is_one_line_data_errors():
    rule = PortfolioRule(top=1)
    infinite = SCORES.copy()
    infinite.loc[DAYS[1], "C"] = math.inf
    with pytest.raises(DataError, match=r"^the score of C on 2024-01-02 is infinite$"):
        weights(infinite, rule)
    unpriced = CLOSES.copy()
    unpriced.loc[DAYS[0], "A"] = NAN  # A is scored (and bought) on Jan 1, a day it has no close
    with pytest.raises(DataError, match=r"^A is weighted \(scored\) on 2024-01-01, a day it has no close$"):
        trade(SCORES, unpriced, rule)
    with pytest.raises(DataError, match=r"^weights for D, which has no closes$"):
        trade(SCORES, CLOSES.drop(columns="D"), rule)
    late = SCORES.set_axis(pd.DatetimeIndex([*DAYS[1:4], pd.Timestamp("2024-01-06")]))  # Saturday the 6th
    with pytest.raises(DataError, match=r"^a decision day 2024-01-06 is not a day of the closes$"):
        trade(late, CLOSES, rule)
    with pytest.raises(DataError, match=r"^no day to trade after the first decision 2024-01-08"):
        trade(SCORES.iloc[:1].set_axis([DAYS[-1]]), CLOSES, rule)
    with pytest.raises(DataError, match=r"^the index has no close on or before the first decision day 2024-01-01$"):
        trade(SCORES, CLOSES, rule, index=pd.Series([NAN, 1.0], index=DAYS[:2]))


def test_a_planted_reversal_is_found_after_costs():
    # The control with an answer: 10 of 20 members reverse (lag-1 autocorrelation -0.2, half of it left a day
    # later), scored by the reversal signal itself (minus recent returns: no network), top and bottom 5 at 5 bps.
    panel = planted_reversal_panel(members=20, days=750, planted=10, strength=0.2, seed=0)
    report = trade(reversal_scores(panel.prices, 0.5), panel.prices, PortfolioRule(top=5))
    assert report.accuracy.share > 0.52 and report.accuracy.n > 14_000
    assert report.mean_test.outcome == "above zero" and report.mean_test.p_value < 0.01
    assert report.mean_test.n == 749 and "is ABOVE zero" in report.mean_test.line()
    assert report.sharpe_test.outcome == "beat" and "the equal-weighted panel" in report.sharpe_test.line()
    assert report.to_json()["mean_test"]["outcome"] == "above zero"


@pytest.mark.slow
def test_a_one_day_reversal_cannot_be_traded_a_day_late():
    # Persistence 0: the reversal lasts one day. The score knows the next day's class better than chance, but the
    # portfolio, filled at the next close, holds the day after, which the reversal no longer reaches: a portfolio
    # that earned here (without costs) would be trading on the close it scored.
    panel = planted_reversal_panel(members=20, days=750, planted=10, strength=0.2, persistence=0.0, seed=0)
    report = trade(reversal_scores(panel.prices, 0.0), panel.prices, PortfolioRule(top=5, cost_bps=0))
    assert report.accuracy.share > 0.52
    assert report.mean_test.outcome == "no significant difference"


@pytest.mark.slow
def test_random_walk_panels_are_called_significant_at_most_2_times_in_20():
    # The tests' false-positive rate: the same score on 20 seeded panels of martingales, without costs (with them
    # the portfolio loses its costs, truly). At 5% about 1 in 20 is expected by chance, for each test.
    means = sharpes = 0
    for seed in range(20):
        panel = random_walk_panel(members=20, days=750, seed=seed)
        report = trade(reversal_scores(panel.prices, 0.5), panel.prices, PortfolioRule(top=5, cost_bps=0))
        assert 0.48 < report.accuracy.share < 0.52
        means += report.mean_test.outcome != "no significant difference"
        sharpes += report.sharpe_test.outcome != "no significant difference"
    assert means <= 2 and sharpes <= 2
