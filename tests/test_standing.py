"""What stands behind a forecast (stockrnn/standing.py): in-sample days said everywhere, the evidence line, the
staleness warning with an injected today; for every target through its result, and through predict and plot."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from stockrnn import app, targets
from stockrnn.forecast import forecast_model
from stockrnn.metrics import Scores
from stockrnn.significance import DMTest
from stockrnn.standing import FUTURE, IN_SAMPLE, OUT_OF_SAMPLE, PARTLY, standing, validation
from stockrnn.train import fit
from stockrnn.validate import load_csv

from .conftest import a_manifest, tiny_config

# a_manifest: trained on 2020-01-02..2020-12-31, its validation tail from 2020-12-01
HISTORY = pd.Series([100.0, 102.0], index=pd.DatetimeIndex(["2020-06-01", "2020-06-02"]))


def days(first: str, count: int) -> pd.DatetimeIndex:
    return pd.bdate_range(first, periods=count)


def manifest_with_verdict():
    tested = Scores(rmse=0.9, skill=0.1, test=DMTest(-1.0, 0.32, 23, 0))
    return dataclasses.replace(a_manifest(), version="v2", metrics={"one_step": tested, "persistence": Scores(1.0)})


def test_where_the_scored_days_lie():
    m, end = manifest_with_verdict(), pd.Timestamp("2020-12-31")
    inside = standing(m, days("2020-06-03", 20), HISTORY, False, end, end)
    assert (inside.sample, inside.in_sample_days, inside.scored_days, inside.label) == (IN_SAMPLE, 20, 20, IN_SAMPLE)
    partly = standing(m, days("2020-12-21", 10), HISTORY, False, pd.Timestamp("2021-03-01"), end)
    assert partly.sample == PARTLY and partly.in_sample_days == 9  # 2020-12-21..31: nine weekdays
    assert partly.label == "partly in-sample: 9 of 10 days"
    assert partly.in_sample_span == (pd.Timestamp("2020-12-21"), pd.Timestamp("2020-12-31"))
    after = standing(m, days("2021-01-04", 10), HISTORY, False, pd.Timestamp("2021-03-01"), end)
    assert (after.sample, after.in_sample_days, after.label, after.note()) == (OUT_OF_SAMPLE, 0, None, None)
    future = standing(m, pd.DatetimeIndex([]), HISTORY, True, end, end)
    assert (future.sample, future.in_sample_days, future.behind) == (FUTURE, 0, 0)


def test_the_in_sample_note_names_the_training_period():
    m, end = manifest_with_verdict(), pd.Timestamp("2020-12-31")
    assert standing(m, days("2020-06-03", 5), HISTORY, False, end, end).note() == (
        "in-sample: these days were in the model's training data (2020-01-02..2020-12-31, its validation tail from "
        "2020-12-01); not evidence: score a model on days after 2020-12-31"
    )
    partly = standing(m, days("2020-12-30", 4), HISTORY, False, pd.Timestamp("2021-03-01"), end)
    assert partly.note().startswith(
        "partly in-sample: 2 of these 4 days (2020-12-30..2020-12-31) were in the model's training data"
    )


def test_the_evidence_line_says_the_model_the_last_close_and_its_validation_verdict():
    m = manifest_with_verdict()
    found = standing(m, pd.DatetimeIndex([]), HISTORY, True, pd.Timestamp("2020-06-02"), pd.Timestamp("2020-06-03"))
    assert found.line() == (
        "evidence: model v2 (price target), trained on 2020-01-02..2020-12-31; last close 102 on 2020-06-02, +2.00% "
        "on the day before; its validation tail 2020-12-01..2020-12-31: no significant difference from persistence "
        "(DM p = 0.32, 23 days)"
    )
    evidence = found.to_json()["evidence"]
    assert evidence["change_percent"] == 2.0 and evidence["last_price"] == 102.0 and evidence["backtest"] is None
    assert evidence["validation"]["outcome"] == "no significant difference" and evidence["line"] == found.line()
    # a manifest without a tested verdict (written before the test existed) says so, in plain words
    untested = standing(a_manifest(), pd.DatetimeIndex([]), HISTORY, True, pd.Timestamp("2020-06-02"),
                        pd.Timestamp("2020-06-03"))  # fmt: skip
    assert "not tested against persistence: not tested when these scores were recorded" in untested.line()
    assert validation(dataclasses.replace(a_manifest(), metrics={})) is None
    broken = standing(dataclasses.replace(a_manifest(), metrics={}), pd.DatetimeIndex([]), HISTORY, True,
                      pd.Timestamp("2020-06-02"), pd.Timestamp("2020-06-03"))  # fmt: skip
    assert broken.line().endswith("no validation verdict recorded")


@pytest.mark.parametrize(
    ("today", "behind", "stale"),
    [
        ("2021-01-08", 5, False),  # 2021-01-04..08: five sessions after the last day: still fresh
        ("2021-01-11", 6, True),
        ("2020-12-31", 0, False),
        ("2023-01-03", 504, True),  # XNYS sessions in 2021 and 2022, and 2023-01-03
    ],
)
def test_staleness_counts_trading_days_to_an_injected_today(today, behind, stale):
    m = manifest_with_verdict()
    found = standing(m, pd.DatetimeIndex([]), HISTORY, True, pd.Timestamp("2020-12-31"), pd.Timestamp(today))
    assert (found.behind, found.stale) == (behind, stale)
    assert found.to_json()["evidence"]["trading_days_behind"] == behind
    if stale:
        assert found.warning() == (
            f"warning: stale data: the prices end on 2020-12-31, {behind} trading days before today ({today}); the "
            "days forecast after them have passed: update the prices (stockrnn fetch, or a newer file) and forecast "
            "again"
        )
        assert found.lines()[-1] == found.warning()
    else:
        assert found.warning() is None and found.to_json()["evidence"]["warning"] is None


def test_a_forecast_inside_the_data_measures_no_staleness():
    m = manifest_with_verdict()
    found = standing(m, days("2021-01-04", 5), HISTORY, False, pd.Timestamp("2021-03-01"), pd.Timestamp("2030-01-02"))
    assert found.behind is None and found.today is None and not found.stale


# Every target a single symbol trains (the rank target's results are the direction target's: tests/test_rank.py).
@pytest.fixture(scope="module", params=sorted(t for t, target in targets.TARGETS.items() if not target.panel_only))
def every_target(request, sine_300):
    """(prices, a forecast inside the training period, one after the data, the manifest) of each target's tiny model,
    trained up to the 250th day."""
    prices = sine_300
    end = f"{prices.frame.index[249]:%Y-%m-%d}"
    config = tiny_config(target=request.param, epochs=2, train_end=end)
    model, scaler, manifest = fit(prices, config)
    manifest = dataclasses.replace(manifest, version="v1")
    inside = forecast_model(model, scaler, config, prices, f"{prices.frame.index[200]:%Y-%m-%d}", 10, ("S", "v1"),
                            manifest.interval)  # fmt: skip
    after = forecast_model(model, scaler, config, prices, None, 10, ("S", "v1"), manifest.interval)
    return prices, inside, after, manifest


def stood(result, prices, manifest, today="2030-01-02"):
    """`result` with its standing, as the application layer gives it."""
    return dataclasses.replace(result, standing=app_stand(manifest, result, prices, today))


def app_stand(manifest, result, prices, today):
    from stockrnn.app.forecast import stand

    return stand(manifest, result, prices, today)


def test_every_target_says_in_sample_in_its_json_table_and_verdicts(every_target):
    prices, inside, _, manifest = every_target
    result = stood(inside, prices, manifest)
    document = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert document["sample"] == IN_SAMPLE and document["in_sample_days"] == len(result.scored_days) > 0
    assert document["evidence"]["model_version"] == "v1" and document["evidence"]["target"] == result.target
    assert all(line.startswith("verdict (in-sample, not evidence): ") for line in document["verdict"])
    assert all(c["in_sample"] == IN_SAMPLE for c in document["comparisons"])
    text = render(result)
    assert "IN-SAMPLE: inside the model's training data" in text and "(in-sample: not evidence)" in text
    assert "in-sample: these days were in the model's training data" in text
    assert "evidence: model v1" in text and "real, recursive" not in text and "(a real forecast)" not in text
    # without a standing (a backtest's fold, a retrain's holdout) nothing changes
    plain = inside.to_json()
    assert "sample" not in plain and all(line.startswith("verdict: ") for line in plain["verdict"])


def test_every_target_puts_the_evidence_and_the_staleness_under_a_real_forecast(every_target):
    prices, _, after, manifest = every_target
    last = prices.frame.index[-1]
    stale = stood(after, prices, manifest, today=f"{last + pd.Timedelta(days=30):%Y-%m-%d}")
    document = stale.to_json()
    assert document["sample"] == FUTURE and document["in_sample_days"] == 0
    evidence = document["evidence"]
    assert evidence["stale"] and evidence["trading_days_behind"] > 5 and evidence["data_last_day"] == f"{last:%Y-%m-%d}"
    assert evidence["last_day"] == f"{after.history.index[-1]:%Y-%m-%d}"
    change = after.history.iloc[-1] / after.history.iloc[-2] - 1
    assert evidence["change_percent"] == pytest.approx(100 * change, abs=1e-4)
    text = render(stale)
    assert "evidence: model v1" in text and f"warning: stale data: the prices end on {last:%Y-%m-%d}" in text
    fresh = stood(after, prices, manifest, today=f"{last + pd.Timedelta(days=1):%Y-%m-%d}")
    assert not fresh.to_json()["evidence"]["stale"] and "warning: stale" not in render(fresh)


def test_every_target_shades_in_sample_days_and_never_calls_them_a_real_forecast(every_target):
    prices, inside, after, manifest = every_target
    from matplotlib.figure import Figure

    figure = Figure()
    stood(inside, prices, manifest).draw(figure)
    labels = [t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("in the model's training data") for label in labels)
    assert not any("(real forecast)" in label for label in labels)
    assert "IN-SAMPLE" in figure.get_suptitle()
    future = Figure()
    stood(after, prices, manifest).draw(future)
    subtitles = " ".join(ax.get_title() for ax in future.axes)
    assert "evidence: model v1" in subtitles and "warning: stale data" in subtitles
    assert not any(p.get_label().startswith("in the model's training data") for ax in future.axes for p in ax.patches)


def render(result) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for item in result.render():
        console.print(item)
    return " ".join(console.export_text().split())


def test_predict_says_in_sample_and_the_evidence_and_plot_shades_it(sine_model, tmp_path):
    """Through the application layer: the SINE model was trained up to 2016-12-30."""
    inside = app.predict("SINE", start="2016-06-01", days=5)
    assert inside.standing is not None and inside.standing.sample == IN_SAMPLE
    after = app.predict("SINE", start="2017-01-03", days=5)
    assert after.standing is not None and after.standing.sample == OUT_OF_SAMPLE
    assert after.to_json()["verdict"][0].startswith("verdict: ")
    partly = app.predict("SINE", start="2016-12-28", days=5).to_json()
    assert (partly["sample"], partly["in_sample_days"]) == (PARTLY, 3)  # 2016-12-28, 29, 30
    last = load_csv(sine_model).frame.index[-1]
    future = app.predict("SINE", days=3, today=f"{last + pd.Timedelta(days=2):%Y-%m-%d}").to_json()
    assert future["sample"] == FUTURE and not future["evidence"]["stale"]
    stale = app.predict("SINE", days=3, today="2030-01-02").to_json()
    assert stale["evidence"]["stale"] and stale["evidence"]["today"] == "2030-01-02"
    _, path = app.plot("SINE", start="2016-06-01", days=5, out=tmp_path / "inside.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cli_prints_the_evidence_under_a_forecast(sine_model):
    from .test_cli import run

    result = run("predict", "SINE", "--start", "2016-06-01", "--days", "5")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "IN-SAMPLE" in text and "verdict (in-sample, not evidence):" in text and "evidence: model v1" in text
    data = json.loads(run("predict", "SINE", "--days", "3", "--json").stdout)
    assert data["sample"] == FUTURE and data["evidence"]["model_version"] == "v1"
    assert np.isfinite(data["evidence"]["last_price"])
