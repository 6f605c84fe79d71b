"""The rank target (targets/rank.py): labels from the panel's cross-section inside the training period only, the
direction target's output and calibration, the refusal of a single symbol; the optimizer option; a portfolio filled
at the scores' own close (portfolio.decided). Small generated panels, tiny models."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import targets
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.crosssection import next_returns, rank_labels
from stockrnn.errors import DataError, UsageError
from stockrnn.panel import Panel, Read, assemble
from stockrnn.panel_controls import planted_reversal_panel
from stockrnn.panel_train import Member, fit_panel, panel_windows
from stockrnn.portfolio import daily, decided, trade, weights
from stockrnn.rules import PortfolioRule
from stockrnn.targets import Forecasting
from stockrnn.validate import Prices
from stockrnn.windows import training_set

runner = CliRunner()
TINY = dict(target="rank", window=10, units=4, epochs=2, batch_size=32)


def panel_of(closes: pd.DataFrame) -> Panel:
    """A panel of (days, members) closes, each member's NaN days left out of its rows."""
    reads = []
    for symbol in closes.columns:
        frame = pd.DataFrame({"close": closes[symbol].dropna()})
        frame.index.name = "date"
        reads.append(Read(symbol, f"{symbol}.csv", Prices(frame=frame, source=f"{symbol}.csv", sha256=symbol)))
    return assemble(reads, "generated")


@pytest.fixture
def closes() -> pd.DataFrame:
    """Six members of 160 days; M05 starts 30 days late and lacks one day."""
    prices = planted_reversal_panel(members=6, days=160, planted=3, strength=0.2, seed=3).prices
    prices.iloc[:30, 5] = np.nan
    prices.iloc[100, 5] = np.nan
    return prices


def test_rank_labels_are_the_cross_section_inside_the_training_period(closes):
    end = closes.index[119]
    config = TrainConfig(**TINY, train_end=f"{end:%Y-%m-%d}")
    panel = panel_of(closes)
    sets, skipped, _ = panel_windows(panel, config)
    assert set(sets) == set(closes.columns) and skipped == ()
    # The classes of the panel cut at the training end: the members present each day, their next-day returns.
    expected = rank_labels(next_returns(closes.loc[:end]))
    for symbol, data in sets.items():
        rows = data.prices.index  # the member's own days in the training period
        # Each window's label is the class of its last day, the member's day before the label's day.
        last_days = rows[rows.get_indexer(data.val_dates) - 1]
        assert data.y_val.tolist() == expected.loc[last_days, symbol].tolist()
        assert set(np.unique(np.concatenate([data.y_train, data.y_val]))) <= {0.0, 1.0}  # no NaN class learned
        assert data.val_dates.max() <= end  # no label after the training end
        # A window ends on each of the member's days from its 11th (10 returns) to its last but one, less those
        # with no class.
        ends = rows[10:-1]
        assert len(data.y_train) + len(data.y_val) == int(expected.loc[ends, symbol].notna().sum())
    # M05 lacks day 100: the window ending the day before has no next-day return on the calendar: left out.
    assert np.isnan(expected.loc[closes.index[99], "M05"])
    assert expected.loc[closes.index[30 + 10 : 99], "M05"].notna().all()
    # Prices after the training end change nothing of what the model learns.
    later = closes.copy()
    later.loc[later.index > end] *= 3.0
    again, _, _ = panel_windows(panel_of(later), config)
    for symbol in sets:
        assert np.array_equal(sets[symbol].y_train, again[symbol].y_train)
        assert np.array_equal(sets[symbol].x_train, again[symbol].x_train)


def test_a_single_symbol_refuses_the_rank_target_in_one_line(closes, tmp_path):
    frame = pd.DataFrame({"close": closes["M00"]})
    frame.index.name = "date"
    with pytest.raises(UsageError, match="--target rank ranks a symbol among the members of a panel"):
        training_set(frame, TrainConfig(**TINY))
    path = tmp_path / "one.csv"
    pd.DataFrame({"Date": frame.index.strftime("%Y-%m-%d"), "Close": frame["close"]}).to_csv(path, index=False)
    result = runner.invoke(cli, ["train", "--csv", str(path), "--target", "rank", "--window", "10", "--epochs", "1"])
    assert result.exit_code == 2
    assert "--target rank ranks a symbol among the members of a panel" in result.output
    assert "Traceback" not in result.output


def test_rank_is_the_direction_targets_output_and_calibration():
    rank, direction = targets.get("rank"), targets.get("direction")
    assert isinstance(rank, type(direction))  # its validation, calibration and scores are direction's, inherited
    assert (rank.activation, rank.loss, rank.promotion_metric) == ("sigmoid", "binary_crossentropy", "brier")
    assert not rank.asks_horizon and TrainConfig(target="rank").horizon == 1
    assert rank.panel_only and not direction.panel_only
    assert not rank.can_replace(direction)  # a different question: never each other's champion
    assert direction.panel_labels(None, TrainConfig()) is None


@pytest.mark.slow
def test_a_rank_model_trains_on_a_panel_with_a_calibrator(closes):
    fit = fit_panel(panel_of(closes), TrainConfig(**TINY, train_end=f"{closes.index[119]:%Y-%m-%d}"))
    for symbol, stored in fit.scaler["members"].items():
        calibrator = stored["calibrator"]
        assert 0.3 < calibrator["base_rate"] < 0.7, symbol  # about half the members are above the median
    assert fit.manifest.config.target == "rank"
    first = next(iter(fit.verdicts.values()))
    assert first[0].baseline == "the base rate"
    # one member's day losses score its own direction, not its rank: no pooled test is claimed, the verdicts count
    assert fit.pooled == [] and fit.manifest.data.panel["pooled"] == []
    # A member's forecast: P(above median) made at each origin; its outcome needs the other members: left empty.
    series = closes["M00"]
    at = Forecasting(series=series, position=130, dates=series.index[130:135], label=("M00", "v1"))
    found = targets.get("rank").forecast(Member(fit.model), fit.scaler["members"]["M00"], fit.manifest.config, at)
    assert len(found.rows) == 5 and found.rows["p_up"].between(0, 1).all()
    assert found.rows["outcome"].isna().all() and found.metrics == {} and found.target == "rank"


def test_the_optimizer_option():
    from stockrnn.model import build

    assert TrainConfig().optimizer == "adam"
    assert TrainConfig.from_dict({"target": "return"}).optimizer == "adam"  # a model saved before the option
    model = build(TrainConfig(optimizer="RMSprop", window=5, units=2))
    assert type(model.optimizer).__name__ == "RMSprop"
    assert type(build(TrainConfig(window=5, units=2)).optimizer).__name__ == "Adam"
    with pytest.raises(UsageError, match="--optimizer must be one of adam, rmsprop, not 'sgd'"):
        TrainConfig(optimizer="sgd")


def test_a_same_close_fill_earns_the_next_days_return_worked_by_hand():
    days = pd.bdate_range("2024-01-01", periods=5, name="date")
    closes = pd.DataFrame({"A": [100, 100, 110, 110, 121.0], "B": [100, 100, 100, 90, 90.0]}, index=days)
    scores = pd.DataFrame({"A": [np.nan, 0.9, 0.2, 0.9], "B": [np.nan, 0.1, 0.8, 0.1]}, index=days[:4])
    rule = PortfolioRule(top=1, cost_bps=0.0, fill="same-close")
    moved = decided(scores, closes, rule.fill)
    assert moved.index.tolist() == days[:3].tolist()  # each row a day earlier: the first day's has no day before
    day = daily(weights(moved, rule), closes, 0.0)
    # Scores of day 1 (long A, short B), traded at day 1's close, earn day 2: +10% - 0%. Day 2's (long B, short A)
    # earn day 3: -10% - 0%; day 3's (long A, short B) earn day 4: +10% - 0%.
    assert day["gross"].tolist() == pytest.approx([0.0, 0.10, -0.10, 0.10])
    # The executable fill earns each a day later: day 1's scores (long A, short B) earn day 3: 0% + 10%; day 2's
    # (long B, short A) earn day 4: -10% - 0%.
    late = trade(scores, closes, dataclasses.replace(rule, fill="close"))
    assert late.day["gross"].tolist() == pytest.approx([0.0, 0.0, 0.10, -0.10])
    found = trade(scores, closes, rule)
    assert found.to_json()["convention"]["fill"].startswith("the close the scores were made at")
    assert found.accuracy == late.accuracy  # the classes are the next day's either way


@dataclass(frozen=True)
class Flat:
    """A model whose every raw output is `value` (calibrated by a = 1, b = 0: the same probability)."""

    value: float

    def predict_on_batch(self, batch: np.ndarray) -> np.ndarray:
        return np.full((len(batch), 1), self.value, dtype="float32")


def test_a_panel_backtest_scores_rank_by_the_days_cross_section_not_the_members_own_direction():
    from stockrnn.panel_backtest import member_losses

    # four members, 12 days: 9 days of drift, then the three days scored, their returns set by hand
    days = pd.bdate_range("2021-03-01", periods=12)
    moves = np.array([
        [0.01, 0.02, -0.01, 0.00],  # median 0.005: A and B above it
        [-0.02, 0.01, 0.03, -0.01],  # median 0.000: B and C above it
        [0.01, -0.01, 0.02, 0.05],  # median 0.015: C and D above it (A rose, yet below the median)
    ])  # fmt: skip
    growth = np.vstack([np.full((9, 4), 1.001), 1 + moves])
    closes = pd.DataFrame(100 * np.cumprod(growth, axis=0), index=days, columns=list("ABCD"))
    panel = panel_of(closes)
    config = TrainConfig(target="rank", window=5)
    labelled = targets.get("rank").panel_labels(panel, config)
    scaler = {"kind": "scale", "scale": 0.01, "calibrator": {"a": 1.0, "b": 0.0, "base_rate": 0.4}}
    chances = {"A": 0.8, "B": 0.6, "C": 0.3, "D": 0.5}
    found = {
        symbol: member_losses(Flat(p), scaler, config, symbol, panel.members[symbol].frame, symbol, days[-3:], 1,
                              classes=labelled[symbol])
        for symbol, p in chances.items()
    }  # fmt: skip
    classes = {"A": [1, 0, 0], "B": [1, 1, 0], "C": [0, 1, 1], "D": [0, 0, 1]}  # by hand, from the moves above
    for symbol, losses in found.items():
        assert set(losses["method"]) == {"model", "base rate"} and set(losses["score"]) == {"Brier"}
        brier = losses.pivot(index="date", columns="method", values="loss")
        assert list(brier.index) == list(days[-3:])
        y = np.array(classes[symbol], dtype="float64")
        np.testing.assert_allclose(brier["model"], (chances[symbol] - y) ** 2, rtol=1e-6)
        np.testing.assert_allclose(brier["base rate"], (0.4 - y) ** 2, rtol=1e-12)
    # A's last day: it rose (direction's outcome 1, a loss of 0.04) but stayed below the median (0.64)
    a = found["A"][found["A"]["method"] == "model"]["loss"].to_numpy()
    np.testing.assert_allclose(a, [0.04, 0.64, 0.64], rtol=1e-6)
    with pytest.raises(DataError, match="the panel's cross-section"):
        member_losses(Flat(0.5), scaler, config, "A", panel.members["A"].frame, "A", days[-3:], 1)


@pytest.mark.slow
def test_a_rank_walk_forward_scores_each_member_day_against_its_class(closes):
    from stockrnn.panel_backtest import GLOBAL, walk_forward

    panel = panel_of(closes)
    report = walk_forward(panel, TrainConfig(**TINY), folds=1, horizon=10, step=10, side=GLOBAL)
    assert set(report.losses["method"]) == {"model", "base rate"}
    base = report.losses[report.losses["method"] == "base rate"].pivot(index="date", columns="symbol", values="loss")
    # the class of the day scored is the cross-section's of its origin, the day before
    classes = rank_labels(next_returns(closes)).shift(1).reindex(index=base.index, columns=base.columns)
    assert classes.notna().all().all() and base.notna().all().all() and base.shape == (10, 6)
    for symbol in base.columns:  # a member's base rate is its own training classes' share: two losses, one a class
        column, truth = base[symbol], classes[symbol]
        assert column.nunique() <= 2
        said = (column > column.min() + 1e-9).astype("float64")  # the larger loss's days
        assert said.equals(truth) or said.equals(1 - truth), symbol
