"""The `Result` protocol (stockrnn/targets/base.py): one contract test run for every target, as NeuralForecast runs
one for every model. Each target's forecast answers for itself: its JSON (with its target), its verdicts, its ledger
steps, its table, its plot, its backtest record; the target pools its folds, judges two of its models and scores its
track record. Nothing here asks which kind of target it holds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from stockrnn import targets
from stockrnn.forecast import forecast_model
from stockrnn.record import Step
from stockrnn.significance import Comparison
from stockrnn.train import fit

from .conftest import tiny_config


# Every target a single symbol trains (the rank target's results are the direction target's: tests/test_rank.py).
@pytest.fixture(scope="module", params=sorted(t for t, target in targets.TARGETS.items() if not target.panel_only))
def forecasts(request, sine_300):
    """(target, a forecast from inside the data, a real forecast after its last day) of one tiny model."""
    config = tiny_config(target=request.param, epochs=2)
    prices = sine_300
    model, scaler, manifest = fit(prices, config)
    start = f"{prices.frame.index[250]:%Y-%m-%d}"
    inside = forecast_model(model, scaler, config, prices, start, 10, ("S", "v1"), manifest.interval)
    after = forecast_model(model, scaler, config, prices, None, 10, ("S", "v1"), manifest.interval)
    return targets.get(request.param), inside, after


def test_a_forecast_says_its_target_in_its_json(forecasts):
    target, inside, after = forecasts
    for result in (inside, after):
        document = json.loads(json.dumps(result.to_json(), allow_nan=False))  # plain JSON, no NaN
        assert result.target == document["target"] == target.name and document["model_version"] == "v1"
        assert len(document["rows"]) == len(result.rows) > 0
    assert inside.metrics and not after.metrics  # actual outcomes inside the data only
    assert all(isinstance(c, Comparison) for c in inside.comparisons()) and len(inside.comparisons()) == 2
    assert after.comparisons() == []


def test_a_forecast_gives_the_ledger_its_own_days(forecasts):
    _, _, after = forecasts
    steps = after.steps()
    assert steps and all(isinstance(s, Step) for s in steps)
    dates = [s.date for s in steps]
    assert dates == sorted(dates) and dates[0] > f"{after.origin:%Y-%m-%d}"  # days after the origin, in order
    assert all((s.forecast is None) != (s.p_up is None) for s in steps)  # a price or a probability, never both


def test_a_forecast_renders_and_draws_itself(forecasts, tmp_path):
    from rich.console import Console
    from rich.table import Table

    from stockrnn.plot import draw

    _, inside, after = forecasts
    for result in (inside, after):
        items = result.render()
        assert any(isinstance(i, Table) for i in items) and all(isinstance(i, str | Table) or hasattr(i, "plain")
                                                               for i in items)  # fmt: skip
        console = Console(record=True, width=120)
        for item in items:
            console.print(item)
        assert result.symbol in console.export_text()
        path = draw(result, tmp_path / f"{result.target}-{result.origin:%Y%m%d}-{len(result.rows)}.png")
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_folds_pool_and_models_compete_through_the_target(forecasts, tmp_path):
    target, inside, _ = forecasts
    config = tiny_config(target=target.name)
    folds = [{"fold": n, "cutoff": "x", "start": f"{inside.rows.index[0]:%Y-%m-%d}",
              "end": f"{inside.rows.index[-1]:%Y-%m-%d}", **inside.fold()} for n in (1, 2)]  # fmt: skip
    pooled = target.pool(json.loads(json.dumps(folds)), config, 10, 0.8)
    assert pooled["days"] == sum(len(f["days"]) for f in folds) and pooled["comparisons"]
    report = {"folds": folds, "summary": _summary(folds), "pooled": pooled,
              "verdict": [c["verdict"] for c in pooled["comparisons"]]}  # fmt: skip
    assert target.backtest_view(report)[-1] == report["verdict"][-1]
    versus = target.versus(inside, inside)  # a model against itself: no difference, by construction
    assert versus.change == 0 and versus.outcome == "no significant difference"
    assert set(target.contest_scores(inside)) == {target.scored, target.baseline}
    assert target.can_replace(target) and target.contest_cell({"challenger": target.contest_scores(inside)})


def _summary(folds: list[dict]) -> dict:
    from stockrnn.backtest import summarize

    return summarize(folds)


def test_a_track_record_is_scored_by_its_target(forecasts):
    target, inside, _ = forecasts
    known = inside.rows.dropna(subset=["actual"]).reindex(columns=["actual", "forecast", "p_up"])  # NaN: none
    origin = float(inside.history.iloc[-1])
    table = pd.DataFrame({
        "n": 0, "origin": origin, "step": np.arange(1, len(known) + 1), "date": known.index.strftime("%Y-%m-%d"),
        "actual": known["actual"].to_numpy(), "forecast": known["forecast"].to_numpy(), "lower": np.nan,
        "upper": np.nan, "p_up": known["p_up"].to_numpy(),
    })  # fmt: skip
    steps, metrics, comparisons = target.score_track(table, "1 forecast")
    assert steps == len(known) and metrics
    assert len(target.track_row(metrics, None, comparisons)) == 5
