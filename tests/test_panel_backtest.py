"""Walk-forward of a panel: the global model and the members' own models re-fitted at each cut-off of the common
calendar, each member's one-step losses in the target's units, pooled by the daily cross-sectional mean."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import app
from stockrnn.calendar import sessions
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.panel_backtest import GLOBAL, LOCAL, PanelBacktest, panel_folds, pooled_test, versus, walk_forward
from stockrnn.price_source import PanelSource

from .test_validate import quantmod, quantmod_columns

DAYS = sessions(pd.Timestamp("2019-01-02"), pd.Timestamp("2020-12-31"), "XNYS")[:200]
TINY = dict(window=5, units=4, epochs=2, patience=0, batch_size=32)


def write(folder: Path, symbol: str, days: pd.DatetimeIndex, seed: int, level: float) -> None:
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0005, 0.01, len(days))))
    (folder / f"{symbol}.csv.gz").write_bytes(quantmod(days, quantmod_columns(symbol, close)))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three members (CCC joins 30 days late) and a market series MKT."""
    panel = tmp_path / "panel"
    panel.mkdir()
    write(panel, "AAA", DAYS, 1, 50.0)
    write(panel, "BBB", DAYS, 2, 500.0)
    write(panel, "CCC", DAYS[30:], 3, 5.0)
    write(panel, "MKT", DAYS, 4, 3000.0)
    return panel


def test_folds_end_on_the_calendars_last_day(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    folds = panel_folds(panel, TrainConfig(**TINY), folds=2, horizon=10, step=10)
    assert [f.cutoff for f in folds] == [panel.calendar[-21], panel.calendar[-11]]
    assert folds[-1].days[-1] == panel.calendar[-1] and [len(f.days) for f in folds] == [10, 10]
    with pytest.raises(DataError, match="--folds"):
        panel_folds(panel, TrainConfig(**TINY), folds=30, horizon=10, step=10)


def test_pooled_test_averages_the_members_each_day():
    days = pd.date_range("2020-01-01", periods=40)
    rng = np.random.default_rng(0)
    base = pd.DataFrame(rng.random((40, 3)), index=days, columns=list("abc"))
    better = base - 0.1 + 0.01 * rng.standard_normal((40, 3))
    test = pooled_test(better, base)
    assert test.n == 40 and test.statistic < 0 and test.p_value < 0.001
    assert pooled_test(base, base).p_value == 1.0
    # a member that did not forecast a day leaves that day's mean to the others
    gap = better.copy()
    gap.iloc[:5, 0] = np.nan
    assert pooled_test(gap, base).n == 40


@dataclass(frozen=True)
class Flat:
    """A model whose every output is `value`: 0 is a return of 0 (persistence), 0.5 a raw P(up) of one half."""

    value: float = 0.0

    def predict_on_batch(self, batch: np.ndarray) -> np.ndarray:
        return np.full((len(batch), 1), self.value, dtype="float32")


def test_member_losses_in_the_targets_units_and_never_from_before_the_cutoff(folder):
    from stockrnn.panel_backtest import member_losses

    prices = app.load_panel(PanelSource(folder=folder)).members["BBB"]
    days, cutoff = DAYS[150:160], DAYS[149]
    config = TrainConfig(target="return", **TINY)
    losses = member_losses(Flat(), {"kind": "scale", "scale": 0.01}, config, "BBB", prices.frame, "BBB", days, 1)
    rmse = losses[losses["score"] == "RMSE"].pivot(index="date", columns="method", values="loss")
    np.testing.assert_allclose(rmse["model"], rmse["persistence"], rtol=1e-6)  # a 0 return is persistence
    assert list(rmse.index) == list(days)
    # three days ahead: a day whose origin lies before the cut-off is not scored (the model saw what followed it)
    ahead = TrainConfig(target="direction", horizon_days=3, **TINY)
    scaler = {"kind": "scale", "scale": 0.01, "calibrator": {"a": 1.0, "b": 0.0, "base_rate": 0.5}}
    found = member_losses(Flat(0.5), scaler, ahead, "BBB", prices.frame, "BBB", days, 1, cutoff=cutoff)
    assert sorted(found["date"].unique()) == list(days[2:])
    brier = found[found["method"] == "model"]["loss"]
    np.testing.assert_allclose(brier, 0.25)  # P(up) 0.5 whatever happened


@pytest.mark.slow
@pytest.mark.parametrize("target", ["return", "direction"])
def test_global_and_local_walk_forward_score_the_same_member_days(folder, target):
    panel = app.load_panel(PanelSource(folder=folder)).without({"MKT"})
    config = TrainConfig(target=target, **TINY, **({"horizon_days": 1} if target == "direction" else {}))
    one = walk_forward(panel, config, folds=2, horizon=10, step=10, side=GLOBAL)
    two = walk_forward(panel, config, folds=2, horizon=10, step=10, side=LOCAL)
    assert isinstance(one, PanelBacktest) and len(one.epochs) == 2 and len(two.epochs) == 6
    keys = ["fold", "date", "symbol", "score", "method"]
    assert one.losses[keys].equals(two.losses[keys])  # the same member-days, the same scores
    assert set(one.losses["symbol"]) == {"AAA", "BBB", "CCC"} and one.losses["date"].nunique() == 20
    pooled = {(p.score, p.method): p for p in one.pooled()}
    score = "RMSE" if target == "return" else "Brier"
    assert pooled[(score, "model")].member_days == 60 and pooled[(score, "model")].test is None
    baseline = "persistence" if target == "return" else "base rate"
    assert pooled[(score, baseline)].test.n == 20
    if target == "return":  # persistence's loss is the squared log return itself
        prices = panel.members["BBB"].frame["close"]
        moves = np.log(prices / prices.shift(1)).loc[one.losses["date"].unique()]
        rows = one.losses[(one.losses["symbol"] == "BBB") & (one.losses["method"] == "persistence")]
        rows = rows[rows["score"] == "RMSE"]
        np.testing.assert_allclose(rows["loss"].to_numpy(), (moves**2).to_numpy(), rtol=1e-9)
    assert versus(one, two, score).n == 20
    assert set(one.to_json()["per_member"]) == {"AAA", "BBB", "CCC"}


@pytest.mark.slow
def test_a_covariates_panel_backtest_and_a_bad_end(folder):
    config = TrainConfig(target="return", features="return,volume,range,market", **TINY)
    report = app.panel_backtest(PanelSource(folder=folder), config, folds=1, horizon=10, step=10, market="MKT")
    assert set(report.losses["symbol"]) == {"AAA", "BBB", "CCC"}  # the market is not a member
    assert np.isfinite(report.losses["loss"]).all()
    with pytest.raises(UsageError, match="--end 2030-01-01 is outside the panel's calendar"):
        app.panel_backtest(PanelSource(folder=folder), config, folds=1, horizon=10, end="2030-01-01", market="MKT")


runner = CliRunner()
OPTIONS = ["--window", "5", "--units", "4", "--epochs", "2", "--patience", "0", "--offline"]


def test_the_command_line_refuses_what_a_panel_backtest_is_not(folder):
    result = runner.invoke(cli, ["backtest", "AAA", "--panel", str(folder)])
    assert result.exit_code == 2 and "leave out SYMBOL/--symbol (a watchlist line" in result.output
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), "--strategy", "long-flat"])
    assert result.exit_code == 2 and "--strategy, --threshold, --plot" in result.output
    result = runner.invoke(cli, ["backtest", "--local"])
    assert result.exit_code == 2 and "give --panel DIR, --watchlist FILE or NAME" in result.output
    result = runner.invoke(cli, ["backtest", "--panel", str(folder / "nowhere"), *OPTIONS])
    assert result.exit_code == 66 and "nowhere: no such folder" in result.output
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), "--features", "return,market", *OPTIONS])
    assert result.exit_code == 2 and "--features market needs the market's prices: --market" in result.output


@pytest.mark.slow
def test_backtest_of_a_panel_and_of_a_global_models_name(folder):
    args = ["--folds", "1", "--horizon", "10", *OPTIONS]
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), *args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["side"] == "global" and report["members"] == 4 and report["days"] == 10
    assert report["symbol"] is None and report["panel"] == str(folder)
    pooled = {(p["score"], p["method"]): p for p in report["pooled"]}
    assert pooled[("RMSE", "persistence")]["test"]["n"] == 10 and pooled[("RMSE", "model")]["member_days"] == 40
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), *args])
    assert result.exit_code == 0, result.output
    assert "one global model, return target; 4 members, 10 days" in result.output
    assert "daily cross-sectional mean of the members' loss differentials" in result.output
    # a registered global model: its recorded panel, configuration and market
    train = ["train", "--panel", str(folder), "--name", "TRIO", "--features", "return,market", "--market", "MKT"]
    assert runner.invoke(cli, [*train, *OPTIONS]).exit_code == 0
    result = runner.invoke(cli, ["backtest", "TRIO", "--folds", "1", "--horizon", "10", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["symbol"] == "TRIO" and report["members"] == 3  # MKT is the market, not a member
    result = runner.invoke(cli, ["backtest", "TRIO", "--folds", "1", "--window", "7"])
    assert result.exit_code == 2 and "recorded configuration and market" in result.output


@pytest.mark.slow
def test_a_member_left_out_is_said_once_and_the_walk_forward_exits_1(folder):
    """A file that cannot be read: one warning, one 'left out' line (not one a fold), and the exit code 1 that
    docs/usage.md gives a panel whose member was left out while the rest ran (as train --panel)."""
    (folder / "DDD.csv.gz").write_bytes((folder / "AAA.csv.gz").read_bytes()[:300])  # a truncated gzip
    args = ["--folds", "2", "--horizon", "10", "--step", "10", *OPTIONS]
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), *args])
    assert result.exit_code == 1, result.output
    assert result.stdout.count("left out: ") == 1 and "DDD.csv.gz: left out of the panel" in result.stdout
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), *args, "--json"])
    assert result.exit_code == 1, result.output
    assert [s["where"] for s in json.loads(result.stdout)["left_out"]] == [str(folder / "DDD.csv.gz")]


def _synthetic(side: str = GLOBAL) -> PanelBacktest:
    """A walk-forward's losses made by hand: 3 members, 30 days; the model's RMSE losses well below persistence's,
    its error rate level with always up's."""
    rng = np.random.default_rng(5)
    days = DAYS[100:130]
    rows = []
    for symbol in ("AAA", "BBB", "CCC"):
        moves = rng.normal(0.0, 0.01, len(days))
        for method, loss in (("model", (0.2 * moves) ** 2), ("persistence", moves**2)):
            rows.append(pd.DataFrame({"date": days, "score": "RMSE", "method": method, "loss": loss}))
        wrong = (rng.random(len(days)) < 0.5) * 1.0
        for method in ("model", "always up"):
            rows.append(pd.DataFrame({"date": days, "score": "error rate", "method": method, "loss": wrong}))
        rows[-4:] = [r.assign(symbol=symbol, fold=1) for r in rows[-4:]]
    losses = pd.concat(rows, ignore_index=True)[["fold", "date", "symbol", "score", "method", "loss"]]
    config = TrainConfig(target="return", **TINY)
    return PanelBacktest(config, side, [], losses, panel="a-folder-of-members-whose-name-is-long")


def test_a_panel_backtest_ends_with_the_verdicts_of_its_pooled_tests():
    report = _synthetic()
    verdicts = report.comparisons()
    pooled = {(p.score, p.method): p for p in report.pooled()}
    assert [(c.score, c.baseline) for c in verdicts] == [("RMSE", "persistence"), ("error rate", "always up")]
    first = verdicts[0]
    assert first.test == pooled[("RMSE", "persistence")].test and first.model_rmse == pooled[("RMSE", "model")].value
    assert first.outcome == "beat" and first.model == "the global model"
    window = f"the folds' days {DAYS[100]:%Y-%m-%d}..{DAYS[129]:%Y-%m-%d}, pooled: 90 member-days"
    assert first.line().startswith(f"verdict: the global model BEAT persistence by 80% on {window}")
    assert verdicts[1].outcome == "no significant difference"  # the same losses: nothing between them
    lines = [item for item in report.render() if isinstance(item, str)]
    assert lines[-2:] == [c.line() for c in verdicts]  # the last lines: the same words as train's verdicts
    assert [v["verdict"] for v in report.to_json()["verdicts"]] == lines[-2:]
    local = _synthetic(LOCAL).comparisons()[0].line()
    assert local.startswith("verdict: the members' own models BEAT persistence")


def test_no_cell_of_a_panel_backtests_tables_is_cut_at_80_columns():
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    tables = [item for item in _synthetic().render() if isinstance(item, Table)]
    assert len(tables) == 2
    for table in tables:
        console.print(table)
    text = console.export_text()
    assert "persistence" in text and "…" not in text
