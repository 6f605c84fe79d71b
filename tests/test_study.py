"""Study periods (study.py, app/study.py, cli/study.py): the periods' arithmetic, the scores made out of sample and
from past prices only, the whole study on a planted-reversal panel and on random walks, the refusals. Small
generated panels, tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import study
from stockrnn.calendar import sessions
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.panel_controls import planted_reversal_panel, random_walk_panel
from stockrnn.panel_train import fit_panel
from stockrnn.rules import PortfolioRule
from stockrnn.study import Period, StudySpec, periods, study_config

from .test_rank import panel_of
from .test_validate import quantmod, quantmod_columns

runner = CliRunner()
# Its budget in passes over every member's windows (5 at most): a check after a member's worth, the default, would
# stop the tiny model after a quarter of a pass, before it learns the planted reversal.
TINY = dict(target="rank", window=10, units=8, epochs=5, patience=3, batch_size=64, validate_every="epoch")
RULES = [PortfolioRule(top=3, fill="close"), PortfolioRule(top=3, fill="same-close")]


def test_periods_follow_one_another_without_overlap_each_trained_on_the_days_before():
    calendar = pd.bdate_range("2010-01-04", periods=1000, name="date")
    found = periods(calendar, StudySpec(300, 200))
    assert [p.trade_days for p in found] == [200, 200, 200, 100]  # the last one shorter
    assert found[0].trade_start == calendar[300] and found[-1].trade_end == calendar[-1]
    for p in found:
        train = calendar[(calendar >= p.train_start) & (calendar <= p.train_end)]
        trade = calendar[(calendar >= p.trade_start) & (calendar <= p.trade_end)]
        assert len(train) == 300 and len(trade) == p.trade_days
        assert train[-1] < trade[0] and calendar.get_loc(trade[0]) == calendar.get_loc(train[-1]) + 1
    for before, after in zip(found, found[1:], strict=False):
        assert calendar.get_loc(after.trade_start) == calendar.get_loc(before.trade_end) + 1  # no gap, no overlap
    assert len(periods(calendar, StudySpec(300, 200, periods=2))) == 2
    late = periods(calendar, StudySpec(300, 200, first=calendar[450]))
    assert late[0].trade_start == calendar[450] and late[0].train_start == calendar[150]
    with pytest.raises(
        UsageError, match=rf"^--first 2030-01-01 is after the panel's last day {calendar[-1]:%Y-%m-%d}$"
    ):
        periods(calendar, StudySpec(300, 200, first=pd.Timestamp("2030-01-01")))
    with pytest.raises(DataError, match="needs more than 300 for one trading period"):
        periods(calendar[:300], StudySpec(300, 200))
    config = study.period_config(TrainConfig(target="rank"), found[1])
    assert (config.train_start, config.train_end) == (f"{found[1].train_start:%Y-%m-%d}", f"{calendar[499]:%Y-%m-%d}")


def test_k_scaled_is_the_papers_10_of_500_and_several_k_make_a_rule_each():
    assert [study.scaled_k(n) for n in (20, 61, 75, 250, 500, 1000)] == [1, 1, 2, 5, 10, 20]
    trading = study.Trading.parse(["scaled", "10", "10", " Scaled "], False, 5.0, ("close", "same-close"))
    assert trading.tops == ("scaled", 10)
    assert [(r.top, r.fill) for r in trading.rules(61)] == [(1, "close"), (1, "same-close"), (10, "close"),
                                                            (10, "same-close")]  # fmt: skip
    assert [r.top for r in trading.rules(500)] == [10, 10]  # a scaled k equal to a given one: traded once
    assert study.Trading.parse([], True, 0.0, ("close",)).rules(61) == [PortfolioRule(10, True, 0.0, "close")]
    for text in ("0", "many", "-1", "2.5", "1001"):
        with pytest.raises(UsageError, match=rf"^--top-k must be a whole number of names a side, 1 to 1000 .*not "
                                             rf"'{text}'$"):  # fmt: skip
            study.Trading.parse([text], False, 5.0, ("close",))
    with pytest.raises(UsageError, match="--cost-bps must be from 0 to 1000"):
        study.Trading.parse(["scaled"], False, -1.0, ("close",))


def test_a_k_over_half_the_members_is_traded_as_half_said_and_traded_once():
    trading = study.Trading.parse(["2", "3", "10"], False, 5.0, ("close",))
    rules, notes = trading.plan(5)
    assert rules == [PortfolioRule(2, False, 5.0, "close")] and rules[0].name == "long-short top/bottom 2"
    assert notes == ["--top-k 2, 3, 10 all trade k = 2 on 5 members (at most 2 names a side): traded once"]
    rules, notes = study.Trading.parse(["10"], False, 5.0, ("close", "same-close")).plan(5)
    assert [(r.top, r.asked, r.members) for r in rules] == [(2, (10,), 5), (2, (10,), 5)]
    assert rules[0].name == "long-short top/bottom 2 (asked 10: 5 members)"
    assert notes == ["--top-k 10: 5 members allow at most 2 names a side; trading k = 2"]
    rules, notes = study.Trading.parse(["3", "10", "1"], True, 5.0, ("close",)).plan(6)
    assert [(r.top, r.asked) for r in rules] == [(3, ()), (1, ())]  # 10 traded as 3, which was asked: as asked
    assert rules[0].name == "long-only top 3"
    assert notes == ["--top-k 3, 10 all trade k = 3 on 6 members (at most 3 names long): traded once"]
    assert study.Trading.parse(["10"], False, 5.0, ("close",)).plan(61)[1] == []  # 30 a side allowed: no note


def test_a_calendar_too_short_and_bad_study_options_are_refused_in_one_line():
    calendar = pd.bdate_range("2010-01-04", periods=300, name="date")
    with pytest.raises(DataError, match=r"the panel has 300 trading days \(2010-01-04..2011-02-25\); --study 300:50"):
        periods(calendar, StudySpec(300, 50))
    for text in ("750-250", "750:", "a:b", "750:250:1"):
        with pytest.raises(UsageError, match="--study must be TRAINING:TRADING trading days, e.g. 750:250"):
            StudySpec.parse(text)
    with pytest.raises(UsageError, match="--study needs at least 1 training and 1 trading day"):
        StudySpec.parse("0:250")
    assert StudySpec.parse("750:250") == StudySpec(750, 250)
    with pytest.raises(UsageError, match="--spec must be one of fischer-krauss, stockrnn, not 'paper'"):
        study_config("paper", {})


def test_the_fischer_krauss_spec_and_the_options_over_it():
    paper = study_config("fischer-krauss", {})
    assert (paper.target, paper.window, paper.layers, paper.units, paper.dropout, paper.optimizer) == (
        "rank", 240, 1, 25, 0.1, "rmsprop",
    )  # fmt: skip
    assert (paper.patience, paper.column) == (10, "adj_close")
    assert study_config("fischer-krauss", {"window": 60}).window == 60  # an option given wins
    assert study_config(None, {}) == TrainConfig(target="rank")
    # The paper counts epochs: a check after every pass over all training windows; stockrnn's spec takes the
    # default, a member's worth of windows; an option given wins over either.
    assert paper.validate_every == "epoch" and study_config("stockrnn", {}).validate_every == "member"
    assert study_config("fischer-krauss", {"validate_every": "member"}).validate_every == "member"
    # The paper standardises by the mean and deviation of all stocks' training returns: one pooled scaler
    assert paper.scaling == "pooled" and study_config("stockrnn", {}).scaling == "member"
    assert study_config("fischer-krauss", {"scaling": "member"}).scaling == "member"


def test_a_study_refuses_other_targets_and_features():
    panel = panel_of(random_walk_panel(members=4, days=200).prices)
    with pytest.raises(UsageError, match="a study ranks the panel's members: --target rank, not direction"):
        study.run(panel, TrainConfig(target="direction"), StudySpec(100, 50), RULES)
    with pytest.raises(UsageError, match="leave out --features"):
        study.run(panel, TrainConfig(target="rank", features="return"), StudySpec(100, 50), RULES)


@pytest.mark.slow
def test_scores_are_made_from_past_prices_by_the_model_of_the_period():
    closes = planted_reversal_panel(members=6, days=260, planted=3, seed=2).prices
    panel = panel_of(closes)
    period = periods(panel.calendar, StudySpec(200, 60))[0]
    config = TrainConfig(**{**TINY, "epochs": 2})
    fit = fit_panel(panel, study.period_config(config, period))
    assert fit.manifest.data.train_end == f"{period.train_end:%Y-%m-%d}"  # nothing of the trading days learned
    found = study.scores(fit, panel, config, period)
    assert found.index[0] == period.trade_start and len(found) == 60 and found.notna().all().all()
    assert ((found > 0) & (found < 1)).all().all()
    # Prices after a trading day change no score up to it.
    day = found.index[29]
    later = closes.copy()
    later.loc[later.index > day] *= 1.5
    again = study.scores(fit, panel_of(later), config, period)
    pd.testing.assert_frame_equal(found.loc[:day], again.loc[:day])
    assert (found.iloc[30:] != again.iloc[30:]).any().any()  # the later windows did read the change


@pytest.mark.slow
def test_a_planted_reversal_is_ranked_above_chance_and_traded_profitably():
    closes = planted_reversal_panel(members=20, days=700, planted=10, strength=0.25, seed=1).prices
    seen = []
    report = study.run(panel_of(closes), TrainConfig(**TINY), StudySpec(300, 200), RULES, on_period=seen.append)
    assert [r.period.number for r in seen] == [1, 2] and len(report.periods) == 2
    pooled = report.portfolios["close"]
    assert pooled.accuracy.share > 0.53 and pooled.accuracy.n == 20 * 399  # the last day has no next-day class
    assert pooled.mean_test.outcome == "above zero"
    assert report.portfolios["same-close"].day["gross"].mean() > pooled.day["gross"].mean()  # a day earlier: more
    assert report.chances is not None and report.chances.brier < 0.25
    data = json.loads(json.dumps(report.to_json()))
    assert data["pooled"]["portfolios"]["close"]["rule"]["fill"] == "close"
    assert data["periods"][1]["trade_start"] == f"{closes.index[500]:%Y-%m-%d}"


@pytest.mark.slow
def test_random_walks_are_not_called_significant():
    closes = random_walk_panel(members=20, days=500, seed=4).prices
    report = study.run(panel_of(closes), TrainConfig(**TINY), StudySpec(300, 200), RULES[:1])
    pooled = report.portfolios["close"]
    assert abs(pooled.accuracy.share - 0.5) < 0.03
    assert pooled.mean_test.outcome != "above zero"


def write_panel(folder: Path, closes: pd.DataFrame) -> Path:
    """`closes` as quantmod's files, one a member, on XNYS sessions, and GSPC the members' mean, as the index."""
    folder.mkdir()
    days = sessions(pd.Timestamp("2015-01-02"), pd.Timestamp("2020-12-31"), "XNYS")[: len(closes)]
    closes = closes.set_axis(days, axis=0).assign(GSPC=closes.mean(axis=1).to_numpy())
    for symbol in closes.columns:
        (folder / f"{symbol}.csv.gz").write_bytes(quantmod(days, quantmod_columns(symbol, closes[symbol].to_numpy())))
    return folder


@pytest.mark.slow
def test_the_command_line_runs_a_study_and_writes_its_plot(tmp_path):
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=8, days=260, planted=4, seed=5).prices)
    options = ["--study", "200:30", "--window", "10", "--units", "4", "--epochs", "2", "--top-k", "2", "--offline",
               "--market", "GSPC"]  # fmt: skip
    plot = tmp_path / "study.png"
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert "period 1: trading" in result.output and "period 2: trading" in result.output
    assert "Pooled over 2 periods" in result.output and "equal-weighted" in result.output
    assert "GSPC" in result.output and "the close the scores were made at" in result.output
    assert plot.stat().st_size > 10_000
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options, "--fill", "close", "--periods", "1",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["periods"]) == 1 and list(data["pooled"]["portfolios"]) == ["close"]
    assert data["config"]["target"] == "rank" and data["periods"][0]["members"] == 8  # GSPC is the index
    assert data["pooled"]["top_k"] == [2] and data["pooled"]["other_k"] == {}


@pytest.mark.slow
def test_several_k_trade_the_same_scores_and_the_pooled_portfolios_split_by_era(tmp_path):
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=8, days=260, planted=4, seed=5).prices)
    options = ["--study", "200:30", "--window", "10", "--units", "4", "--epochs", "2", "--offline", "--market",
               "GSPC", "--top-k", "2", "--top-k", "scaled", "--fill", "close"]  # fmt: skip
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options, "--eras", "2015-11-02", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pooled = data["pooled"]
    assert pooled["top_k"] == [2, 1] and list(pooled["other_k"]) == ["1"]  # scaled: max(1, round(10 x 8 / 500))
    assert pooled["portfolios"]["close"]["rule"]["top"] == 2 and pooled["other_k"]["1"]["close"]["rule"]["top"] == 1
    assert data["periods"][0]["other_k"]["1"]["close"]["rule"]["top"] == 1
    first, second = pooled["eras"]["2"]["close"]
    assert first["end"] < "2015-11-02" <= second["start"] and second["end"] == pooled["portfolios"]["close"][
        "performance"]["end"]  # fmt: skip
    assert first["days"] + second["days"] == pooled["portfolios"]["close"]["performance"]["days"]
    assert len(pooled["eras"]["1"]["close"]) == 2
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options, "--eras", "2015-11-02"])
    assert result.exit_code == 0, result.output
    assert "k = 2, next close" in result.output and "k = 1, next close" in result.output
    assert (
        "Pooled, by era" in result.output and "k = 1, next close: verdict: the long-short top/bottom 1" in result.output
    )


@pytest.mark.slow
def test_a_capped_k_is_said_as_traded_in_the_text_and_the_json(tmp_path):
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=5, days=230, planted=2, seed=5).prices)
    options = ["--study", "200:30", "--window", "10", "--units", "4", "--epochs", "2", "--offline", "--market",
               "GSPC", "--fill", "close", "--top-k", "10", "--top-k", "3", "--top-k", "1"]  # fmt: skip
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options, "--json"])
    assert result.exit_code == 0, result.output
    pooled = json.loads(result.stdout)["pooled"]
    assert pooled["top_k"] == [2, 1] and list(pooled["other_k"]) == ["1"]
    rule = pooled["portfolios"]["close"]["rule"]
    assert rule["top"] == 2 and rule["asked"] == [10, 3]
    assert rule["name"] == "long-short top/bottom 2 (asked 10, 3: 5 members)"
    assert pooled["other_k"]["1"]["close"]["rule"]["asked"] == [1]
    assert "--top-k 10, 3 all trade k = 2 on 5 members (at most 2 names a side): traded once" in result.stderr
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options[:-4]])  # --top-k 10 alone
    assert result.exit_code == 0, result.output
    assert result.output.count("--top-k 10: 5 members allow at most 2 names a side; trading k = 2") == 1
    assert "long-short top/bottom 2 (asked 10: 5 members)" in result.output
    assert "top/bottom 10" not in result.output


@pytest.mark.slow
def test_a_member_left_out_of_a_study_is_said_and_the_study_exits_1(tmp_path):
    """A member whose file cannot be read is left out with a warning, named under the tables and in the JSON, and
    the study exits 1 (docs/usage.md's code for a panel's member left out while the rest ran), not 0."""
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=6, days=260, planted=2, seed=5).prices)
    (folder / "ZZZ.csv.gz").write_bytes((folder / "GSPC.csv.gz").read_bytes()[:300])  # a truncated gzip
    options = ["--study", "200:30", "--window", "10", "--units", "4", "--epochs", "1", "--top-k", "2", "--offline",
               "--market", "GSPC", "--fill", "close"]  # fmt: skip
    result = runner.invoke(cli, ["study", "--panel", str(folder), *options])
    assert result.exit_code == 1, result.output
    assert result.stdout.count("left out: ") == 1 and "ZZZ.csv.gz: left out of the panel" in result.stdout
    assert "Pooled over 2 periods" in result.stdout  # the rest studied
    result = runner.invoke(cli, ["backtest", "--panel", str(folder), *options, "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert len(data["left_out"]) == 1 and str(folder / "ZZZ.csv.gz") in data["left_out"][0]
    assert data["periods"][0]["members"] == 6


def test_the_command_line_refuses_in_one_line(tmp_path):
    folder = tmp_path / "panel"
    folder.mkdir()
    cases = [
        ([], "give the panel's members with --panel DIR or --watchlist FILE"),
        (["--panel", str(folder), "--watchlist", str(folder / "w.txt")], "(one of them)"),
        (["--panel", str(folder), "--fill", "open"], "--fill must be one of both, close, same-close, not 'open'"),
        (["--panel", str(folder), "--study", "750"], "--study must be TRAINING:TRADING trading days"),
        (["--panel", str(folder), "--spec", "paper"], "--spec must be one of fischer-krauss, stockrnn"),
        (["--panel", str(folder), "--first", "soon"], "--first 'soon' is not a date"),
        (["--panel", str(folder), "--top-k", "0"], "--top-k must be a whole number of names a side, 1 to 1000"),
        (["--panel", str(folder), "--top-k", "half"], "or scaled (10 of 500 members, scaled to the panel), not 'half'"),
        (["--panel", str(folder), "--eras", "later"], "--eras 'later' is not a date"),
        (["--panel", str(folder), "--optimizer", "sgd"], "--optimizer must be one of adam, rmsprop, not 'sgd'"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, ["study", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["study", "--panel", str(folder)])
    assert result.exit_code == 66 and "no price files" in result.output
    assert Period.__doc__  # the public values say what they are


def _without_seconds(data: dict) -> dict:
    for period in data["periods"]:
        period["training"].pop("seconds")
    return data


@pytest.mark.slow
def test_backtest_study_is_the_study_command_and_its_tables_fit_80_columns(tmp_path, monkeypatch):
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=8, days=260, planted=4, seed=5).prices)
    options = ["--panel", str(folder), "--study", "200:30", "--window", "10", "--units", "4", "--epochs", "2",
               "--top-k", "2", "--top-k", "scaled", "--offline", "--market", "GSPC",
               "--eras", "2015-11-02"]  # fmt: skip
    found = []
    for command in ("study", "backtest"):
        result = runner.invoke(cli, [command, *options, "--json"])
        assert result.exit_code == 0, result.output
        found.append(_without_seconds(json.loads(result.stdout)))
    assert found[0] == found[1] and len(found[0]["periods"]) == 2
    pooled = found[0]["pooled"]
    assert set(pooled["portfolios"]["close"]) >= {"ranked_accuracy"} and "accuracy" not in pooled["portfolios"]["close"]
    assert set(pooled["brier"]) >= {"p_half_accuracy", "brier"} and "accuracy" not in pooled["brier"]
    assert "ranked_accuracy" in pooled["eras"]["2"]["close"][0] and set(found[0]["accuracies"]) == {
        "ranked_accuracy", "p_half_accuracy"}  # fmt: skip
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(cli, ["backtest", *options], terminal_width=80)
    assert result.exit_code == 0, result.output
    tables = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]  # the tables' rows
    assert len(tables) > 40 and max(len(line) for line in tables) <= 80
    assert "ranked" in result.stdout and "P >= 0.5" in result.stdout and "GSPC" in result.stdout


@pytest.mark.slow
def test_every_line_in_the_plots_legend_is_drawn():
    from matplotlib.figure import Figure

    closes = planted_reversal_panel(members=8, days=420, planted=4, seed=3).prices
    panel = panel_of(closes)
    index = closes.mean(axis=1)
    report = study.run(panel, TrainConfig(**{**TINY, "epochs": 2}), StudySpec(300, 60), RULES, index, "IDX")
    figure = Figure()
    report.draw(figure)
    (ax,) = figure.axes
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("IDX, held") for label in labels) and len(labels) == 4
    for line in ax.get_lines():
        if not line.get_label().startswith("_"):  # the legend's: each has its points, finite
            ys = np.asarray(line.get_ydata(), dtype="float64")
            assert len(ys) > 50 and np.isfinite(ys).all(), line.get_label()


def test_backtest_refuses_a_studys_options_without_study_and_others_with_it(tmp_path):
    folder = tmp_path / "panel"
    folder.mkdir()
    cases = [
        (["--panel", str(folder), "--spec", "fischer-krauss"], "--spec is a study's option: add --study TRAIN:TRADE"),
        (["--panel", str(folder), "--top-k", "3"], "--top-k is a study's option"),
        (["--panel", str(folder), "--eras", "2010-01-01"], "--eras is a study's option"),
        (["--panel", str(folder), "--fill", "same-close"], "--fill same-close is a study's"),
        (["--csv", "x.csv", "--study", "750:250"], "--csv is not a study's option: leave it out with --study"),
        (["AAPL", "--study", "750:250"], "the SYMBOL argument is not a study's option"),
        (["--panel", str(folder), "--study", "750:250", "--folds", "3"], "--folds is not a study's option"),
        (["--panel", str(folder), "--study", "750:250", "--target", "rank"], "--target is not a study's option"),
        (["--panel", str(folder), "--study", "750:250", "--fill", "open"], "--fill must be one of both, close"),
        (["--study", "750:250"], "give the panel's members with --panel DIR or --watchlist FILE"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, ["backtest", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output and len(result.output.splitlines()) == 1
