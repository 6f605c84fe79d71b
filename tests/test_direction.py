"""The direction target through the commands: train, predict (table, JSON, ledger), plot, backtest, retrain."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import ledger
from stockrnn.cli import app

from .conftest import SP500, price_frame, sine_prices, tiny_args

runner = CliRunner()
DIRECTION = [*tiny_args(target="direction", epochs=3), "--horizon-days", "5"]


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """The lecture's protocol with a tiny direction model (S&P 500 up to 2016-12-30), trained once for the module:
    (its home folder, what train --json printed)."""
    folder = tmp_path_factory.mktemp("direction") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STOCKRNN_HOME", str(folder))
        done = runner.invoke(app, ["train", "--csv", str(SP500), "--symbol", "^GSPC", "--train-start", "2014-01-01",
                                   "--train-end", "2016-12-30", *DIRECTION, "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    return folder, json.loads(done.stdout)


@pytest.fixture
def trained(trained_once, home):
    """The module's direction model, copied into this test's home."""
    shutil.copytree(trained_once[0], home)
    return trained_once[1]


def test_train_predict_and_plot_the_lecture_month(trained, tmp_path):
    assert trained["config"]["horizon_days"] == 5 and set(trained["metrics"]) == {"p_up", "base_rate", "always_up"}
    assert [c["score"] for c in trained["comparisons"]] == ["Brier", "error rate"]
    done = runner.invoke(app, ["predict", "^GSPC", "--start", "2017-01-03", "--days", "20", "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["target"] == "direction" and data["horizon_days"] == 5 and len(data["rows"]) == 20
    close = pd.read_csv(SP500, index_col="Date")["Close"]
    for row in data["rows"]:  # each date's P(up) was made 5 trading days before it; its outcome is the truth
        days = list(close.index)
        assert days.index(row["date"]) - days.index(row["origin"]) == 5
        assert row["outcome"] == float(close[row["date"]] > close[row["origin"]]) and 0 < row["p_up"] < 1
    assert data["rows"][0]["date"] == "2017-01-03" and data["rows"][0]["origin"] == "2016-12-23"
    assert data["metrics"]["p_up"]["days"] == 20 and len(data["verdict"]) == 2
    table = runner.invoke(app, ["predict", "^GSPC", "--start", "2017-01-03", "--days", "20"])
    assert "P(up)" in table.output and "base rate" in table.output and "verdict:" in table.output
    out = tmp_path / "trend.png"
    assert runner.invoke(app, ["plot", "^GSPC", "--start", "2017-01-03", "--out", str(out)]).exit_code == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_a_real_forecast_reaches_h_days_and_is_recorded_with_its_probability(trained):
    done = runner.invoke(app, ["predict", "^GSPC", "--json"])  # after the file's last day, 2018-12-31
    data = json.loads(done.stdout)
    assert [r["origin"] for r in data["rows"]][-1] == "2018-12-31" and len(data["rows"]) == 5
    assert all(r["outcome"] is None for r in data["rows"]) and data["metrics"] == {}
    [recorded] = ledger.read()
    [step] = recorded.steps
    assert (recorded.target, recorded.origin, step.step, step.forecast) == ("direction", "2018-12-31", 5, None)
    assert step.date == data["rows"][-1]["date"] and step.p_up == pytest.approx(data["rows"][-1]["p_up"], abs=1e-4)


@pytest.mark.slow
def test_backtest_scores_probabilities_and_draws_a_reliability_diagram(home, write_csv, tmp_path):
    csv = write_csv("wave.csv", price_frame(sine_prices(400, period=25)))
    out = tmp_path / "reliability.png"
    done = runner.invoke(app, ["backtest", "--csv", str(csv), "--folds", "2", "--horizon", "10", "--step", "10",
                               *DIRECTION, "--plot", str(out), "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    pooled = report["pooled"]
    assert pooled["days"] == 20 and sum(b["count"] for b in pooled["reliability"]) == 20
    assert pooled["metrics"]["p_up"]["test"]["lags"] == 4  # 5-day labels overlap
    assert set(report["summary"]["p_up"]) >= {"brier", "brier_skill", "accuracy"}
    for fold in report["folds"]:
        assert fold["start"] > fold["cutoff"] and "calibrator" in fold["scaler"]
        outcomes = [d["outcome"] for d in fold["days"]]
        assert np.isclose(np.mean(outcomes), fold["metrics"]["p_up"]["ups"])
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_retrain_promotes_direction_models_on_the_brier_score(trained, tmp_path):
    # --max-age 0: the champion's age (its training ends long before the data's last day) is not the question here
    done = runner.invoke(app, ["retrain", "^GSPC", "--jobs", "1", "--force", "--json", "--max-age", "0"])
    assert done.exit_code == 0, done.output
    [outcome] = json.loads(done.stdout)["outcomes"]
    challenger, champion = outcome["metrics"]["challenger"], outcome["metrics"]["champion"]
    assert set(challenger) == set(champion) == {"p_up", "base_rate"}
    comparison = outcome["comparison"]
    assert comparison["score"] == "Brier" and comparison["lags"] == 4
    brier = f"(challenger BRIER {challenger['p_up']['brier']:.4g}, champion {champion['p_up']['brier']:.4g};"
    assert brier in outcome["message"]
    champion_better = comparison["significant"] and comparison["outcome"] == "lost"  # the Brier scores' DM test
    assert (outcome["status"] == "promoted") == (not champion_better)


def test_retrain_can_switch_a_direction_champion_to_another_target(trained):
    from stockrnn import registry
    from stockrnn.app.nightly import prepare
    from stockrnn.watchlist import Entry

    with registry.lock("^GSPC"):
        back = prepare(Entry("^GSPC", options={"target": "return"}), force=True)
        same = prepare(Entry("^GSPC", options={"target": "direction"}), force=True)
        longer = prepare(Entry("^GSPC", options={"horizon_days": 21}), force=True)
    assert (back.config.target, back.config.horizon_days) == ("return", None)  # the champion's H is not the return's
    assert (same.config.horizon_days, longer.config.horizon_days) == (5, 21)
