"""A global model: one network trained on the windows of every member of a panel (panel_train.py), stored as one
registry entry (app/panel.py), forecast for every member in one process (app/panel_forecast.py); and --features
for a single symbol. Small generated panels, tiny models."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import app, ledger, registry
from stockrnn.calendar import sessions
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.forecast import load_model
from stockrnn.panel import Panel
from stockrnn.panel_train import panel_windows, stacked, validation_start
from stockrnn.price_source import PanelSource
from stockrnn.targets import scale, scaler_from_dict, unscale
from stockrnn.windows import training_set

from .test_validate import quantmod, quantmod_columns

runner = CliRunner()
DAYS = sessions(pd.Timestamp("2019-01-02"), pd.Timestamp("2019-12-31"), "XNYS")  # 252 sessions
END = DAYS[199]  # the one training end: 52 days after it
TINY = dict(window=10, units=4, epochs=2, batch_size=32, train_end=f"{END:%Y-%m-%d}")


def write(folder: Path, symbol: str, days: pd.DatetimeIndex, level: float, speed: float) -> Path:
    close = level * np.exp(np.cumsum(0.01 * np.sin(np.arange(len(days)) * speed)))
    columns = quantmod_columns(symbol, close)
    columns[f"{symbol}.Volume"] = 1e6 * (1.5 + np.cos(np.arange(len(days)) * 0.3))  # a volume that moves
    path = folder / f"{symbol}.csv.gz"
    path.write_bytes(quantmod(days, columns))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three members, ragged: CCC starts 40 sessions late."""
    panel = tmp_path / "panel"
    panel.mkdir()
    write(panel, "AAA", DAYS, 50.0, 1.0)
    write(panel, "BBB", DAYS, 20.0, 0.7)
    write(panel, "CCC", DAYS[40:], 80.0, 1.3)
    return panel


def later_changed(panel: Panel, day: pd.Timestamp) -> Panel:
    """`panel` with every member's prices after `day` changed (doubled, volume too)."""
    members = {}
    for symbol, prices in panel.members.items():
        frame = prices.frame.copy()
        frame.loc[frame.index > day, ["open", "high", "low", "close", "adj_close", "volume"]] *= 2.0
        members[symbol] = dataclasses.replace(prices, frame=frame)
    return dataclasses.replace(panel, members=members)


def test_one_end_own_scalers_and_one_validation_period(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    config = TrainConfig(**TINY)
    sets, skipped, val_start = panel_windows(panel, config)
    assert list(sets) == ["AAA", "BBB", "CCC"] and skipped == ()
    assert val_start == validation_start(panel.until(END), config) and DAYS[150] < val_start <= END
    for symbol, data in sets.items():
        assert data.end == END  # one training end for all, whatever each member's last day
        assert data.val_dates.min() == val_start and data.val_dates.max() == END  # the same validation days
        assert data.val_dates.equals(sets["AAA"].val_dates)
        # each member scaled by its own training rows only: the scaler a single-symbol model of it would fit
        alone = training_set(panel.members[symbol].frame, config, symbol)
        assert data.scaler.params == alone.scaler.params
    assert sets["CCC"].start == DAYS[40] and len(sets["CCC"].y_train) < len(sets["AAA"].y_train)  # ragged
    # No member's later days reach anyone's training: every later price changed, every input and label the same.
    again, _, day = panel_windows(later_changed(panel, END), config)
    assert day == val_start
    for symbol, data in sets.items():
        assert np.array_equal(again[symbol].inputs_train, data.inputs_train)
        assert np.array_equal(again[symbol].inputs_val, data.inputs_val)
        assert np.array_equal(again[symbol].y_val, data.y_val)
        assert again[symbol].scaler.params == data.scaler.params


def training_returns(panel: Panel) -> dict[str, np.ndarray]:
    """Each member's daily log returns of the close on its training days (up to END), by hand."""
    return {s: np.diff(np.log(p.frame["close"].loc[:END].to_numpy())) for s, p in panel.members.items()}


def test_pooled_scaling_is_one_mean_and_deviation_of_every_members_training_returns(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    config = TrainConfig(**TINY, scaling="pooled")
    sets, skipped, _ = panel_windows(panel, config)
    assert list(sets) == ["AAA", "BBB", "CCC"] and skipped == ()
    returns = training_returns(panel)
    pooled = np.concatenate(list(returns.values()))  # every member's training returns, none after END
    mean, deviation = pooled.mean(), pooled.std()  # the population deviation, as a member's own scaler's
    for symbol, data in sets.items():
        assert data.scaler.params["kind"] == "standard"  # one scaler, centred: Fischer and Krauss's
        assert data.scaler.params["mean"] == pytest.approx(mean, rel=1e-12)
        assert data.scaler.params["scale"] == pytest.approx(deviation, rel=1e-12)
        # the member's first window: its own returns, standardised by the panel's mean and deviation
        expected = ((returns[symbol][:10] - mean) / deviation).astype("float32")
        np.testing.assert_allclose(data.x_train[0], expected, rtol=1e-6)
    # Training days only: every price after the training end changed, the scaler and every window the same.
    again, _, _ = panel_windows(later_changed(panel, END), config)
    for symbol, data in sets.items():
        assert again[symbol].scaler.params == data.scaler.params
        assert np.array_equal(again[symbol].inputs_train, data.inputs_train)
        assert np.array_equal(again[symbol].inputs_val, data.inputs_val)
    # the default scales each member by its own training rows: not centred, not pooled
    own, _, _ = panel_windows(panel, TrainConfig(**TINY))
    assert own["AAA"].scaler.params == {"kind": "scale", "scale": pytest.approx(returns["AAA"].std(), rel=1e-12)}


def test_pooled_scaling_of_the_rank_target_changes_its_inputs_not_its_labels(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    pooled, _, _ = panel_windows(panel, TrainConfig(**TINY, target="rank", scaling="pooled"))
    own, _, _ = panel_windows(panel, TrainConfig(**TINY, target="rank"))
    returns = np.concatenate(list(training_returns(panel).values()))
    for symbol, data in pooled.items():
        assert data.scaler.params["mean"] == pytest.approx(returns.mean(), rel=1e-12)
        assert np.array_equal(data.y_train, own[symbol].y_train) and np.array_equal(data.y_val, own[symbol].y_val)
        assert not np.allclose(data.x_train, own[symbol].x_train)


@pytest.mark.slow
def test_a_pooled_global_model_stores_its_one_scaler_as_every_members_and_its_forecasts_read_it(folder):
    trained = app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY, scaling="pooled"))
    assert trained.exit_code == 0
    stored = registry.load_current("TRIO")
    assert stored.manifest.config.scaling == "pooled"  # recorded: retrain, backtest NAME and the study read it
    one = {k: stored.scaler["members"]["AAA"][k] for k in ("kind", "mean", "scale")}
    assert all({k: s[k] for k in one} == one for s in stored.scaler["members"].values())  # every member's the same
    panel = app.load_panel(PanelSource(folder=folder))
    returns = np.concatenate(list(training_returns(panel).values()))
    assert one == {"kind": "standard", "mean": pytest.approx(returns.mean(), rel=1e-12),
                   "scale": pytest.approx(returns.std(), rel=1e-12)}  # fmt: skip
    # predict NAME --member: the one-step forecast of a day is the network applied to the member's 10 returns before
    # it, standardised by the pooled mean and deviation, and brought back to a price by the same scaler
    day, close = 210, panel.members["AAA"].frame["close"]
    found = app.predict("TRIO", start=f"{DAYS[day]:%Y-%m-%d}", days=3, member="AAA")
    scaler = scaler_from_dict(one)
    r = np.diff(np.log(close.to_numpy()))  # (n - 1,): r[j - 1] is day j's return
    window = scale(scaler, r[day - 11 : day - 1])[None, :, None]  # (1, 10, 1): days day-10 .. day-1
    output = load_model(stored.manifest, stored.model_path).predict(window, verbose=0).ravel()
    expected = close.iloc[day - 1] * np.exp(unscale(scaler, output)[0])
    assert found.rows["one_step"].iloc[0] == pytest.approx(expected, rel=1e-5)


def test_windows_are_stacked_with_the_member_index(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    sets, _, _ = panel_windows(panel, TrainConfig(**TINY, features="return,volume,range"))
    x = stacked(sets, embedding=True, part="train")
    sizes = [len(d.y_train) for d in sets.values()]
    assert x.shape == (sum(sizes), 10, 1 + 3 + 1)  # the target's values, three covariates, the member's index
    ids = x[:, :, -1]
    assert (ids == ids[:, :1]).all()  # one index a window, every day
    assert np.bincount(ids[:, 0].astype(int)).tolist() == sizes
    assert np.array_equal(stacked(sets, embedding=False, part="train"), x[..., :-1])


def test_covariates_in_training_windows_read_nothing_after_the_training_end(folder):
    prices = app.load_panel(PanelSource(folder=folder)).members["AAA"]
    config = TrainConfig(**TINY, features="return,volume,range")
    data = training_set(prices.frame, config, "AAA")
    assert data.inputs_train.shape[1:] == (10, 4) and data.inputs_val.shape == (len(data.y_val), 10, 4)
    assert np.array_equal(data.inputs_train[..., 0], data.x_train)  # the target's own values first
    # every covariate scaled on training rows only: about centred there, whatever came later
    assert abs(float(np.nanmean(data.inputs_train[..., 1:]))) < 0.5
    frame = prices.frame.copy()
    frame.loc[frame.index > END, ["high", "low", "close", "volume"]] *= 3.0
    again = training_set(frame, config, "AAA")
    assert np.array_equal(again.inputs_train, data.inputs_train) and np.array_equal(again.inputs_val, data.inputs_val)
    assert again.feature_scaler == data.feature_scaler


def test_a_member_too_short_to_train_is_left_out(folder):
    write(folder, "DDD", DAYS[190:], 10.0, 1.0)  # 10 days before the training end: no window
    panel = app.load_panel(PanelSource(folder=folder))
    sets, skipped, _ = panel_windows(panel, TrainConfig(**TINY))
    assert list(sets) == ["AAA", "BBB", "CCC"]
    assert [s.symbol for s in skipped] == ["DDD"] and "only 10 rows" in skipped[0].why


def test_the_market_must_cover_the_training_period(folder, tmp_path):
    market = write(tmp_path, "MKT", DAYS[20:], 100.0, 0.5)  # starts after the members' first day
    config = TrainConfig(**TINY, features="return,market")
    with pytest.raises(DataError, match=r"MKT.csv.gz: the market series covers 2019-01-31 to 2019-12-31, not the"):
        app.train_panel(PanelSource(folder=folder), "TRIO", config, market=str(market))
    with pytest.raises(UsageError, match="--features market needs the market's prices: --market"):
        app.train_panel(PanelSource(folder=folder), "TRIO", config)
    with pytest.raises(UsageError, match="--market is for --features"):
        app.train_panel(PanelSource(folder=folder), "TRIO", TrainConfig(**TINY), market=str(market))


def test_the_command_line_asks_for_a_name_and_one_source(folder):
    result = runner.invoke(cli, ["train", "--panel", str(folder)])
    assert result.exit_code == 2 and "name it with --name NAME" in result.output
    result = runner.invoke(cli, ["train", "AAA", "--panel", str(folder), "--name", "TRIO"])
    assert result.exit_code == 2 and "leave out SYMBOL/--symbol (a watchlist line" in result.output
    result = runner.invoke(cli, ["train", "--csv", str(folder / "AAA.csv.gz"), "--symbol-embedding"])
    assert result.exit_code == 2 and "--symbol-embedding learns one vector per member of a panel" in result.output
    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "TRIO", "--features", "return,vol"])
    assert result.exit_code == 2 and "--features 'return,vol': unknown 'vol'" in result.output


def test_bad_panels_are_refused_in_one_line_naming_the_file(folder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["train", "--panel", str(empty), "--name", "TRIO"])
    assert result.exit_code == 66 and f"{empty}: no price files" in result.output
    bad = folder / "EEE.csv"
    bad.write_text('"Index","EEE.Close"\n"2019-01-02",1\n"2019-01-03",oops\n')
    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "TRIO", "--strict", "--offline"])
    assert result.exit_code == 65 and "--strict refuses the panel when a member fails; 1 failed in all" in result.output
    (folder / "AAA-again.csv.gz").write_bytes((folder / "AAA.csv.gz").read_bytes())
    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "TRIO", "--offline"])
    assert result.exit_code == 65 and "claims AAA, as" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (registry.models_dir("TRIO") / "current").exists()  # nothing stored


@pytest.mark.slow
def test_a_global_model_is_one_entry_and_forecasts_every_member(folder, caplog):
    bad = folder / "EEE.csv"
    bad.write_text('"Index","EEE.Close"\n"2019-01-02",1\n"2019-01-03",oops\n')
    options = ["--window", "10", "--units", "4", "--epochs", "2", "--train-end", f"{END:%Y-%m-%d}", "--offline"]
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "TRIO", "--symbol-embedding", *options])
    assert result.exit_code == 1, result.output  # trained and stored, but a member was left out: said, non-zero
    assert "one model for 3 members" in result.output and f"one training end for all: {END:%Y-%m-%d}" in result.output
    assert "each of the 3 members' own verdicts against persistence" in result.output
    assert f"left out: {bad}, line 3 (2019-01-03)" in result.output  # the file named once, not twice
    assert any(f"{bad}: left out of the panel" in r.getMessage() for r in caplog.records)
    stored = registry.load_current("TRIO")  # one entry, its files checked
    record = stored.manifest.data.panel
    assert list(record["members"]) == ["AAA", "BBB", "CCC"] and record["embedding"] == 4
    assert record["members"]["CCC"]["first_day"] == f"{DAYS[40]:%Y-%m-%d}"
    assert record["members"]["AAA"]["sha256"] == app.load_panel(PanelSource(folder=folder)).members["AAA"].sha256
    assert [m["symbol"] for m in record["left_out"]] == ["EEE"]
    assert record["source"]["kind"] == "folder" and record["source"]["path"] == str(folder.absolute())
    assert set(stored.scaler["members"]) == {"AAA", "BBB", "CCC"}
    assert stored.scaler["members"]["AAA"] != stored.scaler["members"]["BBB"]  # each member's own scaling

    result = runner.invoke(cli, ["predict", "TRIO", "--days", "3", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    documents = json.loads(result.output)
    assert [d["symbol"] for d in documents] == ["AAA", "BBB", "CCC"]
    assert {d["model_version"] for d in documents} == {"TRIO:v1"}
    recorded = ledger.read(None, None)
    assert sorted((e.symbol, e.version) for e in recorded) == [
        ("AAA", "TRIO:v1"),
        ("BBB", "TRIO:v1"),
        ("CCC", "TRIO:v1"),
    ]

    result = runner.invoke(cli, ["predict", "TRIO", "--member", "bbb", "--start", f"{DAYS[210]:%Y-%m-%d}",
                                 "--days", "3", "--offline", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    one = json.loads(result.output)
    assert one["symbol"] == "BBB" and len(one["rows"]) == 3
    result = runner.invoke(cli, ["predict", "TRIO", "--days", "2", "--offline"])  # one table of every member
    assert result.exit_code == 0 and "TRIO: 3 members" in result.output
    assert "warning: stale data: 3 of 3 members' prices" in result.output  # they end in 2019: said once, for all
    assert [line.split()[1] for line in result.output.splitlines() if "│ 2019-12-31 │" in line] == ["AAA", "BBB", "CCC"]
    picture = folder.parent / "bbb.png"
    result = runner.invoke(cli, ["plot", "TRIO", "--member", "BBB", "--days", "2", "--offline", "--out", str(picture)])
    assert result.exit_code == 0 and picture.stat().st_size > 10_000
    result = runner.invoke(cli, ["plot", "TRIO", "--offline"])
    assert (
        result.exit_code == 2 and "TRIO is a global model: name the member to forecast with --member" in result.output
    )
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "ZZZ", "--offline"])
    assert result.exit_code == 2 and "ZZZ: not a member of TRIO v1 (members: AAA, BBB, CCC)" in result.output
    # a symbol outside the panel has no learned vector: said, not guessed
    outside = write(folder.parent, "DDD", DAYS, 30.0, 0.9)
    result = runner.invoke(cli, ["predict", "TRIO", "--csv", str(outside), "--offline"])
    assert result.exit_code == 2 and "DDD is outside the training panel and has none" in result.output


@pytest.mark.slow
def test_signal_of_a_global_model_gives_every_members_signal(folder):
    trained = app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY))
    assert trained.exit_code == 0
    found = app.signal(["TRIO"], offline=True, today="2020-01-02")
    assert sorted(s.symbol for s in found.signals) == ["AAA", "BBB", "CCC"] and found.errors == []
    assert {s.version for s in ledger.read_signals(None)} == {"TRIO:v1"}
    one = app.signal(["TRIO"], offline=True, today="2020-01-02", members=["bbb", "ZZZ"])
    assert [s.symbol for s in one.signals] == ["BBB"]
    assert [(e.symbol, e.exit_code) for e in one.errors] == [("ZZZ", 2)]


@pytest.mark.slow
def test_retrain_of_a_global_model_rereads_its_panel_and_contests_pooled_over_members(folder):
    first = DAYS[:230]
    for symbol, level, speed in (("AAA", 50.0, 1.0), ("BBB", 20.0, 0.7)):
        write(folder, symbol, first, level, speed)
    write(folder, "CCC", first[40:], 80.0, 1.3)
    app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**{**TINY, "train_end": None}))
    result = runner.invoke(cli, ["retrain", "TRIO", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcomes"][0]["status"] == "up to date"  # its panel has not changed
    write(folder, "AAA", DAYS, 50.0, 1.0)  # new days for every member
    write(folder, "BBB", DAYS, 20.0, 0.7)
    write(folder, "CCC", DAYS[40:], 80.0, 1.3)
    result = runner.invoke(cli, ["retrain", "TRIO", "--offline", "--holdout", "10", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)["outcomes"][0]
    assert outcome["status"] in ("promoted", "kept champion") and outcome["challenger"] == "v2"
    assert outcome["holdout"] == {"start": f"{DAYS[-10]:%Y-%m-%d}", "end": f"{DAYS[-1]:%Y-%m-%d}", "days": 10}
    assert "on 3 members' holdouts the challenger was significantly better on" in outcome["message"]
    challenger = registry.load_version("TRIO", "v2").manifest
    assert challenger.data.train_end == f"{DAYS[-11]:%Y-%m-%d}"  # one cut-off for all: the day before the holdout
    assert challenger.data.panel["source"] == registry.load_version("TRIO", "v1").manifest.data.panel["source"]
    champion = outcome["champion"]
    recorded = {(e.symbol, e.version) for e in ledger.read(None, None)}
    assert {(s, f"TRIO:{champion}") for s in ("AAA", "BBB", "CCC")} <= recorded  # the champion's next forecasts


@pytest.mark.slow
def test_a_symbol_outside_the_panel_is_forecast_from_its_file_and_not_recorded(folder, tmp_path, caplog):
    config = TrainConfig(**TINY)
    trained = app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", config)
    assert trained.exit_code == 0 and trained.manifest.data.kind == "panel"
    outside = write(tmp_path, "DDD", DAYS, 30.0, 0.9)
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        outcomes = list(app.predict_each([app.PriceSource("TRIO", csv=outside, offline=True)], days=2))
    assert [o.symbol for o in outcomes] == ["DDD"] and outcomes[0].error is None
    assert outcomes[0].result.version == "TRIO:v1, outside the training panel"
    assert any("scaled on its own prices up to" in r.getMessage() for r in caplog.records)
    assert ledger.read(None, None) == []  # never recorded in a member's place


@pytest.mark.slow
def test_a_direct_head_of_covariates_forecasts_its_h_days_reading_no_covariate_after_its_origin(folder, tmp_path):
    """A multi-day head's path is its outputs from the origin's window: changing every covariate after the origin
    changes none of it, nor the first one-step day (its window ends on the origin), while each later one-step day
    reads its own window's actual covariates. A longer path is refused, naming --days."""
    path, market = folder / "AAA.csv.gz", folder / "BBB.csv.gz"
    result = runner.invoke(cli, ["train", "--csv", str(path), "--features", "volume,range,market", "--market",
                                 str(market), "--output", "direct", "--output-days", "3", "--window", "10",
                                 "--units", "4", "--epochs", "2", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = registry.load_current("AAA")
    assert stored.manifest.config.features == "volume,range,market"
    assert stored.manifest.data.market == str(market.absolute())  # read again by predict
    assert stored.scaler["features"]["names"] == ["volume", "range", "market"]
    origin = DAYS[200]
    first = app.predict("AAA", start=f"{DAYS[201]:%Y-%m-%d}", days=3)
    assert first.origin == origin and first.rows["forecast"].notna().all()
    # every covariate of the days after the origin changed (volume, high, low; the closes kept)
    changed = tmp_path / "AAA.csv.gz"
    close = 50.0 * np.exp(np.cumsum(0.01 * np.sin(np.arange(len(DAYS)) * 1.0)))
    columns = quantmod_columns("AAA", close)
    columns["AAA.Volume"] = 1e6 * (1.5 + np.cos(np.arange(len(DAYS)) * 0.3))
    later = np.arange(len(DAYS)) > 200
    columns["AAA.Volume"][later] *= 5.0
    columns["AAA.High"][later] *= 1.05
    changed.write_bytes(quantmod(DAYS, columns))
    again = app.predict("AAA", app.PriceSource("AAA", csv=changed), start=f"{DAYS[201]:%Y-%m-%d}", days=3)
    assert np.array_equal(again.rows["forecast"].to_numpy(), first.rows["forecast"].to_numpy())  # the path: none
    assert again.rows["one_step"].iloc[0] == first.rows["one_step"].iloc[0]  # its window ends on the origin
    assert not np.allclose(again.rows["one_step"].iloc[1:], first.rows["one_step"].iloc[1:])  # each day's own read
    result = runner.invoke(cli, ["predict", "AAA", "--days", "4"])
    assert result.exit_code == 2 and "--days 4: AAA v1 reads past covariates (volume,range,market)" in result.output
    assert "use --days 3" in result.output
    result = runner.invoke(cli, ["predict", "AAA", "--days", "3"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["retrain", "AAA", "--force", "--offline", "--epochs", "2"])  # reads the market again
    assert result.exit_code == 0, result.output
    assert registry.load_version("AAA", "v2").manifest.data.market == str(market.absolute())


@pytest.mark.slow
def test_a_global_model_with_covariates_and_the_market_as_a_member(folder):
    write(folder, "MKT", DAYS, 100.0, 0.5)
    config = TrainConfig(**TINY, features="return,range,market", symbol_embedding=True)
    trained = app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", config, market="MKT")
    assert list(trained.members) == ["AAA", "BBB", "CCC"]  # the market is not a member
    assert trained.manifest.data.market == str((folder / "MKT.csv.gz").absolute())
    outcomes = list(app.predict_each([app.PriceSource("TRIO", offline=True)], days=1))
    assert [(o.symbol, o.error) for o in outcomes] == [("AAA", None), ("BBB", None), ("CCC", None)]
    assert all(o.result.rows["forecast"].notna().all() for o in outcomes)


@pytest.mark.slow
def test_single_symbol_features_train_and_forecast_one_day(folder, tmp_path):
    path = folder / "AAA.csv.gz"
    market = write(tmp_path, "MKT", DAYS, 100.0, 0.5)
    result = runner.invoke(cli, ["train", "--csv", str(path), "--features", "volume,return,market", "--market",
                                 str(market), "--window", "10", "--units", "4", "--epochs", "2", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = registry.load_current("AAA")
    assert stored.manifest.config.features == "volume,return,market"
    assert stored.scaler["features"]["names"] == ["volume", "return", "market"]
    assert stored.manifest.data.market == str(market.absolute())  # where predict reads the market again
    result = runner.invoke(cli, ["predict", "AAA", "--days", "2"])
    assert result.exit_code == 2 and "--days 2: AAA v1 reads past covariates (volume,return,market)" in result.output
    assert "use --days 1" in result.output
    result = runner.invoke(cli, ["predict", "AAA", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert len(rows) == 1 and np.isfinite(rows[0]["forecast"])
    # inside the data: each known day forecast one step from the actual covariates of the window before it
    start = f"{DAYS[-10]:%Y-%m-%d}"
    result = runner.invoke(cli, ["predict", "AAA", "--days", "1", "--start", start, "--json"])
    assert result.exit_code == 0, result.output
    assert np.isfinite(json.loads(result.stdout)["rows"][0]["one_step"])


@pytest.mark.slow
def test_one_step_forecast_of_a_covariates_model_reads_only_the_past(folder, tmp_path):
    """Changing every price after the origin changes neither the one-day forecast nor the covariates it read."""
    from stockrnn.forecast import forecast_model
    from stockrnn.train import fit
    from stockrnn.validate import load_csv

    prices = load_csv(folder / "AAA.csv.gz")
    config = TrainConfig(**{**TINY, "train_end": f"{DAYS[150]:%Y-%m-%d}"}, features="return,volume,range")
    model, scaler, _ = fit(prices, config)
    start = f"{DAYS[180]:%Y-%m-%d}"
    one = forecast_model(model, scaler, config, prices, start, 1, ("AAA", "v1"))
    later = prices.frame.copy()
    later.iloc[180:, :] *= 1.7  # from the first forecast day on
    two = forecast_model(model, scaler, config, dataclasses.replace(prices, frame=later), start, 1, ("AAA", "v1"))
    assert one.rows["forecast"].iloc[0] == pytest.approx(two.rows["forecast"].iloc[0], rel=1e-9)
    assert one.rows["one_step"].iloc[0] == pytest.approx(two.rows["one_step"].iloc[0], rel=1e-9)
    with pytest.raises(UsageError, match="--days 3: AAA v1 reads past covariates"):
        forecast_model(model, scaler, config, prices, start, 3, ("AAA", "v1"))
    # retrain's holdout (scored one step ahead) takes any days: the path stops where the head's outputs do
    held = forecast_model(model, scaler, config, prices, start, 3, ("AAA", "v1"), whole_path=False)
    assert held.rows["forecast"].iloc[0] == pytest.approx(one.rows["forecast"].iloc[0], rel=1e-9)
    assert held.rows["forecast"].iloc[1:].isna().all() and held.rows["one_step"].notna().all()
    # a covariate missing in the origin's window is not filled in: refused, naming the day
    gap = prices.frame.copy()
    gap.iloc[175, gap.columns.get_loc("volume")] = np.nan
    with pytest.raises(DataError, match=f"covariates \\(return,volume,range\\) of {DAYS[175]:%Y-%m-%d}"):
        forecast_model(model, scaler, config, dataclasses.replace(prices, frame=gap), start, 1, ("AAA", "v1"))


@pytest.mark.slow
def test_a_global_covariates_model_forecasts_its_members_one_day(folder, tmp_path):
    market = write(tmp_path, "MKT", DAYS, 100.0, 0.5)
    config = TrainConfig(**TINY, features="return,market")
    assert app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", config, market=str(market)).exit_code == 0
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "BBB", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert np.isfinite(json.loads(result.stdout)["rows"][0]["forecast"])
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "BBB"])
    assert result.exit_code == 2 and "use --days 1" in result.output
    result = runner.invoke(cli, ["predict", "TRIO"])  # every member: refused once, before any member is forecast
    assert result.exit_code == 2 and result.output.count("use --days 1") == 1, result.output


@pytest.mark.slow
def test_a_direction_model_of_covariates_forecasts_any_days(folder):
    """P(up) of each date asks of its origin's window only: nothing unseen, so no --days limit."""
    from stockrnn.forecast import forecast_model
    from stockrnn.train import fit
    from stockrnn.validate import load_csv

    prices = load_csv(folder / "AAA.csv.gz")
    config = TrainConfig(**TINY, target="direction", horizon_days=2, features="return,volume")
    model, scaler, _ = fit(prices, config)
    result = forecast_model(model, scaler, config, prices, None, 4, ("AAA", "v1"))
    p_up = result.rows["p_up"].to_numpy()
    assert len(p_up) == 2 and np.all((p_up > 0) & (p_up < 1))  # the dates whose origin is inside the data


def test_the_pooled_verdict_says_whether_the_median_member_scored_above_or_below_the_baseline():
    from stockrnn.panel_train import pooled
    from stockrnn.significance import Comparison, DMTest

    def member(model_rmse: float) -> list[Comparison]:
        return [Comparison("persistence", "validation", model_rmse, 1.0, DMTest(0.1, 0.9, 120, 0, None))]

    worse = pooled({"A": member(1.0067), "B": member(1.01), "C": member(1.0)})  # median member 0.67% worse
    assert worse.endswith("median RMSE 0.67% above persistence's")
    better = pooled({"A": member(0.98), "B": member(0.99), "C": member(1.0)})
    assert better.endswith("median RMSE 1.00% below persistence's")
    assert pooled({"A": member(1.0)}).endswith("median RMSE equal to persistence's")
    assert pooled({}) == "no validation verdict"


def test_a_global_models_name_is_no_members_and_no_single_symbols_entry(folder, tmp_path):
    from .conftest import a_manifest
    from .test_registry import SCALER

    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "aaa", "--offline"])
    assert result.exit_code == 2, result.output
    assert f"--name AAA: {folder / 'AAA.csv.gz'} is the member AAA of this panel" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not registry.models_dir("AAA").exists()  # refused before anything was read or written
    watchlist = tmp_path / "list.txt"
    watchlist.write_text(f"AAA csv={folder / 'AAA.csv.gz'}\nKO csv={folder / 'BBB.csv.gz'} ticker=BBB\n")
    result = runner.invoke(cli, ["train", "--watchlist", str(watchlist), "--name", "KO", "--offline"])
    assert result.exit_code == 2 and f"--name KO: {watchlist}, line 2 is the member KO" in result.output

    registry.save_version("AAPLX", b"one", SCALER, a_manifest())  # a single symbol's model
    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "AAPLX", "--offline"])
    assert result.exit_code == 2, result.output
    assert "AAPLX holds a single symbol's model of AAPLX; a global model needs a name of its own" in result.output
    assert registry.newest_version("AAPLX") == "v1"

    registry.save_version("TRIO", b"one", SCALER, a_manifest(panel={"members": {}}))  # a global model
    result = runner.invoke(cli, ["train", "TRIO", "--csv", str(folder / "AAA.csv.gz"), "--offline"])
    assert result.exit_code == 2, result.output
    assert "TRIO holds a global model named TRIO (train --panel/--watchlist); a single symbol's model" in result.output
    assert registry.newest_version("TRIO") == "v1"


@pytest.mark.parametrize("every", ["member", "epoch"])
def test_a_global_model_checks_its_validation_tail_after_each_members_worth_of_windows(folder, every):
    from stockrnn import backend
    from stockrnn.panel_train import fit_panel

    class Steps(backend.keras().callbacks.Callback):  # training steps between two validation checks
        def __init__(self) -> None:
            super().__init__()
            self.between, self.steps = [], 0

        def on_train_batch_end(self, batch, logs=None) -> None:
            self.steps += 1

        def on_epoch_end(self, epoch, logs=None) -> None:
            assert "val_loss" in (logs or {})  # each check is a validation
            self.between.append(self.steps)
            self.steps = 0

    counted, checks = Steps(), []
    config = TrainConfig(**{**TINY, "epochs": 3, "patience": 0, "validate_every": every})
    fitted = fit_panel(
        app.load_panel(PanelSource(folder=folder)), config, progress=lambda *a: checks.append(a), callbacks=(counted,)
    )
    t = fitted.manifest.training
    member = int(t.train_windows / 3 / 32 + 0.5)  # the mean member's training windows in batches of 32
    per_pass = -(-t.train_windows // 32)
    assert member < per_pass  # three members: a check is a third of a pass
    expected = member if every == "member" else per_pass
    assert counted.between == [expected] * 3 and t.epochs_run == 3 and len(t.val_loss) == 3
    assert t.check_windows == (expected * 32 if every == "member" else None)
    assert [c[3] for c in checks] == ["check" if every == "member" else "epoch"] * 3  # what the progress bar says
    assert fitted.manifest.config.validate_every == every


@pytest.mark.parametrize(
    "args, code, said",
    [
        (["train", "AAPL", "--target", "rank"], 2, "--target rank ranks a symbol among the members of a panel"),
        (["backtest", "AAPL", "--target", "rank"], 2, "--target rank ranks a symbol among the members of a panel"),
        (["train", "AAPL", "--symbol-embedding"], 2, "--symbol-embedding learns one vector per member of a panel"),
        (["train", "AAPL", "--scaling", "pooled"], 2, "--scaling pooled fits one scaler on all the members of a panel"),
        (["backtest", "AAPL", "--scaling", "pooled"], 2, "--scaling pooled fits one scaler on all the members"),
        (["train", "AAPL", "--market", "GSPC"], 2, "--market is for --features ...,market"),
        (["train", "AAPL", "--features", "return,market"], 2, "--features market needs the market's prices"),
        (["train", "AAPL", "--features", "market", "--market", "nowhere/GSPC.csv"], 66,
         "--market nowhere/GSPC.csv: no such file"),
        (["train", "AAPL", "--features", "market", "--market", "gspc.csv.gz"], 66, "--market gspc.csv.gz: no such"),
    ],
)  # fmt: skip
def test_a_symbols_options_only_a_panel_takes_are_refused_before_any_download(yahoo, args, code, said):
    stub = yahoo()  # no scripted answer: any download fails the test
    result = runner.invoke(cli, args)
    assert result.exit_code == code and said in result.output
    assert len(result.output.strip().splitlines()) == 1 and stub.calls == []


@pytest.mark.parametrize(
    "args, code, said",
    [
        (["train", "--name", "TRIO", "--date-format", "%Y-%m-%d"], 2, "leave out --date-format"),
        (["backtest", "--date-format", "%d/%m/%Y"], 2, "leave out --date-format"),
        (["train", "--name", "TRIO", "--scaling", "global"], 2, "--scaling must be one of member, pooled, not 'global"),
        (["study", "--scaling", "centred"], 2, "--scaling must be one of member, pooled, not 'centred'"),
        (["train", "--name", "TRIO", "--features", "market", "--market", "gone.csv"], 66, "--market gone.csv: no such"),
        (["backtest", "--features", "market", "--market", "gone/MKT"], 66, "--market gone/MKT: no such file"),
    ],
)  # fmt: skip
def test_a_panels_refusals_come_before_its_folder_is_read(tmp_path, args, code, said):
    # the folder does not exist: a refusal that names the option was made before anything was read
    result = runner.invoke(cli, [*args, "--panel", str(tmp_path / "not-there"), "--offline"])
    assert result.exit_code == code and said in result.output and "no such folder" not in result.output


def test_a_market_file_that_is_gone_is_said_with_the_model(folder, tmp_path):
    market = write(tmp_path, "MKT", DAYS, 100.0, 0.5)
    config = TrainConfig(**TINY, features="return,market")
    app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", config, market=str(market))
    market.unlink()
    result = runner.invoke(cli, ["predict", "TRIO", "--offline", "--days", "1"])
    assert result.exit_code == 66 and f"--market {market} (recorded with the model" in result.output


def test_the_validation_verdict_is_one_pooled_test_that_models_lists(folder):
    """The pooled persistence RMSE, worked out by hand from the files: every member's actual one-step log returns
    on its validation days; the model's pooled test is what train says first and models NAME lists."""
    result = runner.invoke(cli, ["train", "--panel", str(folder), "--name", "TRIO", "--window", "10", "--units", "4",
                                 "--epochs", "2", "--train-end", f"{END:%Y-%m-%d}", "--offline"])  # fmt: skip
    assert result.exit_code == 0, result.output
    said = result.output.replace("\n", " ")
    assert "between the global model and persistence on the members' validation days" in said
    assert "each of the 3 members' own verdicts against persistence" in said
    manifest = registry.load_current("TRIO").manifest
    record = manifest.data.panel
    first = record["pooled"][0]
    assert (first["baseline"], first["score"], first["model"]) == ("persistence", "RMSE", "the global model")
    squares = []
    for symbol, member in record["members"].items():
        close = app.load_panel(PanelSource(folder=folder)).members[symbol].frame["close"]
        returns = np.log(close / close.shift(1)).loc[member["val_start"] : member["val_end"]]
        assert len(returns) == member["val_windows"]
        squares += list(returns**2)
    assert first["baseline_rmse"] == pytest.approx(np.sqrt(np.mean(squares)), rel=1e-5)
    assert f"{len(squares)} member-days" in first["window"] and first["n"] == len(
        {d for m in record["members"].values() for d in pd.bdate_range(m["val_start"], m["val_end"])} & set(DAYS)
    )  # one observation a day: the day's mean over the members
    listed = json.loads(runner.invoke(cli, ["models", "TRIO", "--json"]).stdout)["TRIO"][0]
    assert (listed["metric"], listed["val_score"], listed["baseline_score"]) == (
        "rmse", first["model_rmse"], first["baseline_rmse"])  # fmt: skip
    assert listed["skill"] == pytest.approx(1 - first["model_rmse"] / first["baseline_rmse"])
    # its validation's days (the common days, one DM observation each), and apart from them its member-days
    assert listed["val_days"] == first["n"] == max(m["val_windows"] for m in record["members"].values())
    assert listed["val_member_days"] == len(squares) > listed["val_days"]
    table = runner.invoke(cli, ["models", "TRIO"]).output
    assert f"RMSE {first['model_rmse']:.4g}" in table and "n/a" not in table


def test_latest_of_a_global_model_gives_each_members_latest_forecast(folder):
    app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY))
    result = runner.invoke(cli, ["latest", "TRIO"])
    assert result.exit_code == 66 and "no forecast of TRIO is recorded: the ledger is empty" in result.output
    assert runner.invoke(cli, ["predict", "TRIO", "--days", "2", "--offline"]).exit_code == 0
    result = runner.invoke(cli, ["latest", "TRIO", "--json"])
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert [(d["symbol"], d["model_version"], len(d["rows"])) for d in documents] == [
        ("AAA", "TRIO:v1", 2), ("BBB", "TRIO:v1", 2), ("CCC", "TRIO:v1", 2)]  # fmt: skip
    result = runner.invoke(cli, ["latest", "TRIO"])
    assert result.exit_code == 0 and result.output.count("(model TRIO:v1, return)") == 3
    one = json.loads(runner.invoke(cli, ["latest", "bbb", "--json"]).stdout)
    assert one["symbol"] == "BBB" and one["model_version"] == "TRIO:v1"  # a member alone: one object, as before
    result = runner.invoke(cli, ["latest", "TRIO", "DUO"])
    assert (
        result.exit_code == 66
        and result.output.count("(model TRIO:v1") == 3
        and "no forecast of DUO" in (result.output)
    )
