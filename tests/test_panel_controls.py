"""The control panels: the planted reversal has the autocorrelation it claims, on the members it names, at the
volatility asked; random walks have none; the same seed gives the same panel; bad settings are one line."""

import numpy as np
import pytest

from stockrnn.errors import UsageError
from stockrnn.panel_controls import planted_reversal_panel, random_walk_panel, reversal_scores


def _autocorrelation(returns, lag):
    return float(np.mean([returns[c].autocorr(lag) for c in returns]))


def test_the_planted_members_reverse_as_claimed_and_the_others_do_not():
    panel = planted_reversal_panel(members=6, days=40_000, planted=3, strength=0.2, persistence=0.5, seed=1)
    returns = panel.prices.pct_change().iloc[1:]
    planted, free = returns[list(panel.planted)], returns.drop(columns=list(panel.planted))
    assert panel.planted == ("M00", "M01", "M02") and list(panel.prices.columns[:2]) == ["M00", "M01"]
    assert _autocorrelation(planted, 1) == pytest.approx(-0.2, abs=0.01)
    assert _autocorrelation(planted, 2) == pytest.approx(-0.1, abs=0.01)  # strength x persistence
    assert _autocorrelation(free, 1) == pytest.approx(0.0, abs=0.01)
    assert returns.std().to_numpy() == pytest.approx(0.02, rel=0.03)  # the same volatility, planted or not
    assert returns.mean().to_numpy() == pytest.approx(0.0, abs=3e-4)  # martingales: about 0 a day
    assert (panel.prices.iloc[0] == 100).all()


def test_a_one_day_reversal_is_gone_the_day_after():
    panel = planted_reversal_panel(members=3, days=40_000, planted=3, strength=0.4, persistence=0.0, seed=2)
    returns = panel.prices.pct_change().iloc[1:]
    assert _autocorrelation(returns, 1) == pytest.approx(-0.4, abs=0.01)
    assert _autocorrelation(returns, 2) == pytest.approx(0.0, abs=0.01)


def test_the_same_seed_gives_the_same_panel():
    assert random_walk_panel(seed=5).prices.equals(random_walk_panel(seed=5).prices)
    assert not random_walk_panel(seed=5).prices.equals(random_walk_panel(seed=6).prices)
    assert random_walk_panel(members=4, days=30).prices.shape == (30, 4) and random_walk_panel().planted == ()


def test_the_reversal_score_is_minus_recent_returns():
    prices = random_walk_panel(members=2, days=5).prices
    today = prices / prices.shift(1) - 1
    assert reversal_scores(prices, 0.0).iloc[1:].to_numpy() == pytest.approx(-today.iloc[1:].to_numpy())
    # Persistence 0.5: the weights of today's and yesterday's returns are 1 and 0.5 (normalised).
    two = reversal_scores(prices, 0.5).iloc[2].to_numpy()
    assert two == pytest.approx(-(today.iloc[2] + 0.5 * today.iloc[1]).to_numpy() / 1.5)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"strength": 0.3}, "strength must be in [0, 0.25] with persistence 0.5, not 0.3"),
        ({"persistence": 1.0}, "persistence must be in [0, 1), not 1"),
        ({"planted": 30}, "a control panel needs members >= 1, days >= 2, 0 <= planted <= members; not 20, 750, 30"),
    ],
)
def test_bad_settings_are_one_line(settings, message):
    with pytest.raises(UsageError) as caught:
        planted_reversal_panel(**settings)
    assert str(caught.value) == message
