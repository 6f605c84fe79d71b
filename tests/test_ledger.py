"""The forecast ledger: what predict and retrain record, kept once, whole or not at all, under concurrent writers."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import ledger
from stockrnn.app.nightly import retrain
from stockrnn.app.training import train_prices
from stockrnn.cli import app
from stockrnn.targets import Scaler
from stockrnn.validate import load_csv
from stockrnn.watchlist import Entry

from .conftest import price_frame, sine_prices, tiny_config

runner = CliRunner()


def an_entry(
    version: str = "v1", origin: str = "2020-01-31", steps: int = 3, symbol: str = "AAA"
) -> ledger.RecordedForecast:
    return ledger.RecordedForecast(
        symbol=symbol, version=version, fingerprint="abc123def456", target="return", column_name="close",
        made_by="predict", created="2020-01-31T22:00:00+00:00", origin=origin, origin_price=100.0, level=0.8,
        data_kind="csv", data_source="/data/aaa.csv", adjusted=True, date_format=None,
        steps=tuple(ledger.Step(i, f"2020-02-{i:02d}", 100.0 + i, 99.0, 101.0 + 2 * i) for i in range(1, steps + 1)),
    )  # fmt: skip


def rows(home) -> tuple[int, int]:
    with sqlite3.connect(home / ledger.FILE) as db:
        return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("forecasts", "steps"))


def test_record_round_trips_and_keeps_one_forecast_per_model_and_origin(home):
    assert ledger.read() == [] and ledger.symbols() == []  # nothing recorded: no file needed
    first = an_entry()
    assert ledger.record(first) is True
    assert ledger.record(an_entry()) is False  # the same model from the same origin: kept once, the first
    assert ledger.record(an_entry(version="v2")) is True  # another model: its own record
    assert ledger.record(an_entry(origin="2020-02-28")) is True  # a later origin: its own record
    assert rows(home) == (3, 9)
    assert ledger.read(["AAA"], since="2020-02-01") == [an_entry(origin="2020-02-28")]
    assert ledger.read()[0] == first  # every field and step as written
    assert ledger.symbols() == ["AAA"]
    with sqlite3.connect(home / ledger.FILE) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failure_between_the_forecast_and_its_steps_records_nothing(home, monkeypatch):
    def broken() -> None:
        raise OSError("disk full")

    original = ledger._before_steps
    monkeypatch.setattr(ledger, "_before_steps", broken)
    with pytest.raises(OSError):
        ledger.record(an_entry())
    assert rows(home) == (0, 0)
    monkeypatch.setattr(ledger, "_before_steps", original)
    assert ledger.record(an_entry()) is True  # not "already recorded": nothing of the first attempt is left


KILLED = """
import os, signal, sys
sys.path.insert(0, {root!r})
from stockrnn import ledger
from tests.test_ledger import an_entry
ledger.record(an_entry(origin="2020-01-01"))
ledger._before_steps = lambda: os.kill(os.getpid(), signal.SIGKILL)
ledger.record(an_entry(origin="2020-01-31"))
"""


def test_a_command_killed_mid_record_leaves_no_partial_record(home, tmp_path):
    root = str(Path(__file__).parent.parent)
    done = subprocess.run([sys.executable, "-c", KILLED.format(root=root)], capture_output=True, text=True)
    assert done.returncode == -9, done.stderr  # SIGKILL: between the forecast's row and its steps
    assert [e.origin for e in ledger.read()] == ["2020-01-01"]
    assert rows(home) == (1, 3)
    assert ledger.record(an_entry(origin="2020-01-31")) is True


WRITER = """
import sys
sys.path.insert(0, {root!r})
from stockrnn import ledger
from tests.test_ledger import an_entry
for day in range(1, 29):
    for version in ("v1", "v2"):
        ledger.record(an_entry(version=version, origin=f"2021-02-{{day:02d}}", symbol={symbol!r}, steps=21))
print("done")
"""


def test_concurrent_writers_in_real_processes_never_see_a_locked_database(home):
    """Four real processes write through `ledger.record` at once, the one call predict and retrain make (retrain's
    workers never write: the parent records), as two nightly retrains and a user's predict would."""
    root = str(Path(__file__).parent.parent)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER.format(root=root, symbol=s)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for s in ("AAA", "BBB", "CCC", "AAA")  # the last one repeats the first: every record is kept once
    ]  # fmt: skip
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0 and out.strip() == "done", err
        assert "locked" not in err
    assert rows(home) == (3 * 28 * 2, 3 * 28 * 2 * 21)
    assert ledger.symbols() == ["AAA", "BBB", "CCC"]


def test_predict_records_real_forecasts_only(sine_model, home):
    done = runner.invoke(app, ["predict", "SINE", "--json"])
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    [recorded] = ledger.read()
    assert (recorded.symbol, recorded.version, recorded.made_by) == ("SINE", "v1", "predict")
    assert recorded.origin == printed["origin"] and recorded.level == printed["interval"]["level"]
    assert recorded.data_kind == "csv" and recorded.data_source == str(sine_model.resolve())
    assert [(s.date, s.forecast, s.lower, s.upper) for s in recorded.steps] == [
        (r["date"], pytest.approx(r["forecast"], abs=1e-4), pytest.approx(r["lower"], abs=1e-4),
         pytest.approx(r["upper"], abs=1e-4)) for r in printed["rows"]
    ]  # fmt: skip
    assert runner.invoke(app, ["predict", "SINE"]).exit_code == 0  # the same forecast again: kept once
    assert runner.invoke(app, ["predict", "SINE", "--start", "2016-06-01"]).exit_code == 0  # inside the data
    assert len(ledger.read()) == 1


def test_an_unwritable_ledger_is_said_but_the_forecast_is_printed(sine_model, home):
    (home / ledger.FILE).mkdir(parents=True)  # a folder where the database should be
    done = runner.invoke(app, ["predict", "SINE"])
    assert done.exit_code == 0
    assert "was not recorded" in done.output and "forecast" in done.output


def test_recorded_records_are_plain_sql(home):
    """Anyone can read the ledger without stockrnn: documented columns, plain values."""
    ledger.record(an_entry())
    with sqlite3.connect(home / ledger.FILE) as db:
        db.row_factory = sqlite3.Row
        head = dict(db.execute("SELECT * FROM forecasts").fetchone())
        steps = [dict(r) for r in db.execute("SELECT * FROM steps ORDER BY step")]
    assert head["origin"] == "2020-01-31" and head["origin_price"] == 100.0 and head["adjusted"] == 1
    assert [s["forecast"] for s in steps] == [101.0, 102.0, 103.0] and steps[0]["p_up"] is None


# A forecast from other data is said, printed and never recorded in the model's place.


def test_a_forecast_from_another_file_never_takes_the_models_ledger_slot(sine_model, home, tmp_path):
    other = tmp_path / "other.csv"  # the same days as the model's file, so the same origin: the slot it would take
    price_frame(sine_prices(600, noise=0.3, seed=5) + 3).to_csv(other, index=False)
    done = runner.invoke(app, ["predict", "SINE", "--csv", str(other), "--json"])
    assert done.exit_code == 0, done.output
    said = " ".join(done.stderr.split())
    assert f"SINE v1 was trained on {sine_model.resolve()}; this forecast reads {other.resolve()}, other data" in said
    assert "SINE v1: this forecast is not recorded in the forecast ledger" in said
    assert "times that range" not in said  # near the prices it learned: no word on the scaler
    assert ledger.read() == []
    own = runner.invoke(app, ["predict", "SINE", "--json"])
    assert own.exit_code == 0 and "other data" not in own.stderr and "not recorded" not in own.stderr
    [recorded] = ledger.read()  # the model's own forecast from that origin, not the other file's
    assert recorded.data_source == str(sine_model.resolve())
    assert recorded.origin == json.loads(done.stdout)["origin"] == json.loads(own.stdout)["origin"]
    assert [s.forecast for s in recorded.steps] == pytest.approx(
        [r["forecast"] for r in json.loads(own.stdout)["rows"]]
    )


def test_the_models_own_file_by_another_path_or_a_copy_is_its_own(sine_model, home, tmp_path, monkeypatch):
    monkeypatch.chdir(sine_model.parent)
    done = runner.invoke(app, ["predict", "SINE", "--csv", sine_model.name])  # a relative path to the same file
    assert done.exit_code == 0 and "other data" not in done.stderr and len(ledger.read()) == 1
    copy = tmp_path / "copy.csv"
    shutil.copyfile(sine_model, copy)  # the same bytes: the same data
    done = runner.invoke(app, ["predict", "SINE", "--csv", str(copy), "--start", "2016-06-01"])
    assert done.exit_code == 0 and "other data" not in done.stderr


@pytest.mark.parametrize(("factor", "side"), [(100.0, "above"), (0.01, "below"), (3.0, "above")])
def test_prices_far_outside_the_price_scaler_are_said(sine_model, home, tmp_path, factor, side):
    """The worked example: pence for pounds (x100) beside a model that learned prices of about 90 to 110."""
    other = tmp_path / "pence.csv"
    price_frame(sine_prices(600, noise=0.3) * factor).to_csv(other, index=False)
    done = runner.invoke(app, ["predict", "SINE", "--csv", str(other), "--start", "2017-03-01", "--days", "5"])
    assert done.exit_code == 0, done.output
    scaler = json.loads((home / "models" / "SINE" / "v1" / "scaler.json").read_text())
    low, high = scaler["data_min"], scaler["data_max"]
    read = load_csv(other).frame["close"]
    origin = read.index.searchsorted(pd.Timestamp("2017-03-01"))
    window = read.iloc[origin - 20 : origin + 5]  # the tiny model's 20-day window and the 5 actual days after it
    value = window.max() if side == "above" else window.min()
    times = (value - high if side == "above" else low - value) / (high - low)
    said = " ".join(done.stderr.split())
    assert (
        f"SINE v1 learned 'close' prices from {low:.6g} to {high:.6g}; the prices this forecast reads reach "
        f"{value:.6g}, {times:.1f} times that range {side} it: far outside what the model has seen"
    ) in said
    assert "not recorded" not in said and ledger.read() == []  # --start: nothing to record anyway


def test_only_a_price_level_scaler_has_a_range():
    assert Scaler({"kind": "minmax", "feature_range": [0, 1], "data_min": 2.0, "data_max": 5.0}).fitted_range == (2, 5)
    assert Scaler({"kind": "scale", "scale": 0.01}).fitted_range is None  # returns: the same at every price level


def test_retrain_records_the_kept_champion_only_from_its_own_file(home, tmp_path, caplog):
    own = tmp_path / "wave.csv"
    price_frame(sine_prices(300, noise=0.3)).to_csv(own, index=False)
    train_prices(load_csv(own), "WAVE", tiny_config(epochs=1))
    other = tmp_path / "other.csv"
    price_frame(sine_prices(330, noise=0.3, seed=9)).to_csv(other, index=False)
    outcome = retrain(Entry("WAVE", csv=str(other), options={"epochs": 1}), margin=0.99)
    assert outcome.status == "kept champion" and ledger.read() == []  # v1 never saw other.csv
    assert f"WAVE v1: its forecast from {other} is not recorded in the forecast ledger" in caplog.text
    price_frame(sine_prices(330, noise=0.3)).to_csv(own, index=False)
    outcome = retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99)
    assert outcome.status == "kept champion"
    [recorded] = ledger.read()
    assert (recorded.version, recorded.made_by, recorded.data_source) == ("v1", "retrain", str(own.resolve()))


def test_a_ledger_written_before_the_ticker_column_is_read_and_written(home):
    """A ledger from before `ticker` was recorded gains the column when opened: its rows read with no ticker."""
    old = ledger.SCHEMA.replace(
        "    ticker TEXT,                        -- the one ticker", "    -- was: the one ticker"
    )
    assert old != ledger.SCHEMA
    home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(home / ledger.FILE) as db:
        db.executescript(old)
        values = [getattr(an_entry(), name) for name in ledger.HEADER if name != "ticker"]
        db.execute(f"INSERT INTO forecasts ({', '.join(ledger.HEADER[:-1])}) VALUES ({', '.join('?' * 14)})", values)
    assert ledger.read()[0].ticker is None
    picked = dataclasses.replace(an_entry(origin="2020-02-28"), ticker="BBB")
    assert ledger.record(picked) is True
    assert [e.ticker for e in ledger.read()] == [None, "BBB"]
