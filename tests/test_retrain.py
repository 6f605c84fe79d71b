"""Cron-grade retraining: the promotion rule, watchlists, locks, pruning, and faults that must never lose a model."""

import dataclasses
import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import registry
from stockrnn.app.nightly import commit, prepare, retrain
from stockrnn.app.training import train_prices as train
from stockrnn.cli import app
from stockrnn.contest import Outcome, champion_age, compute, decide, exit_code
from stockrnn.errors import DataError, TemporaryError, UsageError
from stockrnn.schedule import crontab_line
from stockrnn.significance import Comparison, DMTest
from stockrnn.validate import load_csv
from stockrnn.watchlist import Entry, read_watchlist

from .conftest import price_frame, sine_prices, tiny_config, tiny_options

runner = CliRunner()


def write_prices(path: Path, rows: int) -> Path:
    price_frame(sine_prices(rows, noise=0.3)).to_csv(path, index=False)
    return path


@pytest.fixture
def champion(tmp_path, home) -> Path:
    """WAVE trained (v1, champion) on the first 300 rows of a CSV; the CSV then gains 30 new rows."""
    csv = write_prices(tmp_path / "wave.csv", 300)
    train(load_csv(csv), "WAVE", tiny_config(epochs=3))
    write_prices(csv, 330)
    return csv


def fingerprint(symbol: str) -> dict[str, str]:
    """SHA-256 of the champion's files and of the pointers: what must survive any fault byte for byte."""
    folder = registry.models_dir(symbol)
    files = [folder / "current", folder / "champions.json", *sorted((folder / registry.champion(symbol)).iterdir())]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def duel(challenger: float, champion: float, p: float | None, reason: str | None = None) -> Comparison:
    """The challenger against the champion on a 21-day holdout, with the DM test's p-value."""
    return Comparison(
        "the champion", "the holdout", challenger, champion, DMTest(None, p, 21, 0, reason), "the challenger"
    )


RULE = (
    "rule: a newer challenger is promoted unless the champion is significantly better (DM, 5%); "
    "a champion older than 126 trading days gives way"
)


def test_promotion_rule():
    # the champion significantly better on the holdout: kept
    assert decide(11.0, 10.0, None, None, "rmse", duel(11.0, 10.0, 0.012), age=42) == (
        False, f"the champion is significantly better (challenger RMSE 11, champion 10; significant: DM p = 0.01, "
        f"21 days); {RULE}"
    )  # fmt: skip
    # not significantly different, either way: the challenger has seen the newer days
    assert decide(9.0, 10.0, None, None, "rmse", duel(9.0, 10.0, 0.412), age=42) == (
        True, f"no significant difference, the newer data decides (challenger RMSE 9, champion 10; not significant: "
        f"DM p = 0.41, 21 days); {RULE}"
    )  # fmt: skip
    assert decide(10.4, 10.0, None, None, "rmse", duel(10.4, 10.0, 0.3), age=42)[0] is True  # worse, not significantly
    assert decide(10.0, 10.0, None, None, "rmse", duel(10.0, 10.0, 1.0), age=42)[0] is True  # a tie: the newer data
    assert decide(10.4, 10.0, None, None)[0] is True  # untested: nothing says the champion is better
    untestable = duel(10.4, 10.0, None, "1 day: too few to test")
    assert decide(10.4, 10.0, None, None, "rmse", untestable)[1].startswith(
        "not tested, the newer data decides (challenger RMSE 10.4, champion 10; not tested: too few days (n=21))"
    )
    # significantly better: promoted
    assert decide(8.0, 10.0, None, None, "rmse", duel(8.0, 10.0, 0.003), age=42) == (
        True, f"the challenger is significantly better (challenger RMSE 8, champion 10; significant: DM p = 0.00, "
        f"21 days); {RULE}"
    )  # fmt: skip
    # no champion: the first model, or one whose files cannot be used
    assert decide(50.0, None, None, None) == (True, "first model")
    assert decide(50.0, None, None, "checksum") == (True, "no usable champion (checksum)")
    # too old: promoted even against a significantly better champion; at the limit it still defends its place
    assert decide(11.0, 10.0, None, None, "rmse", duel(11.0, 10.0, 0.012), age=127) == (
        True, f"the champion is 127 trading days old, over 126 (challenger RMSE 11, champion 10; significant: "
        f"DM p = 0.01, 21 days); {RULE}"
    )  # fmt: skip
    assert decide(11.0, 10.0, None, None, "rmse", duel(11.0, 10.0, 0.012), age=126)[0] is False
    assert decide(11.0, 10.0, None, None, "rmse", duel(11.0, 10.0, 0.012), age=5000, max_age=0)[0] is False  # no limit
    assert decide(11.0, 10.0, None, None, "rmse", duel(11.0, 10.0, 0.012), age=64, max_age=63)[0] is True
    # Brier for probabilities: the same rule on the target's metric
    assert decide(0.26, 0.2, None, None, "brier", duel(0.26, 0.2, 0.01), age=10)[1].startswith(
        "the champion is significantly better (challenger BRIER 0.26, champion 0.2;"
    )


def test_margin_is_the_older_rule_still_obeyed():
    """A crontab line that passes --margin keeps its meaning: beat the champion by more than that fraction."""
    margin_rule = "rule: --margin 5%: the challenger must beat the champion by more than 5%; a champion older than"
    promoted = decide(9.0, 10.0, 0.05, None, "rmse", duel(9.0, 10.0, 0.412))
    assert promoted[0] is True and promoted[1].startswith(
        f"challenger RMSE 9 < champion 10 - 5% (not significant: DM p = 0.41, 21 days); {margin_rule}"
    )
    assert decide(9.6, 10.0, 0.05, None)[0] is False  # better, but not by the margin
    assert decide(10.0, 10.0, 0.0, None)[0] is False  # a tie keeps the champion
    assert decide(9.6, 10.0, 0.05, None, age=127)[0] is True  # but no champion outlives --max-age
    assert decide(50.0, None, 0.05, None) == (True, "first model")


def test_exit_codes_say_all_some_or_none():
    ok, locked, bad = Outcome("A", "promoted", ""), Outcome("B", "failed", "", 75), Outcome("C", "failed", "", 65)
    assert exit_code([ok, Outcome("D", "up to date", "")]) == 0
    assert exit_code([ok, locked]) == 1
    assert exit_code([locked, Outcome("E", "failed", "", 75)]) == 75
    assert exit_code([locked, bad]) == 3


def test_watchlist_parsing(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(
        "# nightly\nAAPL\n^gspc epochs=5 layers=2   # small\n\nSP csv=data/sp.csv cell=gru\nBBB csv=l.csv ticker=BBB\n"
    )
    entries = read_watchlist(path)
    assert entries == [
        Entry("AAPL"),
        Entry("^GSPC", None, {"epochs": 5, "layers": 2}),
        Entry("SP", str((tmp_path / "data" / "sp.csv").resolve()), {"cell": "gru"}),
        Entry("BBB", str((tmp_path / "l.csv").resolve()), ticker="BBB"),  # one ticker of a file of several
    ]
    path.write_text("BBB ticker=BBB\n")
    with pytest.raises(UsageError, match="line 1: ticker= picks one ticker's prices out of a csv= file"):
        read_watchlist(path)
    path.write_text("AAPL\nMSFT epochs=many\n")
    with pytest.raises(UsageError, match="line 2: epochs='many' is not a valid value"):
        read_watchlist(path)
    path.write_text("AAPL\nMS/FT\n")
    with pytest.raises(UsageError, match="line 2: 'MS/FT' is not a valid symbol"):
        read_watchlist(path)
    path.write_text("AAPL cell=cnn\n")
    with pytest.raises(UsageError, match="line 1: --cell must be one of"):
        read_watchlist(path)


def test_no_new_data_trains_nothing(champion):
    write_prices(champion, 300)  # back to exactly the data v1 saw
    outcome = retrain(Entry("WAVE"))
    assert (outcome.status, outcome.champion, outcome.challenger) == ("up to date", "v1", None)
    assert [v["version"] for v in registry.model_versions("WAVE")] == ["v1"]


def test_a_champion_trained_to_an_earlier_day_on_the_same_data_is_not_up_to_date(tmp_path, home):
    # train --train-end on a file that reaches further: the file is the same, but a challenger would see 100 more days
    csv = write_prices(tmp_path / "early.csv", 300)
    frame = load_csv(csv)
    train(frame, "EARLY", tiny_config(epochs=2, train_end=f"{frame.frame.index[199]:%Y-%m-%d}"))
    outcome = retrain(Entry("EARLY", csv=str(csv)))
    assert outcome.status != "up to date" and outcome.challenger == "v2", outcome


def test_challenger_that_is_not_better_by_the_margin_is_kept_out(champion):
    before = fingerprint("WAVE")
    outcome = retrain(Entry("WAVE", options={"epochs": 2}), margin=0.99)
    assert outcome.status == "kept champion" and outcome.challenger == "v2" and outcome.champion == "v1"
    assert outcome.holdout == {"start": f"{load_csv(champion).frame.index[-21]:%Y-%m-%d}", "end": "2016-04-07",
                               "days": 21}  # fmt: skip
    assert set(outcome.metrics) == {"challenger", "champion"}
    for contestant in outcome.metrics.values():  # each scored as train scores its validation tail
        assert set(contestant) == {"one_step", "persistence"}
    assert outcome.metrics["challenger"]["persistence"] == outcome.metrics["champion"]["persistence"]  # same days
    comparison = outcome.comparison.to_dict()  # the challenger against the champion, day by day on the holdout
    assert (comparison["model"], comparison["baseline"], comparison["n"]) == ("the challenger", "the champion", 21)
    assert comparison["model_rmse"] == pytest.approx(outcome.metrics["challenger"]["one_step"].rmse, rel=1e-5)
    assert comparison["baseline_rmse"] == pytest.approx(outcome.metrics["champion"]["one_step"].rmse, rel=1e-5)
    assert f"DM p = {comparison['p_value']:.2f}, 21 days)" in outcome.message
    assert fingerprint("WAVE") == before
    manifest = registry.load_version("WAVE", "v2").manifest
    assert manifest.config.train_end == f"{load_csv(champion).frame.index[-22]:%Y-%m-%d}"  # never the holdout


@pytest.mark.slow
def test_better_challenger_is_promoted_and_recorded(champion):
    outcome = retrain(Entry("WAVE", options={"epochs": 12, "learning_rate": 0.01, "units": 16}), margin=0.0)
    challenger, champ = (outcome.metrics[name]["one_step"].rmse for name in ("challenger", "champion"))
    assert outcome.status == ("promoted" if challenger < champ else "kept champion")
    assert outcome.status == "promoted"  # 12 epochs at a higher rate beat the 3-epoch champion on a sine
    assert registry.champion("WAVE") == "v2"
    assert [c["version"] for c in registry.champions("WAVE")] == ["v1", "v2"]


def test_compute_is_pure_and_only_commit_writes(champion, home, tmp_path, monkeypatch):
    with registry.lock("WAVE"):
        contest = prepare(Entry("WAVE", options={"epochs": 1}), force=True)
    contest = pickle.loads(pickle.dumps(contest))  # what a worker process receives
    elsewhere = tmp_path / "worker-home"
    monkeypatch.setenv("STOCKRNN_HOME", str(elsewhere))  # a worker on another machine has no such folder
    computed = compute(contest)
    assert not elsewhere.exists()  # the worker read and wrote nothing there
    assert computed.model[:2] == b"PK" and computed.manifest.config.train_end == contest.config.train_end
    assert set(computed.metrics["challenger"]) == set(computed.metrics["champion"]) == {"one_step", "persistence"}
    monkeypatch.setenv("STOCKRNN_HOME", str(home))
    assert [v["version"] for v in registry.model_versions("WAVE")] == ["v1"]  # nothing stored until the commit
    outcome = commit(contest, computed, margin=0.99)
    assert (outcome.status, outcome.challenger, outcome.champion) == ("kept champion", "v2", "v1")
    assert registry.load_version("WAVE", "v2").model_path.read_bytes() == computed.model


def test_commit_applies_the_rule_to_the_computed_contest(champion):
    """The same computed contest under the rule: a significantly better champion keeps its place until it is older
    than --max-age (its age: the data's trading days after its training ended)."""
    with registry.lock("WAVE"):
        contest = prepare(Entry("WAVE", options={"epochs": 1}), force=True)
    computed = compute(contest)
    age = champion_age(contest)
    trained_to = registry.load_current("WAVE").manifest.data.train_end
    assert age == sum(day > pd.Timestamp(trained_to) for day in contest.prices.frame.index) == 30  # the new rows
    lost = dataclasses.replace(computed, comparison=duel(11.0, 10.0, 0.01))  # the champion significantly better
    with registry.lock("WAVE"):
        kept = commit(contest, lost, max_age=age)
    assert (kept.status, kept.champion) == ("kept champion", "v1")
    assert kept.message.startswith("the champion is significantly better")
    assert "rule: a newer challenger" in kept.message
    with registry.lock("WAVE"):
        old = commit(contest, lost, max_age=age - 1)
    assert (old.status, old.champion) == ("promoted", "v3")
    assert old.message.startswith(f"the champion is {age} trading days old, over {age - 1}")


def test_retrain_states_the_rule_and_obeys_an_old_margin(champion, caplog):
    result = runner.invoke(app, ["retrain", "WAVE", "--force", "--epochs", "1", "--margin", "0.99"])
    assert result.exit_code == 0, result.output
    assert "WAVE: challenger RMSE" in result.output and "kept champion" in result.output
    assert "rule: --margin 99%: the challenger must beat the champion by more than 99%" in result.output
    said = result.output + caplog.text
    assert "--margin 0.99: the older promotion rule (beat the champion by 99%), obeyed" in said
    caplog.clear()
    result = runner.invoke(app, ["retrain", "WAVE", "--force", "--epochs", "1", "--max-age", "0"])
    assert result.exit_code == 0, result.output
    assert "rule: a newer challenger is promoted unless the champion is significantly better (DM, 5%)" in result.output
    assert "--margin" not in result.output + caplog.text and "older than" not in result.output  # 0: no age limit
    result = runner.invoke(app, ["retrain", "WAVE", "--max-age", "-1"])
    assert result.exit_code == 2 and "--max-age must be in the range" in result.output


@pytest.mark.slow
def test_pruning_never_deletes_the_champion(champion):
    for _ in range(3):
        retrain(Entry("WAVE", options={"epochs": 1}), force=True, keep=2, margin=0.99)
    names = [v["version"] for v in registry.model_versions("WAVE")]
    assert names == ["v1", "v3", "v4"] and registry.champion("WAVE") == "v1"
    assert registry.load_current("WAVE").manifest.version == "v1"


def test_tampered_champion_is_refused_then_replaced(champion):
    model = registry.models_dir("WAVE") / "v1" / "model.keras"
    model.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    result = runner.invoke(app, ["predict", "WAVE", "--days", "2"])
    assert result.exit_code == 65 and "does not match its checksum" in result.stderr
    outcome = retrain(Entry("WAVE"))
    assert outcome.status == "promoted" and outcome.message.startswith("no usable champion (")


def test_locked_symbol_exits_75_at_once(champion):
    with registry.lock("WAVE"):
        with pytest.raises(TemporaryError, match="WAVE is locked by another run") as caught:
            retrain(Entry("WAVE"), force=True)
        result = runner.invoke(app, ["retrain", "WAVE", "--force"])
    assert caught.value.exit_code == 75
    assert result.exit_code == 75
    assert str(registry.models_dir("WAVE") / ".lock") in " ".join(result.stderr.split())


def test_watchlist_with_a_bad_symbol_finishes_the_others(champion, tmp_path):
    other = write_prices(tmp_path / "other.csv", 200)
    watchlist = tmp_path / "watch.txt"
    watchlist.write_text(f"WAVE\nOTHER csv={other} {tiny_options(epochs=3)}\nGONE csv={tmp_path}/no.csv\n")
    result = runner.invoke(app, ["retrain", "--watchlist", str(watchlist), "--jobs", "2", "--json"])  # joblib workers
    assert result.exit_code == 1, result.output  # some succeeded, some failed
    outcomes = {o["symbol"]: o for o in json.loads(result.stdout)["outcomes"]}
    assert outcomes["WAVE"]["status"] in ("promoted", "kept champion")
    assert outcomes["OTHER"]["status"] == "promoted" and outcomes["OTHER"]["message"] == "first model"
    assert outcomes["GONE"]["status"] == "failed" and outcomes["GONE"]["exit_code"] == 66
    log = (registry.models_dir("GONE") / "retrains.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["status"] == "failed"  # failures are recorded too


def test_models_command_lists_promotes_and_rolls_back(champion):
    retrain(Entry("WAVE", options={"epochs": 1}), force=True, margin=0.99)
    listing = json.loads(runner.invoke(app, ["models", "WAVE", "--json"]).stdout)["WAVE"]
    assert [(v["version"], v["champion"]) for v in listing] == [("v1", True), ("v2", False)]
    assert listing[0]["train_end"] < listing[1]["train_end"]
    assert runner.invoke(app, ["models", "promote", "WAVE", "v2"]).exit_code == 0
    assert registry.champion("WAVE") == "v2"
    result = runner.invoke(app, ["models", "rollback", "WAVE"])
    assert result.exit_code == 0 and "champion is now v1" in result.stdout
    missing = runner.invoke(app, ["models", "promote", "WAVE", "v7"])
    assert missing.exit_code == 66 and "versions: v1, v2" in missing.stderr


def test_schedule_converts_the_exchange_clock():
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    line = crontab_line("18:30", "America/New_York", None, now=winter).splitlines()[1]
    assert line.startswith("30 23 * * 1-5 STOCKRNN_HOME=")
    assert f"{Path(sys.executable).parent / 'stockrnn'} retrain --all --log-file" in line
    assert crontab_line("20:00", "America/New_York", None, now=winter).splitlines()[1].startswith("0 1 * * 2-6 ")
    with pytest.raises(UsageError, match="--at '25:00' is not a time of day"):
        crontab_line("25:00", "America/New_York", None)


KILL_AT = {
    # point: (what to wrap, the line it prints before sleeping)
    "training": "stockrnn.contest.fit",
    "saving": "stockrnn.registry.sha256_file",
    "promoting": "stockrnn.registry.promote_version",
}
CHILD = """
import sys, time, importlib
point = sys.argv[1]
module_name, name = {target!r}.rsplit(".", 1)
module = importlib.import_module(module_name)
real = getattr(module, name)
def paused(*args, **kwargs):
    if point == "training":  # pause after the first real epoch, mid-way through training
        kwargs["progress"] = lambda *a: (print("paused", flush=True), time.sleep(120))
        return real(*args, **kwargs)
    print("paused", flush=True)
    time.sleep(120)
setattr(module, name, paused)
from stockrnn.cli import main
sys.argv = ["stockrnn", "retrain", "WAVE", "--force", "--margin", "0"]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_AT))
def test_sigkill_never_touches_the_champion(champion, point):
    before = fingerprint("WAVE")
    code = CHILD.format(target=KILL_AT[point])
    child = subprocess.Popen([sys.executable, "-c", code, point], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout.readline().strip() == "paused"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert fingerprint("WAVE") == before
    assert registry.load_current("WAVE").manifest.version == "v1"
    result = runner.invoke(app, ["predict", "WAVE", "--days", "2", "--json"])  # still loadable and usable
    assert result.exit_code == 0, result.output
    # The lock died with the process: the next run is not blocked, and leaves no temporary folder behind.
    assert retrain(Entry("WAVE"), force=True, margin=0.99).status == "kept champion"
    assert not list(registry.models_dir("WAVE").glob(".tmp-*"))


@pytest.mark.slow
def test_retrain_under_a_minimal_environment(champion, home, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STOCKRNN_HOME": str(home)}
    stockrnn = Path(sys.executable).parent / "stockrnn"
    log_file = tmp_path / "logs" / "retrain.log"
    result = subprocess.run(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()), str(stockrnn), "retrain", "--all", "--log-file",
         str(log_file), "--margin", "0.99"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "WAVE: training a challenger" in log_file.read_text()
    assert "\x1b[" not in result.stdout + result.stderr  # no colours without a terminal
    assert result.stderr.splitlines()[0][:4].isdigit()  # timestamped log lines


def test_a_champion_that_fails_its_checks_is_replaced_however_old_the_data(champion):
    """Cron must not call a symbol up to date while its champion cannot forecast: the challenger takes its place."""
    retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99)  # the new rows: v2 trained, v1 kept
    scaler = registry.models_dir("WAVE") / "v1" / "scaler.json"
    scaler.write_text(scaler.read_text()[:10])  # truncated: fails its checksum
    outcome = retrain(Entry("WAVE", options={"epochs": 1}))  # no new data since v2 was trained
    assert outcome.status == "promoted" and "no usable champion" in outcome.message, outcome
    assert registry.load_current("WAVE").manifest.version == outcome.champion != "v1"


def test_a_version_that_fails_its_checks_is_never_promoted_by_hand(champion):
    retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99)  # v2, kept out
    (registry.models_dir("WAVE") / "v2" / "model.keras").write_bytes(b"PK tampered")
    with pytest.raises(DataError, match="v2"):
        registry.choose_champion("WAVE", "v2")
    assert registry.champion("WAVE") == "v1"


def test_up_to_date_compares_with_the_last_version_trained_not_the_champion(champion):
    """A kept challenger is the last attempt: the next night, with no new data, nothing is trained again."""
    kept = retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99)
    assert (kept.status, kept.champion, kept.challenger) == ("kept champion", "v1", "v2")
    again = retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99)
    assert (again.status, again.champion, again.challenger) == ("up to date", "v1", None)
    assert again.message == "no new data since 2016-04-07: v2 was trained on it and kept out"
    assert [v["version"] for v in registry.model_versions("WAVE")] == ["v1", "v2"]  # no identical v3
    write_prices(champion, 331)  # a new day: a new attempt
    assert retrain(Entry("WAVE", options={"epochs": 1}), margin=0.99).challenger == "v3"


@pytest.fixture
def stored_symbol(yahoo, home):
    """SINE trained (v1) on its stored download of 300 days; then Yahoo cannot be reached."""
    from stockrnn import app
    from stockrnn.price_source import PriceSource

    from .fake_yahoo import history_frame

    days = pd.bdate_range("2023-01-02", periods=300)
    yahoo(history_frame(days, sine_prices(300, noise=0.3)))
    app.train(PriceSource("SINE"), tiny_config(epochs=1))
    yahoo(*[ConnectionError("Could not resolve host: query2.finance.yahoo.com")] * 8)
    return days


def test_stale_stored_prices_are_said_and_recorded_and_strict_refuses_them(stored_symbol, tmp_path, caplog):
    log_file = tmp_path / "night.log"
    result = runner.invoke(app, ["retrain", "SINE", "--log-file", str(log_file), "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)["outcomes"][0]
    said = f"the stored prices up to {stored_symbol[-1]:%Y-%m-%d}, downloaded 0 hours ago, stand in for them"
    assert outcome["status"] == "up to date" and said in outcome["substitute"]  # in the JSON
    assert outcome["substitute"].startswith("not today's prices of SINE: the download failed (cannot download")
    record = json.loads((registry.models_dir("SINE") / "retrains.jsonl").read_text().splitlines()[-1])
    assert record["substitute"] == outcome["substitute"]  # in the retrain record
    night = log_file.read_text()
    assert f"WARNING {outcome['substitute']} (--strict refuses them)" in night  # in the log, as a WARNING
    assert "WARNING SINE: up to date on prices that are not the ones asked for: not today's prices" in night
    assert said in " ".join(result.stderr.split())  # and on stderr
    strict = runner.invoke(app, ["retrain", "SINE", "--strict", "--log-file", str(log_file)])
    assert strict.exit_code == 69, strict.output  # the download's failure: no source
    assert "--strict refuses the stored prices up to" in " ".join(strict.stdout.split())
    assert "ERROR SINE: failed" in log_file.read_text()
    assert [v["version"] for v in registry.model_versions("SINE")] == ["v1"]


def test_every_error_line_reaches_the_log_file(tmp_path, home):
    log_file = tmp_path / "logs" / "night.log"
    result = runner.invoke(app, ["retrain", "--all", "--log-file", str(log_file)])  # no model yet
    assert result.exit_code == 66 and "no symbol to retrain: no model is trained yet" in result.stderr
    missing = runner.invoke(app, ["retrain", "--watchlist", str(tmp_path / "none.txt"), "--log-file", str(log_file)])
    assert missing.exit_code == 66
    bad = runner.invoke(app, ["retrain", "--all", f"--log-file={log_file}", "--epochs", "0"])  # checked as parsed
    assert bad.exit_code == 2
    typo = runner.invoke(app, ["retrain", "--all", "--log-file", str(log_file), "--epoch", "3"])  # Click's own
    assert typo.exit_code == 2
    lines = log_file.read_text().splitlines()
    assert [line.split(" ", 2)[1] for line in lines] == ["ERROR"] * 4
    assert lines[0].endswith(" ERROR no symbol to retrain: no model is trained yet")
    assert lines[1].endswith(f" ERROR {tmp_path / 'none.txt'}: no such watchlist file")
    assert "--epochs must be" in lines[2] and "No such option: --epoch" in lines[3]
    assert all(line[:4].isdigit() for line in lines)  # timestamped, as the log's other lines


def test_quiet_keeps_routine_lines_off_stderr_and_in_the_log(champion, tmp_path):
    log_file = tmp_path / "night.log"
    result = runner.invoke(app, ["retrain", "WAVE", "--epochs", "1", "--margin", "0.99", "--log-file",
                                 str(log_file), "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "WARNING --margin 0.99" in result.stderr  # warnings: mailed by cron
    assert " INFO " not in result.stderr and "training a challenger" not in result.stderr
    night = log_file.read_text()
    assert "INFO WAVE: training a challenger" in night and "INFO WAVE: kept champion, champion v1, new v2" in night
    assert "WARNING --margin 0.99" in night
