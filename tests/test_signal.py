"""stockrnn signal: today's decision per symbol, ranked, recorded in the ledger beside its forecast; what changed since
the last signal; one error line per symbol without a model; the ledger's signals table on old and new ledgers."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from stockrnn import decision, ledger
from stockrnn.cli import app
from stockrnn.record import RecordedSignal
from stockrnn.significance import Comparison, DMTest

from .conftest import price_frame, random_walk, tiny_config

runner = CliRunner()


def a_signal(origin: str, position: float, symbol: str = "AAA", **changes) -> RecordedSignal:
    fields = dict(
        symbol=symbol, version="v1", target="price", origin=origin, created=f"{origin}T22:00:00+00:00",
        position=position, score=0.01 * position, lower=None, upper=None, strategy="long-flat", threshold=0.001,
        cost_bps=5.0, fill="close", column_name="close", data_kind="csv", data_source="/x.csv", adjusted=True,
    )  # fmt: skip
    return RecordedSignal(**{**fields, **changes})


def test_what_changed_since_the_last_signal():
    before = [a_signal("2026-11-18", 0.0), a_signal("2026-11-19", 1.0), a_signal("2026-11-20", 1.0)]
    assert decision.change([], "2026-11-23", 1.0) == "first signal"
    assert decision.change(before, "2026-11-23", 1.0) == "unchanged since 2026-11-19"
    assert decision.change(before, "2026-11-23", 0.0) == "LONG -> FLAT"
    assert decision.change(before[:1], "2026-11-23", -1.0) == "FLAT -> SHORT"
    assert decision.change(before, "2026-11-18", 1.0) == "FLAT -> LONG"  # only signals made up to its origin count


def test_negative_cost_and_no_symbol_are_one_line_errors_before_any_model_is_read(tmp_path):
    result = runner.invoke(app, ["signal", "NOPE", "--cost-bps", "-1"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --cost-bps must be in the range 0 to 1000 (basis points a side), not -1.0"
    result = runner.invoke(app, ["signal", "NOPE", "--fill", "noon"])
    assert result.exit_code == 2 and "--fill must be one of close, open" in result.output
    result = runner.invoke(app, ["signal"])
    assert result.exit_code == 2 and "name SYMBOLs to signal, or a --watchlist FILE" in result.output
    missing = runner.invoke(app, ["signal", "--watchlist", str(tmp_path / "none.txt")])
    assert missing.exit_code == 66 and "none.txt: no such watchlist file" in missing.output


def test_a_symbol_without_a_model_is_one_line_and_exit_66(home):
    result = runner.invoke(app, ["signal", "NOPE", "--json"])
    assert result.exit_code == 66
    report = json.loads(result.stdout)
    assert report == {
        "signals": [],
        "errors": [{"symbol": "NOPE", "error": "no model for NOPE: train one with stockrnn train NOPE",
                    "exit_code": 66}],
        "exit_code": 66,
    }  # fmt: skip


def test_signals_are_kept_once_beside_their_forecast_and_old_ledgers_gain_the_table(home):
    from .test_track import recorded

    old_schema = ledger.SCHEMA[: ledger.SCHEMA.index("CREATE TABLE IF NOT EXISTS signals")]
    home.mkdir(parents=True)
    with sqlite3.connect(home / ledger.FILE) as db:  # a ledger written before signals existed, with one forecast
        db.executescript(old_schema)
    forecast = recorded("2020-01-06", 100.0, [("2020-01-07", 101.0, 99.0, 103.0)])
    assert ledger.record(forecast)
    assert ledger.read_signals() == []  # opened: the table is there, empty
    signal = a_signal("2020-01-06", 1.0, target="return")  # the forecast's target, source and version
    assert ledger.record_signal(forecast, signal)  # joins the forecast recorded before
    assert not ledger.record_signal(forecast, signal)  # the first is kept
    assert ledger.record_signal(
        forecast, a_signal("2020-01-06", 0.0, threshold=0.01, target="return")
    )  # another rule: its own
    assert ledger.count() == 1  # one forecast
    found = ledger.read_signals(["AAA"])
    assert [(s.position, s.threshold) for s in found] == [(1.0, 0.001), (0.0, 0.01)]
    assert found[0] == signal  # every field back as written, the source's from the forecast
    assert len(ledger.read()) == 1 and ledger.read()[0].steps == forecast.steps


@pytest.fixture
def two_models(sine_model, home, tmp_path):
    """SINE (a price model, the session's) and WALK (a direction model) in this test's home; a 3-symbol watchlist
    with NOPE, which has no model."""
    from stockrnn.app.training import train_prices
    from stockrnn.validate import load_csv

    csv = tmp_path / "walk.csv"
    price_frame(random_walk(500, seed=4)).to_csv(csv, index=False)
    train_prices(load_csv(csv), "WALK", tiny_config(target="direction", epochs=2, train_end="2016-06-30"))
    watchlist = tmp_path / "watchlist.txt"
    watchlist.write_text("SINE\nWALK\nNOPE  # not trained\n", encoding="utf-8")
    return watchlist


@pytest.mark.slow
def test_a_watchlist_of_three_one_without_a_model(two_models, monkeypatch):
    """Two rows, one error line, exit non-zero; the ledger holds the two signals; a second run says what changed."""
    result = runner.invoke(app, ["signal", "--watchlist", str(two_models)])
    assert result.exit_code == 66, result.output
    cells = [line.split("│") for line in result.stdout.splitlines() if line.startswith("│")]
    rows = [c for c in cells if c[1].strip()]  # a table row's first line: its rank
    assert [c[1].strip() for c in rows] == ["1", "2"] and {"SINE", "WALK"} == {c[2].strip() for c in rows}
    assert all(c[5].strip().startswith("first") for c in rows)  # "first signal"
    # The data end in 2016: each signal says its fill day has passed.
    assert {"SINE", "WALK"} == {line.split(":")[1].strip() for line in result.output.splitlines()
                                if line.startswith("warning: ") and "stale data" in line}  # fmt: skip
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == ["error: no model for NOPE: train one with stockrnn train NOPE"]
    signals = ledger.read_signals()
    assert sorted(s.symbol for s in signals) == ["SINE", "WALK"]
    assert {s.symbol: s.threshold for s in signals} == {"SINE": 0.001, "WALK": 0.5}  # each target's default
    assert {f.made_by for f in ledger.read()} == {"signal"}

    again = runner.invoke(app, ["signal", "WALK", "SINE", "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["errors"] == [] and report["exit_code"] == 0
    by_symbol = {s["symbol"]: s for s in report["signals"]}
    for s in signals:
        assert by_symbol[s.symbol]["change"] == f"unchanged since {s.origin}"
        assert by_symbol[s.symbol]["position"] == s.position and by_symbol[s.symbol]["recorded"] is False
    margins = [s["margin"] for s in report["signals"]]
    assert margins == sorted(margins, reverse=True)  # ranked, strongest first
    sine = by_symbol["SINE"]
    assert set(sine) >= {"signal", "score", "lower", "upper", "rule", "fill", "evidence", "model_version", "origin"}
    assert sine["signal"] in ("LONG", "FLAT") and sine["rule"]["strategy"] == "long-flat"
    assert sine["fill"].startswith("at the close of ") and sine["fill"][-10:] > sine["origin"]
    assert sine["evidence"].startswith(("BEAT ", "LOST to ", "no evidence of an edge ("))
    assert "stale data" in sine["warning"]
    assert by_symbol["WALK"]["lower"] is None and 0 <= by_symbol["WALK"]["score"] <= 1
    assert len(ledger.read_signals()) == 2  # the same signals: kept once

    # A threshold outside a model's range, and --short where the target cannot say down: one line, exit 2.
    bad = runner.invoke(app, ["signal", "SINE", "--threshold", "0.7"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "error: SINE: --threshold for a price model's expected return must be between 0 and 0.5 (a fraction: 0.002 = "
        "0.2%), not 0.7"
    ]
    from stockrnn import targets

    monkeypatch.setattr(type(targets.get("price")), "can_short", False)
    short = runner.invoke(app, ["signal", "SINE", "--short"])
    assert short.exit_code == 2
    assert short.output.strip() == "error: SINE: --strategy long-short: a price model cannot say down; use long-flat"


def test_the_evidence_is_the_validation_verdict_in_a_few_words():
    def verdict(model: float, p: float | None) -> Comparison:
        return Comparison("persistence", "its validation tail", model, 10.0, DMTest(None, p, 120, 0, "too few"))

    assert decision.evidence(verdict(9.0, 0.01)) == "BEAT persistence by 10% (validation p = 0.01)"
    assert decision.evidence(verdict(11.0, 0.01)) == "LOST to persistence (validation p = 0.01)"
    assert decision.evidence(verdict(9.0, 0.40)) == "no evidence of an edge (validation p = 0.40)"
    assert decision.evidence(verdict(9.0, None)) == "no evidence of an edge (validation untested)"
    assert decision.evidence(None) == "no evidence of an edge (no validation verdict recorded)"  # an old manifest
