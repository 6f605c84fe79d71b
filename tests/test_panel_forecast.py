"""A global model's forecasts of many members at once (forecast.forecast_models, Target.forecast_many,
Shape.advance): each member's the same as its forecast alone; a member that fails among several is left out; a
symbol outside the panel. Small generated panels, tiny models."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import app, ledger
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.errors import DataError
from stockrnn.forecast import Asked, forecast_model, forecast_models
from stockrnn.panel_train import Member, fit_panel, member_manifest
from stockrnn.price_source import PanelSource

from .test_panel_train import DAYS, TINY, folder, write  # noqa: F401 (folder: the fixture)

runner = CliRunner()


def alone_and_together(panel_folder, config: TrainConfig, start: str | None, days: int):
    """Each member's forecast alone (through `Member`, as before) and all of them together (`forecast_models`)."""
    panel = app.load_panel(PanelSource(folder=panel_folder, offline=True))
    fit = fit_panel(panel, config)
    record = fit.manifest.data.panel or {}
    alone, asked = [], []
    for symbol, prices in panel.members.items():
        index = record["members"][symbol]["index"] if config.symbol_embedding else None
        view = member_manifest(fit.manifest, symbol)
        scaler, label = fit.scaler["members"][symbol], (symbol, "v1")
        alone.append(
            forecast_model(Member(fit.model, index), scaler, config, prices, start, days, label, view.interval)
        )
        asked.append(Asked(scaler, prices, label, view.interval, index))
    return alone, forecast_models(fit.model, config, asked, start, days)


CASES = [
    pytest.param(dict(symbol_embedding=True), None, 5, id="return-embedding"),
    pytest.param({}, f"{DAYS[215]:%Y-%m-%d}", 5, id="return-from-a-start", marks=pytest.mark.slow),
    pytest.param(dict(target="direction", horizon_days=2), None, 4, id="direction", marks=pytest.mark.slow),
    pytest.param(
        dict(output="direct", output_days=3, features="return,volume", symbol_embedding=True), f"{DAYS[220]:%Y-%m-%d}",
        3, id="direct-covariates-embedding", marks=pytest.mark.slow,
    ),
    pytest.param(dict(output="direct", output_days=2), None, 5, id="direct-continued", marks=pytest.mark.slow),
]  # fmt: skip


@pytest.mark.parametrize(("options", "start", "days"), CASES)
def test_every_members_forecast_together_equals_its_forecast_alone(folder, options, start, days):  # noqa: F811
    alone, together = alone_and_together(folder, TrainConfig(**{**TINY, **options}), start, days)
    assert len(alone) == len(together) == 3
    for one, many in zip(alone, together, strict=True):
        assert not isinstance(many, Exception)
        assert (one.symbol, one.origin) == (many.symbol, many.origin)
        assert list(one.rows.columns) == list(many.rows.columns) and one.rows.index.equals(many.rows.index)
        numbers = one.rows.select_dtypes("number")
        assert numbers.notna().any().any()
        np.testing.assert_allclose(many.rows[numbers.columns].to_numpy(), numbers.to_numpy(), rtol=1e-6)


def test_paths_advanced_together_are_each_rows_path_alone():
    """Shape.advance of many windows: each row's path as `path` of it alone; a fixed channel rides on every day."""
    from stockrnn import shapes

    class Last:  # a "network" whose output is the mean of its window's last day's channels
        def predict_on_batch(self, batch: np.ndarray) -> np.ndarray:
            return batch[:, -1, :].mean(axis=1, keepdims=True)

    windows = np.arange(12, dtype="float64").reshape(3, 4)  # (m, window)
    together = shapes.ManyToOne().advance(Last(), windows, 3)
    for row, path in zip(windows, together, strict=True):
        np.testing.assert_allclose(path, shapes.ManyToOne().path(Last(), row, 3))
    assert together[0].tolist() == [3.0, 3.0, 3.0]  # each prediction fed back as the newest input
    fixed = shapes.ManyToOne().advance(Last(), windows, 2, fixed=np.array([[1.0], [2.0], [3.0]]))
    assert fixed[0].tolist() == [2.0, 1.5]  # (3 + 1) / 2, then (2 + 1) / 2


def test_a_member_that_cannot_be_forecast_is_its_error_in_its_place(folder):  # noqa: F811
    """forecast_models: a member too short for a window from the origin is its DataError; the others are made."""
    config = TrainConfig(**TINY)
    panel = app.load_panel(PanelSource(folder=folder, offline=True))
    fit = fit_panel(panel, config)
    asked = [Asked(fit.scaler["members"][s], p, (s, "v1")) for s, p in panel.members.items()]
    found = forecast_models(fit.model, config, asked, f"{DAYS[45]:%Y-%m-%d}", 2)  # CCC starts on DAYS[40]
    assert [type(f).__name__ for f in found] == ["ValueForecast", "ValueForecast", "DataError"]
    assert isinstance(found[2], DataError) and "trading days of history before it" in str(found[2])


def test_a_damaged_members_file_leaves_it_out_of_predict_and_signal_with_exit_1(folder, caplog):  # noqa: F811
    assert app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY)).exit_code == 0
    damaged = folder / "BBB.csv.gz"
    damaged.write_bytes(b"not gzip at all")
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        result = runner.invoke(cli, ["predict", "TRIO", "--days", "2", "--offline", "--json"])
    assert result.exit_code == 1, result.output
    documents = json.loads(result.stdout)
    assert [d["symbol"] for d in documents] == ["AAA", "BBB", "CCC"]
    assert "rows" in documents[0] and "rows" in documents[2] and documents[1]["left_out"] is True
    said = [r.getMessage() for r in caplog.records if "left out of TRIO v1's forecasts" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"{damaged}: left out") and "\n" not in said[0]
    assert "error:" not in result.stderr  # a WARNING, not an error line
    assert sorted(e.symbol for e in ledger.read(None, None)) == ["AAA", "CCC"]  # the others recorded
    result = runner.invoke(cli, ["predict", "TRIO", "--days", "2", "--offline"])  # the table of the others
    assert result.exit_code == 1 and "TRIO: 2 members" in result.output
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "BBB", "--offline"])  # the one asked: its own error
    assert result.exit_code == 65, result.output

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        result = runner.invoke(cli, ["signal", "TRIO", "--offline", "--json"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)
    assert sorted(s["symbol"] for s in found["signals"]) == ["AAA", "CCC"]
    assert [(e["symbol"], e["exit_code"], e.get("left_out")) for e in found["errors"]] == [("BBB", 1, True)]
    assert any(r.getMessage().startswith(f"{damaged}: left out of TRIO v1's signals") for r in caplog.records)
    result = runner.invoke(cli, ["signal", "TRIO", "--member", "BBB", "--offline"])
    assert result.exit_code == 65, result.output


@pytest.mark.slow
def test_a_symbol_outside_the_panel_gets_a_members_evidence_band_and_stale_warning(folder, tmp_path):  # noqa: F811
    assert app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY)).exit_code == 0
    outside = write(tmp_path, "DDD", DAYS, 30.0, 0.9)
    result = runner.invoke(cli, ["predict", "TRIO", "--csv", str(outside), "--days", "3", "--offline"])
    assert result.exit_code == 0, result.output
    assert "outside the training panel" in result.output
    assert "evidence:" in result.output and "warning: stale data" in result.output
    said = " ".join(result.output.split())
    assert "outside the training panel, so no validation verdict of its own" in said and "stockrnn models TRIO" in said
    outcome = next(app.predict_each([app.PriceSource("TRIO", csv=outside, offline=True)], days=3))
    result = outcome.result
    assert result is not None and result.level is not None  # a band
    rows = result.rows
    assert (rows["lower"] < rows["forecast"]).all() and (rows["forecast"] < rows["upper"]).all()
    assert result.standing is not None and result.standing.stale
    assert ledger.read(None, None) == []  # never recorded
    assert pd.Timestamp(result.origin) == DAYS[-1]


@pytest.mark.parametrize(
    "options", [pytest.param({}, id="return"), pytest.param(dict(target="direction"), id="direction")]
)
def test_every_members_signal_at_once_equals_its_signal_alone(folder, options, monkeypatch):  # noqa: F811
    """signal NAME: every member's path advanced together (one forecast_models call for all), the same signals as
    each member asked alone with --member."""
    from stockrnn.app import signals

    assert (
        app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY, **options)).exit_code == 0
    )
    calls: list[int] = []
    batched = signals.forecast_models

    def counted(model, config, many, *args, **kwargs):
        calls.append(len(many))
        return batched(model, config, many, *args, **kwargs)

    monkeypatch.setattr(signals, "forecast_models", counted)
    result = runner.invoke(cli, ["signal", "TRIO", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    together = {s["symbol"]: s for s in json.loads(result.stdout)["signals"]}
    assert sorted(together) == ["AAA", "BBB", "CCC"] and calls == [3]  # one call for the three members
    for symbol, signal in together.items():
        result = runner.invoke(cli, ["signal", "TRIO", "--member", symbol, "--offline", "--json"])
        assert result.exit_code == 0, result.output
        [alone] = json.loads(result.stdout)["signals"]
        same = ("origin", "position", "signal", "model_version", "evidence")
        assert {k: alone[k] for k in same} == {k: signal[k] for k in same}
        for key in ("score", "lower", "upper"):
            assert (alone.get(key) is None) == (signal.get(key) is None), key
            if signal.get(key) is not None:
                assert alone[key] == pytest.approx(signal[key], rel=1e-6, abs=1e-9), (symbol, key)
        assert signal["score"] is not None and signal["model_version"] == "TRIO:v1"
    assert calls == [3, 1, 1, 1]


def test_member_options_that_would_name_another_series_are_refused_or_said_once(folder, tmp_path):  # noqa: F811
    """--member beside a file of another symbol is refused (its prices would pass for the member's), a member named
    twice is forecast once, and plot, which draws one member, refuses two instead of drawing the last."""
    assert app.train_panel(PanelSource(folder=folder, offline=True), "TRIO", TrainConfig(**TINY)).exit_code == 0
    outside = write(tmp_path, "DDD", DAYS, 30.0, 0.9)
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "AAA", "--csv", str(outside), "--offline"])
    assert result.exit_code == 2, result.output
    assert f"--member AAA with --csv {outside}, whose prices are DDD's" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "ddd", "--csv", str(outside), "--days", "2"])
    assert result.exit_code == 0, result.output  # the file's own symbol: outside the panel, as without --member
    assert json.loads(runner.invoke(cli, ["predict", "TRIO", "--csv", str(outside), "--days", "2", "--json"]).stdout)[
        "model_version"
    ].endswith("outside the training panel")
    result = runner.invoke(cli, ["predict", "TRIO", "--member", "AAA", "--member", "aaa", "--days", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["symbol"] == "AAA"  # one forecast, one object
    assert [e.symbol for e in ledger.read(None, None)] == ["AAA"]  # recorded once
    image = tmp_path / "two.png"
    result = runner.invoke(cli, ["plot", "TRIO", "--member", "AAA", "--member", "BBB", "--out", str(image)])
    assert result.exit_code == 2 and "--member AAA, BBB: plot draws one member's forecast" in result.stderr
    assert not image.exists()
