"""Numbers at every price level: the formatter of tables and titles, the rounding of JSON documents, and a real
forecast's table, JSON, plot title and backtest table on one series scaled by 1e-6 .. 1e6. A coin near 0.00001
must not print 0.00; the S&P 500 must print as it always has."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from stockrnn import targets
from stockrnn.forecast import forecast_model
from stockrnn.formatting import band, price
from stockrnn.metrics import FORECAST, NAIVE, ONE_STEP, PERSISTENCE, rounded
from stockrnn.train import fit
from stockrnn.validate import load_csv

from .conftest import price_frame, random_walk, tiny_config

LEVELS = [10.0**k for k in range(-6, 7)]  # 1e-6 .. 1e6, every decade
PRICES = ("forecast", "lower", "upper", "one_step", "actual")


def _old_band(lower: float, upper: float) -> str:
    """The interval column as it was printed before significant digits (value_views.py at 7139ff9)."""
    digits = 0 if abs(upper) >= 100 else 1 if abs(upper) >= 10 else 2
    return f"{lower:.{digits}f}..{upper:.{digits}f}"


def test_ordinary_prices_print_as_they_always_have():
    assert price(2239.3869) == "2239.39" and band(2225.117, 2254.4) == "2225..2254"  # the lecture's demo
    assert band(89.41, 89.52) == "89.4..89.5" and band(95.2, 105.1) == "95..105" and price(None) == "n/a"
    rng = np.random.default_rng(0)
    for value in 10 ** rng.uniform(0, 7, 500):  # every price from 1 up: two decimals, as before
        assert price(value) == f"{value:.2f}"
        lower = value * rng.uniform(0.5, 1.0)
        assert band(lower, value) == _old_band(lower, value), (lower, value)


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_keeps_three_significant_digits(level):
    rng = np.random.default_rng(int(np.log10(level)) + 10)
    for value in level * rng.uniform(1, 10, 50):
        shown = price(value)
        assert float(shown) == pytest.approx(value, rel=5e-3), shown  # never 0.00
        lower, upper = value * 0.97, value * 1.04
        low, high = map(float, band(lower, upper).split(".."))
        assert low == pytest.approx(lower, rel=5e-2) and high == pytest.approx(upper, rel=5e-3)
        assert rounded(value) == pytest.approx(value, rel=1e-5)  # JSON: 6 significant digits at least
        if value >= 100:
            assert rounded(value) == round(value, 4)  # and 4 decimals as before where that is more


def test_rounded_leaves_what_has_no_digits_to_lose():
    assert rounded(None) is None and rounded(float("nan")) is None and rounded(0.0) == 0.0
    assert rounded(0.54321987) == 0.54322 and rounded(-1.2345678e-9) == -1.23457e-9


# --- a real forecast at every price level ---


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A tiny return model on a random walk: log returns do not change when every price is scaled by a level, so
    one model forecasts the series at each level (what a model trained at that level would)."""
    csv = tmp_path_factory.mktemp("levels") / "walk.csv"
    price_frame(random_walk(300, seed=3) / 100).to_csv(csv, index=False)  # about 1: levels are prices
    prices = load_csv(csv)
    config = tiny_config(target="return", epochs=2)
    return prices, config, fit(prices, config)


def _forecast_at(model, level: float):
    prices, config, (network, scaler, manifest) = model
    scaled = dataclasses.replace(prices, frame=prices.frame * level)
    start = f"{prices.frame.index[280]:%Y-%m-%d}"
    return forecast_model(network, scaler, config, scaled, start, 15, ("WALK", "v1"), manifest.interval)


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?(?:e[+-]\d+)?", text)]


@pytest.mark.parametrize("level", LEVELS)
def test_a_forecast_keeps_its_digits_in_json_table_and_title(model, level):
    from rich.console import Console

    result = _forecast_at(model, level)
    rows = result.rows
    assert rows["upper"].notna().all() and rows["actual"].notna().all()  # a band, scored against actual prices
    data = json.loads(json.dumps(result.to_json()))
    for row, (_, truth) in zip(data["rows"], rows.iterrows(), strict=True):
        for name in PRICES:
            assert row[name] == pytest.approx(truth[name], rel=1e-5), (name, row[name], truth[name])
    for name, scores in data["metrics"].items():
        assert scores["rmse"] > 0 and scores["rmse"] == pytest.approx(result.metrics[name].rmse), name
    assert all(c["model_rmse"] > 0 and c["baseline_rmse"] > 0 for c in data["comparisons"])

    console = Console(record=True, width=80)
    for item in result.render():
        console.print(item)
    text = console.export_text()
    table = [line.split("│")[1:-1] for line in text.splitlines() if re.match(r"│ \d{4}-\d\d-\d\d", line)]
    assert len(table) == len(rows)
    for cells, (_, truth) in zip(table, rows.iterrows(), strict=True):
        forecast, interval, one_step, actual = (float(c) if ".." not in c else c for c in cells[1:5])
        assert forecast == pytest.approx(truth["forecast"], rel=5e-3) and forecast > 0
        assert one_step == pytest.approx(truth["one_step"], rel=5e-3) and actual == pytest.approx(
            truth["actual"], rel=5e-3
        )
        low, high = map(float, interval.split(".."))
        assert low == pytest.approx(truth["lower"], rel=5e-2) and high == pytest.approx(truth["upper"], rel=5e-3)
    scores = [line.split("│")[1:-1] for line in text.splitlines() if re.match(r"│ (forecast|naive|one_step) ", line)]
    for cells in scores:
        name, rmse, mae = (c.strip() for c in cells[:3])
        assert float(rmse) == pytest.approx(result.metrics[name].rmse, rel=5e-3)
        assert float(mae) == pytest.approx(result.metrics[name].mae, rel=5e-3)

    from matplotlib.figure import Figure

    figure = Figure(figsize=result.figure_size)
    result.draw(figure)
    title = figure.axes[0].get_title()
    shown = _numbers(title.split("(skill")[0])
    expected = [result.metrics[m].rmse for m in (FORECAST, NAIVE, ONE_STEP, PERSISTENCE)]
    assert shown == pytest.approx(expected, rel=5e-3), title


@pytest.mark.parametrize("level", [1e-6, 1e6])
def test_a_backtest_table_keeps_its_digits(model, level):
    from rich.console import Console

    from stockrnn.backtest import summarize

    result = _forecast_at(model, level)
    target, config = targets.get("return"), model[1]
    folds = [{"fold": n, "cutoff": "x", "start": f"{result.rows.index[0]:%Y-%m-%d}",
              "end": f"{result.rows.index[-1]:%Y-%m-%d}", **result.fold()} for n in (1, 2)]  # fmt: skip
    folds = json.loads(json.dumps(folds))
    for day, (_, truth) in zip(folds[0]["days"], result.rows.iterrows(), strict=True):  # the pooled tests' input
        assert [day[k] for k in PRICES] == pytest.approx([truth[k] for k in PRICES], rel=1e-5)
    pooled = target.pool(folds, config, 15, 0.8)
    report = {"folds": folds, "summary": summarize(folds), "pooled": pooled,
              "verdict": [c["verdict"] for c in pooled["comparisons"]]}  # fmt: skip
    console = Console(record=True, width=80)
    for item in target.backtest_view(report):
        console.print(item)
    line = next(line for line in console.export_text().splitlines() if line.startswith("│ 1 "))
    one_step, persistence, _, path, naive = (c.strip() for c in line.split("│")[3:8])
    m = result.metrics
    assert float(one_step) == pytest.approx(m[ONE_STEP].rmse, rel=5e-3)
    assert float(persistence) == pytest.approx(m[PERSISTENCE].rmse, rel=5e-3)
    assert float(path) == pytest.approx(m[FORECAST].rmse, rel=5e-3) and float(naive) == pytest.approx(
        m[NAIVE].rmse, rel=5e-3
    )


def test_scores_keep_significant_digits_never_0_00():
    from stockrnn.formatting import fmt, significant

    assert fmt(0.0012) == "0.0012" and significant(0.0012) == "0.0012"  # an index near 0.0012, not 0.00
    assert significant(0.00746, sign=True) == "+0.0075" and significant(-0.0137, sign=True) == "-0.014"
    assert significant(4.3818) == "4.38" and significant(12.345) == "12.35"  # at least two decimals
    assert significant(2345.67) == "2345.67"  # a price's cents stay
    assert significant(0.35, sign=True) == "+0.35" and significant(0.0, sign=True) == "+0.00"
    assert significant(1.2e-5) == "1.2e-05"
    assert fmt(None) == "n/a" and significant(float("nan")) == "n/a"
    assert fmt(0.1234, ".0%") == "12%"  # an explicit spec is obeyed
