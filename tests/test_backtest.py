"""Walk-forward backtest: folds never see past their cut-off, re-fit their scaler, and tell signal from noise."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from stockrnn.backtest import backtest, cutoffs
from stockrnn.cli import app
from stockrnn.errors import DataError, UsageError
from stockrnn.validate import load_csv

from .conftest import price_frame, random_walk, sine_prices, tiny_args, tiny_config

LEARN = {"epochs": 10, "learning_rate": 0.01, "units": 16}


def test_cutoffs():
    assert cutoffs(100, 3, 10, 5) == [80, 85, 90]  # the last fold ends on the last day
    with pytest.raises(UsageError, match="must be at least 1"):
        cutoffs(100, 0, 10, 5)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["price", "return", "direction"])
def test_folds_see_nothing_after_their_cutoff_and_refit_the_scaler(write_csv, target):
    rising = 100 + np.arange(400) * 0.5 + np.sin(np.arange(400))  # each fold's maximum is its own last days
    rising[-40:] += np.linspace(0, 60, 40) ** 1.5  # and returns grow wilder after the first cut-off
    prices = load_csv(write_csv("rise.csv", price_frame(rising)))
    report = backtest(prices, tiny_config(epochs=1, target=target), folds=3, horizon=10, step=20).to_json()
    close = prices.frame["close"]
    for fold in report["folds"]:
        seen = close.loc[: fold["cutoff"]]
        assert fold["start"] > fold["cutoff"] and fold["train_rows"] == len(seen)
        # fitted on rows up to the cut-off, and only those
        if target == "price":
            assert fold["scaler"]["data_max"] == pytest.approx(seen.max())
        else:
            assert fold["scaler"]["scale"] == pytest.approx(np.diff(np.log(seen.to_numpy())).std())
    assert len({json.dumps(f["scaler"]) for f in report["folds"]}) == 3
    paths = {"path": "recursive", "path_note": None} if target != "direction" else {}  # as predict's JSON
    assert {k: report.get(k) for k in ("shape", *paths)} == {"shape": "many-to-one", **paths}
    assert target != "direction" or "path" not in report  # a probability has no path of values
    assert [f["cutoff"] for f in report["folds"]] == [f"{close.index[i - 1]:%Y-%m-%d}" for i in (350, 370, 390)]


@pytest.mark.slow
def test_signal_has_skill_and_a_random_walk_has_none(write_csv):
    sine = backtest(
        load_csv(write_csv("s.csv", price_frame(sine_prices(500, noise=0.3)))), tiny_config(**LEARN), 3, 10, 10
    ).to_json()
    walk = backtest(
        load_csv(write_csv("w.csv", price_frame(random_walk(500)))), tiny_config(**LEARN), 3, 10, 10
    ).to_json()
    assert sine["summary"]["one_step"]["skill"]["median"] > 0.5
    assert walk["summary"]["one_step"]["skill"]["median"] < 0.15
    assert sine["verdict"][0].startswith("verdict: the model BEAT persistence")


def test_end_makes_any_period_of_a_file_the_scored_one(write_csv):
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(300))))
    days = prices.frame.index
    end = f"{days[250]:%Y-%m-%d}"
    report = backtest(prices, tiny_config(epochs=1), folds=2, horizon=5, step=5, end=end).to_json()
    assert report["folds"][-1]["end"] == end and report["folds"][0]["start"] == f"{days[241]:%Y-%m-%d}"
    assert all(day["date"] <= end for fold in report["folds"] for day in fold["days"])  # nothing after it scored
    assert report["folds"][0]["train_rows"] == 241  # nor trained on
    with pytest.raises(UsageError, match=r"--end 2030-01-01 is outside the data \(2015-01-02 to "):
        backtest(prices, tiny_config(), folds=2, horizon=5, step=5, end="2030-01-01")
    result = CliRunner().invoke(app, ["backtest", "--csv", str(write_csv("t.csv", price_frame(sine_prices(300)))),
                                      "--end", "someday"])  # fmt: skip
    assert result.exit_code == 2 and "--end 'someday' is not a date; use YYYY-MM-DD" in result.output


def test_too_little_data_says_what_to_change(write_csv):
    prices = load_csv(write_csv("short.csv", price_frame(sine_prices(120))))
    with pytest.raises(DataError, match="10 folds of 21 days every 21 days need 250 rows .* the data has 120"):
        backtest(prices, tiny_config(), folds=10, horizon=21, step=21)


@pytest.mark.slow
def test_backtest_json_schema(write_csv):
    csv = write_csv("s.csv", price_frame(sine_prices(300)))
    args = ["backtest", "--csv", str(csv), "--folds", "2", "--horizon", "5", "--step", "5", *tiny_args(epochs=2),
            "--json", "--plot", str(csv.parent / "folds.png")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    keys = {"symbol", "shape", "path", "path_note", "folds", "summary", "pooled", "verdict", "plot"}  # predict's shape
    assert set(report) == keys and len(report["folds"]) == 2
    assert report["symbol"] == "S"  # the file's name, as train would store it
    assert (csv.parent / "folds.png").read_bytes()[:4] == b"\x89PNG" and report["plot"].endswith("folds.png")
    fold = report["folds"][0]
    assert {"fold", "cutoff", "start", "end", "train_rows", "metrics", "closer_to_yesterday"} <= set(fold)
    assert set(fold["metrics"]) == {"one_step", "persistence", "forecast", "naive", "drift", "always_up"}
    assert set(report["summary"]["one_step"]["rmse"]) == {"median", "q25", "q75"}
    coverages = [f["metrics"]["forecast"]["interval_coverage"] for f in report["folds"]]
    assert all(0 <= c <= 1 for c in coverages)
    assert report["summary"]["forecast"]["interval_coverage"]["median"] == pytest.approx(np.median(coverages))
    pooled = report["pooled"]  # all folds' days together: the tests and the bands
    assert pooled["days"] == 10 and [c["n"] for c in pooled["comparisons"]] == [10, 10]
    assert [c["lags"] for c in pooled["comparisons"]] == [0, 4]  # the 5-day paths overlap for 4 days
    assert [c["verdict"] for c in pooled["comparisons"]] == report["verdict"]
    days = [day for fold in report["folds"] for day in fold["days"]]
    inside = [d["lower"] <= d["actual"] <= d["upper"] for d in days]
    assert pooled["interval"]["forecast"]["coverage"] == pytest.approx(np.mean(inside))
    assert pooled["interval"]["forecast"]["fold_coverage"] == coverages
    one_step = [d["one_step_lower"] <= d["actual"] <= d["one_step_upper"] for d in days]
    assert pooled["interval"]["one_step"]["coverage"] == pytest.approx(np.mean(one_step))


@pytest.mark.slow
def test_synthetic_control_lecture_setting_shows_real_skill(home):
    """The lecture's own setting for its generated series: 20-step windows, one layer of 100 simple RNN units."""
    runner = CliRunner()
    lecture = ["--window", "20", "--layers", "1", "--units", "100", "--cell", "rnn", "--dropout", "0", "--epochs", "30"]
    result = runner.invoke(app, ["train", "--synthetic", *lecture, "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["symbol"] == "SYNTHETIC" and manifest["data"]["kind"] == "synthetic"
    assert manifest["data"]["synthetic"] == {"noise": 0.0, "seed": 42, "points": 600, "step": 0.1}
    assert manifest["metrics"]["one_step"]["skill"] > 0.5  # clearly positive: this series has structure to learn
    assert "BEAT persistence" in manifest["verdict"]
    predicted = runner.invoke(app, ["predict", "SYNTHETIC", "--start", "2002-04-01", "--days", "10", "--json"])
    assert predicted.exit_code == 0, predicted.output  # the series is generated again from the manifest
    assert json.loads(predicted.stdout)["metrics"]["one_step"]["skill"] > 0.5
    noisy = runner.invoke(app, ["backtest", "--synthetic", "--noise", "0.5", "--folds", "2", "--horizon", "10",
                                "--step", "10", *lecture[:-2], "--epochs", "3", "--json"])  # fmt: skip
    assert noisy.exit_code == 0, noisy.output
    assert len(json.loads(noisy.stdout)["folds"]) == 2
