"""stockrnn track: recorded forecasts scored against what happened, by hand on a worked example and by a month-by-month
walk through the bundled S&P 500 checked against an independent computation from the raw ledger rows."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from stockrnn import ledger
from stockrnn.cli import app
from stockrnn.significance import overlapping as _overlap
from stockrnn.track import ALL, score

from .conftest import SP500, tiny_args

runner = CliRunner()

PRICES = pd.Series(
    [100.0, 102.0, 101.0, 104.0, 103.0, 99.0],
    index=pd.to_datetime(["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10", "2020-01-13"]),
)


def recorded(origin: str, price: float, steps: list[tuple[str, float, float | None, float | None]], version="v1"):
    return ledger.RecordedForecast(
        symbol="AAA", version=version, fingerprint="f" * 12, target="return", column_name="close", made_by="predict",
        created=f"{origin}T22:00:00+00:00", origin=origin, origin_price=price, level=0.8, data_kind="csv",
        data_source="/x.csv", adjusted=True, date_format=None,
        steps=tuple(ledger.Step(i, d, f, lo, hi) for i, (d, f, lo, hi) in enumerate(steps, start=1)),
    )  # fmt: skip


EXAMPLE = [
    recorded("2020-01-06", 100.0, [("2020-01-07", 101.0, 99.0, 103.0), ("2020-01-08", 99.5, 98.0, 104.0)]),
    recorded("2020-01-08", 101.0, [("2020-01-09", 102.0, 100.0, 103.0), ("2020-01-10", 102.0, 97.0, 105.0)]),
    recorded("2020-01-10", 103.0, [("2020-01-13", 104.0, 100.0, 106.0), ("2020-01-14", 105.0, 100.0, 110.0)]),
]


def test_worked_example_by_hand():
    """Errors of the matured forecasts' steps: -1, -1.5 (A), -2, -1 (B); naive: -2, -1, -3, -2; C is pending
    (2020-01-14 has no price yet)."""
    t = score(EXAMPLE, PRICES)
    assert (t.forecasts, t.matured, t.pending, t.steps) == (3, 2, 1, 4)
    m = t.metrics
    assert m["forecast"].rmse == pytest.approx(math.sqrt((1 + 2.25 + 4 + 1) / 4))
    assert m["naive"].rmse == pytest.approx(math.sqrt((4 + 1 + 9 + 4) / 4))
    assert m["one_step"].rmse == pytest.approx(math.sqrt((1 + 4) / 2))
    assert m["persistence"].rmse == pytest.approx(math.sqrt((4 + 9) / 2))
    assert m["forecast"].interval_coverage == 0.75  # 104 is above B's first band (100..103)
    assert m["forecast"].direction_accuracy == 0.75  # A's 99.5 said down from 100; the price rose to 101
    assert m["always_up"].direction_accuracy == 1.0
    # One observation per forecast: d_A = (1 + 2.25) / 2 - (4 + 1) / 2 = -0.875, d_B = 2.5 - 6.5 = -4; no overlap.
    # DM = mean / sqrt(gamma_0 / n) = -2.4375 / sqrt(1.5625**2 / 2), HLN factor sqrt(0.5); t(1) is Cauchy.
    statistic = -2.4375 / math.sqrt(1.5625**2 / 2) * math.sqrt(0.5)
    naive = t.comparisons[0]
    assert naive.test.statistic == pytest.approx(statistic)
    assert naive.test.p_value == pytest.approx(1 - 2 / math.pi * math.atan(abs(statistic)))
    assert (naive.test.n, naive.test.lags, naive.test.unit) == (2, 0, "forecast")
    assert "2 forecasts from 2020-01-06 to 2020-01-08" in naive.line() and "DM p = 0.36, 2 forecasts" in naive.line()


def test_horizon_scores_the_first_steps_only():
    t = score(EXAMPLE, PRICES, horizon=1)  # C's first day has passed: with one step it has matured
    assert (t.matured, t.pending, t.steps) == (3, 0, 3)
    assert t.metrics["forecast"].rmse == pytest.approx(math.sqrt((1 + 4 + 25) / 3))


def test_overlapping_paths_get_lags():
    days = [f"2020-02-{d:02d}" for d in range(3, 8)]
    table = pd.DataFrame({"n": [0, 0, 0, 1, 1, 1, 2, 2, 2], "date": [*days[0:3], *days[1:4], *days[2:5]]})
    assert _overlap(table) == 2  # daily origins, 3-day paths: each overlaps the next two
    assert _overlap(table[table["n"] != 1].replace({"n": {2: 1}})) == 1


def test_nothing_recorded_says_how_to_start_and_unknown_symbols_exit_66(home):
    done = runner.invoke(app, ["track"])
    assert done.exit_code == 0 and "no forecast is recorded yet" in done.output and "stockrnn predict" in done.output
    assert json.loads(runner.invoke(app, ["track", "--json"]).output)["tracks"] == []
    ledger.record(EXAMPLE[0])
    unknown = runner.invoke(app, ["track", "ZZZ"])
    assert unknown.exit_code == 66 and "ZZZ" in unknown.output and "AAA" in unknown.output
    assert runner.invoke(app, ["track", "--horizon", "0"]).exit_code == 2
    assert runner.invoke(app, ["track", "--since", "2020-13-45"]).exit_code == 2


def test_a_missing_price_file_exits_66_naming_it(home):
    ledger.record(EXAMPLE[0])
    done = runner.invoke(app, ["track", "AAA", "--offline"])
    assert done.exit_code == 66 and "/x.csv" in done.output


def independent(db_file, prices: pd.Series) -> dict[tuple[str, str], dict]:
    """The track numbers from the raw ledger rows and the actual prices, by plain numpy (not stockrnn.track)."""
    with sqlite3.connect(db_file) as db:
        heads = db.execute("SELECT id, version, origin, origin_price, created FROM forecasts").fetchall()
        steps = db.execute("SELECT forecast_id, step, date, forecast, lower, upper FROM steps").fetchall()
    last = f"{prices.index[-1]:%Y-%m-%d}"
    closes = {f"{d:%Y-%m-%d}": v for d, v in prices.items()}
    by_id = {h[0]: [s for s in steps if s[0] == h[0]] for h in heads}
    groups: dict[str, list] = {}
    for h in heads:
        groups.setdefault(h[1], []).append(h)
    first: dict[str, tuple] = {}
    for h in sorted(heads, key=lambda h: h[4]):
        first.setdefault(h[2], h)
    if len(groups) > 1:
        groups[ALL] = list(first.values())
    result = {}
    for version, members in groups.items():
        members = sorted(members, key=lambda h: h[2])
        matured = [h for h in members if max(s[2] for s in by_id[h[0]]) <= last]
        if not matured:
            result[version] = {"forecasts": len(members), "matured": 0, "steps": 0}
            continue
        a, f, o, lo, hi, n, step = [], [], [], [], [], [], []
        for k, h in enumerate(matured):
            for s in sorted(by_id[h[0]], key=lambda s: s[1]):
                a.append(closes[s[2]]), f.append(s[3]), o.append(h[3]), lo.append(s[4]), hi.append(s[5])
                n.append(k), step.append(s[1])
        a, f, o, lo, hi, n, step = map(np.array, (a, f, o, lo, hi, n, step))
        d = [np.mean((f[n == k] - a[n == k]) ** 2 - (o[n == k] - a[n == k]) ** 2) for k in range(len(matured))]
        firsts = [min(s[2] for s in by_id[h[0]]) for h in matured]
        lasts = [max(s[2] for s in by_id[h[0]]) for h in matured]
        lags = max(sum(fst <= lasts[i] for fst in firsts[i + 1 :]) for i in range(len(matured)))
        d = np.array(d)
        gamma = [np.sum((d[k:] - d.mean()) * (d[: len(d) - k] - d.mean())) / len(d) for k in range(lags + 1)]
        h_ = lags + 1
        dm = d.mean() / math.sqrt((gamma[0] + 2 * sum(gamma[1:])) / len(d))
        dm *= math.sqrt((len(d) + 1 - 2 * h_ + h_ * (h_ - 1) / len(d)) / len(d))
        result[version] = {
            "forecasts": len(members), "matured": len(matured), "steps": len(a),
            "rmse": math.sqrt(np.mean((f - a) ** 2)), "naive": math.sqrt(np.mean((o - a) ** 2)),
            "first": math.sqrt(np.mean((f[step == 1] - a[step == 1]) ** 2)),
            "persistence": math.sqrt(np.mean((o[step == 1] - a[step == 1]) ** 2)),
            "coverage": np.mean((lo <= a) & (a <= hi)), "hit": np.mean(np.sign(f - o) == np.sign(a - o)),
            "up": np.mean(a > o), "p": 2 * stats.t.sf(abs(dm), df=len(d) - 1),
        }  # fmt: skip
    return result


@pytest.mark.slow
def test_time_travel_a_year_month_by_month(home, tmp_path):
    """The S&P 500 fed to the tool one month at a time through 2017 (retrain + predict after each month, as cron
    would): after 12 months, track's numbers equal an independent computation from the ledger's rows."""
    frame = pd.read_csv(SP500)
    days = pd.to_datetime(frame["Date"])
    frame = frame[days >= "2015-01-01"]
    days = days[days >= "2015-01-01"]
    walk = tmp_path / "walk.csv"
    month_ends = days.groupby(days.dt.to_period("M")).max()
    ends = [month_ends[pd.Period("2016-12", "M") + k] for k in range(13)]
    for number, end in enumerate(ends):
        frame[days <= end].to_csv(walk, index=False)
        if number == 0:
            done = runner.invoke(app, ["train", "--csv", str(walk), "--symbol", "^GSPC", *tiny_args(epochs=1)])
        else:
            done = runner.invoke(app, ["retrain", "^GSPC", "--jobs", "1", "--margin", "0.05", "--holdout", "10"])
        assert done.exit_code == 0, done.output
        done = runner.invoke(app, ["predict", "^GSPC"])
        assert done.exit_code == 0, done.output
    made = [(e.origin, e.made_by) for e in ledger.read()]
    assert made[0] == (f"{ends[0]:%Y-%m-%d}", "predict")  # after train; from then on retrain records the champion's
    assert made[1:] == [(f"{end:%Y-%m-%d}", "retrain") for end in ends[1:]]  # and predict's same forecast is not kept
    report = json.loads(runner.invoke(app, ["track", "--json", "--offline"]).output)
    closes = frame.set_index(pd.DatetimeIndex(days))["Close"].loc[: ends[-1]]  # what the walk's file holds
    expected = independent(home / ledger.FILE, closes)
    assert {t["version"] for t in report["tracks"]} == set(expected)
    assert sum(t["forecasts"] for t in report["tracks"] if t["version"] != ALL) == 13  # one per origin, no copies
    for t in report["tracks"]:
        e, m = expected[t["version"]], t["metrics"]
        assert (t["forecasts"], t["matured"], t["steps"]) == (e["forecasts"], e["matured"], e["steps"])
        if not e["matured"]:
            continue
        assert m["forecast"]["rmse"] == pytest.approx(e["rmse"])
        assert m["naive"]["rmse"] == pytest.approx(e["naive"])
        assert m["one_step"]["rmse"] == pytest.approx(e["first"])
        assert m["persistence"]["rmse"] == pytest.approx(e["persistence"])
        assert m["forecast"]["interval_coverage"] == pytest.approx(e["coverage"])
        assert m["forecast"]["direction_accuracy"] == pytest.approx(e["hit"])
        assert m["always_up"]["direction_accuracy"] == pytest.approx(e["up"])
        if e["matured"] > 2:
            assert t["comparisons"][0]["p_value"] == pytest.approx(e["p"], abs=1e-4)
    whole = next(t for t in report["tracks"] if t["version"] in (ALL, "v1") and t["forecasts"] == 13)
    assert whole["matured"] >= 10 and whole["pending"] == 13 - whole["matured"] >= 1  # December's is pending


def test_a_store_symbols_record_is_scored_from_the_price_store_and_plotted(home, tmp_path):
    from stockrnn import pricestore

    frame = pd.DataFrame({"close": PRICES.to_numpy()}, index=PRICES.index.rename("date"))
    pricestore.write(home, "AAA", True, frame, "test", (None, None))
    for entry in EXAMPLE:
        ledger.record(dataclasses.replace(entry, data_kind="store", data_source="store AAA (adjusted)"))
    out = tmp_path / "track.png"
    done = runner.invoke(app, ["track", "AAA", "--offline", "--json", "--plot", str(out)])
    assert done.exit_code == 0, done.output
    [t] = json.loads(done.stdout)["tracks"]
    assert (t["version"], t["matured"], t["pending"], t["steps"]) == ("v1", 2, 1, 4)
    assert t["metrics"]["forecast"]["rmse"] == pytest.approx(score(EXAMPLE, PRICES).metrics["forecast"].rmse)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = runner.invoke(app, ["track", "--offline"])
    assert table.exit_code == 0 and "AAA" in table.output and "v1" in table.output
    assert "verdict: no significant difference between the recorded forecasts and the naive forecast" in table.output


def test_a_direction_models_record_is_scored_by_its_probabilities():
    def chance(origin: str, price: float, day: str, p: float) -> ledger.RecordedForecast:
        e = recorded(origin, price, [])
        return dataclasses.replace(e, target="direction", level=None, steps=(ledger.Step(2, day, None, p_up=p),))

    entries = [
        chance("2020-01-06", 100.0, "2020-01-08", 0.8), chance("2020-01-07", 102.0, "2020-01-09", 0.3),
        chance("2020-01-09", 104.0, "2020-01-13", 0.6), chance("2020-01-10", 103.0, "2020-01-14", 0.5),
    ]  # fmt: skip
    t = score(entries, PRICES)
    assert (t.matured, t.pending, t.steps) == (3, 1, 3)  # 101 > 100 up, 104 > 102 up, 99 < 104 down
    assert t.metrics["p_up"].brier == pytest.approx((0.2**2 + 0.7**2 + 0.6**2) / 3)
    assert t.metrics["p_up"].accuracy == pytest.approx(1 / 3) and t.metrics["always_up"].direction_accuracy == 2 / 3
    assert "forecast" not in t.metrics and t.comparisons == []


def test_recorded_signals_in_money_by_hand(home, write_csv):
    """Signals at the closes of 01-06 (LONG), 01-08 (FLAT) and 01-09 (LONG), 10 bps a side, filled at the next close.
    Held into each day (decided two closes before) and after its fill (decided the close before):
      01-07  before 0, after 1: return 0, cost 1 side                  -> -0.001
      01-08  before 1, after 1: 101/102 - 1
      01-09  before 1, after 0 (the FLAT of 01-08 filled): 104/101 - 1, cost 1 side
      01-10  before 0, after 1: return 0, cost 1 side                  -> -0.001
      01-13  before 1, after 1: 99/103 - 1
    Buy-and-hold from the same first fill: -0.001, 101/102 - 1, 104/101 - 1, 103/104 - 1, 99/103 - 1."""
    from stockrnn.record import RecordedSignal

    csv = write_csv("aaa.csv", "Date,Close\n" + "\n".join(f"{d:%Y-%m-%d},{p}" for d, p in PRICES.items()))
    before = runner.invoke(app, ["track", "--json"])  # nothing recorded: as before
    for origin, position in (("2020-01-06", 1.0), ("2020-01-08", 0.0), ("2020-01-09", 1.0)):
        price = float(PRICES[origin])
        forecast = dataclasses.replace(
            recorded(origin, price, [("2020-01-14", price, None, None)]), target="price", data_source=str(csv)
        )
        signal = RecordedSignal(
            symbol="AAA", version="v1", target="price", origin=origin, created=f"{origin}T22:00:00+00:00",
            position=position, score=None, lower=None, upper=None, strategy="long-flat", threshold=0.002,
            cost_bps=10.0, fill="close", column_name="close", data_kind="csv", data_source=str(csv), adjusted=True,
        )  # fmt: skip
        assert ledger.record_signal(forecast, signal)
    result = runner.invoke(app, ["track", "--json"])
    assert result.exit_code == 0, result.output
    (money,) = json.loads(result.stdout)["money"]
    strategy = [-0.001, 101 / 102 - 1, 104 / 101 - 1 - 0.001, -0.001, 99 / 103 - 1]
    held = [-0.001, 101 / 102 - 1, 104 / 101 - 1, 103 / 104 - 1, 99 / 103 - 1]
    assert (money["signals"], money["days"], money["first_origin"], money["last_origin"]) == (
        3, 5, "2020-01-06", "2020-01-09")  # fmt: skip
    assert money["performance"]["total_return"] == pytest.approx(np.prod(1 + np.array(strategy)) - 1)
    assert money["buy_and_hold"]["total_return"] == pytest.approx(np.prod(1 + np.array(held)) - 1)
    assert money["performance"]["costs"] == pytest.approx(0.003) and money["performance"]["trades"] == 3
    assert money["rule"] == "long-flat at 0.002, 10 bps, close fills"
    assert money["test"]["reason"] == "fewer than 20 days" and money["test"]["p_value"] is None
    assert money["verdict"].startswith("verdict, AAA long-flat at 0.002, 10 bps, close fills: not tested against ")
    assert json.loads(before.stdout) == {"tracks": [], "methods": json.loads(result.stdout)["methods"]}
    table = runner.invoke(app, ["track", "AAA"])
    assert table.exit_code == 0
    assert "in money: the signals" in table.stdout and table.stdout.count("│ AAA ") == 2  # forecasts, money
    assert "verdict, AAA long-flat at 0.002, 10 bps, close fills: not tested" in table.stdout.replace("\n", " ")


def test_without_signals_track_prints_what_it_printed_before(home, write_csv):
    csv = write_csv("aaa.csv", "Date,Close\n" + "\n".join(f"{d:%Y-%m-%d},{p}" for d, p in PRICES.items()))
    for e in EXAMPLE:
        ledger.record(dataclasses.replace(e, data_source=str(csv)))
    result = runner.invoke(app, ["track", "--json"])
    assert result.exit_code == 0 and "money" not in json.loads(result.stdout)
    table = runner.invoke(app, ["track"])
    assert "AAA" in table.stdout and "in money" not in table.stdout and "long-flat" not in table.stdout


def test_two_global_models_signals_on_one_symbol_are_kept_apart_and_the_table_fits_80_columns(
    home, write_csv, monkeypatch
):
    """GA's signals go long on 01-06 and stay; GB's stay flat: merged by symbol, the first signal of each origin
    (GA's) would stand for both. Each model's forecasts and signals are their own rows, its whole record too."""
    from stockrnn.cli import common
    from stockrnn.record import RecordedSignal

    csv = write_csv("aaa.csv", "Date,Close\n" + "\n".join(f"{d:%Y-%m-%d},{p}" for d, p in PRICES.items()))
    for model, position in (("GA", 1.0), ("GB", 0.0)):
        for origin, version in (("2020-01-06", "v1"), ("2020-01-08", "v2")):
            price = float(PRICES[origin])
            forecast = dataclasses.replace(
                recorded(origin, price, [("2020-01-09", price, None, None)], version=f"{model}:{version}"),
                target="price", data_source=str(csv), fingerprint=version * 6,
            )  # fmt: skip
            signal = RecordedSignal(
                symbol="AAA", version=f"{model}:{version}", target="price", origin=origin,
                created=f"{origin}T22:00:00+00:00", position=position, score=None, lower=None, upper=None,
                strategy="long-short", threshold=0.0015, cost_bps=12.5, fill="close", column_name="close",
                data_kind="csv", data_source=str(csv), adjusted=True,
            )  # fmt: skip
            assert ledger.record_signal(forecast, signal)
    report = json.loads(runner.invoke(app, ["track", "--json"]).stdout)
    assert [(t["version"], t["forecasts"]) for t in report["tracks"]] == [
        ("GA:all", 2), ("GA:v1", 1), ("GA:v2", 1), ("GB:all", 2), ("GB:v1", 1), ("GB:v2", 1)
    ]  # fmt: skip
    money = {m["model"]: m for m in report["money"]}
    assert set(money) == {"GA:v1..v2", "GB:v1..v2"} and money["GB:v1..v2"]["performance"]["trades"] == 0
    assert money["GA:v1..v2"]["performance"]["trades"] == 1 and money["GA:v1..v2"]["signals"] == 2
    monkeypatch.setattr(common.out, "_width", 80)
    table = runner.invoke(app, ["track"]).stdout
    rows = [line for line in table.splitlines() if line[:1] in "┏┃│└┡"]
    assert rows and max(len(line) for line in rows) <= 80 and "…" not in table
    assert "│ AAA    │ GA:v1..v2 │ 1" in table and "│ AAA    │ GB:v1..v2 │ 1" in table
    assert "rule 1: long-short at 0.0015, 12.5 bps, close fills" in table
    assert "verdict, AAA (GB:v1..v2) long-short" in table.replace("\n", " ")
