"""Retraining a global model (app/panel_retrain.py): members lost or added against the champion are said (a WARNING
and exit 1 for a member that no longer trains, an INFO line for one added), and "up to date" is judged as a symbol's
retrain judges it (the last attempt's data, trained up to the day before the holdout). Small generated panels, tiny
models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockrnn import app, registry
from stockrnn.app.panel_retrain import _decide
from stockrnn.cli import app as cli
from stockrnn.config import TrainConfig
from stockrnn.contest import Outcome, exit_code
from stockrnn.panel import Membership, Skipped
from stockrnn.price_source import PanelSource
from stockrnn.significance import Comparison, DMTest

from .test_panel_train import DAYS, END, TINY, write

runner = CliRunner()
EPOCHS = ["--offline", "--epochs", "2"]


@pytest.fixture
def panel_folder(tmp_path: Path) -> Path:
    """Three members up to 22 sessions before the year's end; CCC starts 40 sessions late."""
    panel = tmp_path / "panel"
    panel.mkdir()
    first = DAYS[:230]
    write(panel, "AAA", first, 50.0, 1.0)
    write(panel, "BBB", first, 20.0, 0.7)
    write(panel, "CCC", first[40:], 80.0, 1.3)
    return panel


def test_membership_against_the_champion_names_each_member_and_its_file():
    champion = {"AAA": {"source": "/p/AAA.csv.gz"}, "KO": {"source": "/p/KO.csv.gz"}, "XOM": {"source": "/p/XOM.csv"}}
    ko = Skipped("KO", "/p/KO.csv.gz", "/p/KO.csv.gz: a damaged gzip file")
    found = Membership.of(champion, ["AAA", "WFC"], (ko,))
    assert found.dropped == {"XOM": "/p/XOM.csv"} and found.left_out == (ko,) and found.added == ("WFC",)
    assert found.lost
    assert found.warnings() == [
        "KO left out of the panel (/p/KO.csv.gz): a damaged gzip file",  # the file named once
        "XOM dropped: /p/XOM.csv is no longer in the panel; its forecasts stop",
    ]
    assert found.notes() == ["members added: WFC"]
    assert found.to_json() == {
        "dropped": {"XOM": "/p/XOM.csv"},
        "left_out": [{"symbol": "KO", "where": "/p/KO.csv.gz", "why": "/p/KO.csv.gz: a damaged gzip file"}],
        "added": ["WFC"],
    }
    same = Membership.of(champion, ["AAA", "KO", "XOM"], ())
    assert not same.lost and same.warnings() == [] and same.notes() == []
    added = Membership.of(champion, ["AAA", "KO", "XOM", "WFC"], ())
    assert not added.lost and added.notes() == ["members added: WFC"]


def test_a_member_lost_makes_a_successful_retrain_exit_1_and_a_symbols_outcome_does_not():
    lost = Outcome("P3", "promoted", "", exit_code=1, membership=Membership(dropped={"XOM": "XOM.csv"}))
    fine = Outcome("AAPL", "up to date", "")
    assert exit_code([fine]) == 0 and exit_code([fine, lost]) == 1 and exit_code([lost]) == 1
    assert fine.warnings == [] and fine.to_json()["membership"] is None
    assert lost.to_json()["membership"]["dropped"] == {"XOM": "XOM.csv"}
    assert exit_code([Outcome("A", "failed", "", exit_code=75), lost]) == 1


@pytest.mark.slow
def test_retrain_says_members_left_out_dropped_and_added_and_exits_1(panel_folder, tmp_path):
    app.train_panel(PanelSource(folder=panel_folder, offline=True), "P3", TrainConfig(**{**TINY, "train_end": None}))
    # KO's case: one member's file truncated, the others with new days
    write(panel_folder, "AAA", DAYS, 50.0, 1.0)
    write(panel_folder, "CCC", DAYS[40:], 80.0, 1.3)
    bbb = panel_folder / "BBB.csv.gz"
    whole = bbb.read_bytes()
    bbb.write_bytes(whole[: len(whole) // 2])
    log = tmp_path / "retrain.log"
    result = runner.invoke(cli, ["retrain", "P3", *EPOCHS, "--holdout", "10", "--log-file", str(log)])
    assert result.exit_code == 1, result.output  # trained, but a member was left out: as train, non-zero
    warning = f"P3: WARNING: BBB left out of the panel ({bbb}): a damaged gzip file"
    assert warning in result.stdout
    assert f" WARNING P3: BBB left out of the panel ({bbb}): " in log.read_text()
    assert registry.champion("P3") in ("v1", "v2") and registry.newest_version("P3") == "v2"

    # the same data again: up to date, and still said (the member is still out)
    result = runner.invoke(cli, ["retrain", "--all", *EPOCHS, "--holdout", "10", "--json"])
    assert result.exit_code == 1, result.output
    outcome = json.loads(result.stdout)["outcomes"][0]
    assert outcome["status"] == "up to date" and outcome["exit_code"] == 1
    assert [m["symbol"] for m in outcome["membership"]["left_out"]] == ["BBB"]

    # XOM's and WFC's case: CCC's file removed, DDD's added, BBB whole again
    bbb.write_bytes(whole)
    write(panel_folder, "BBB", DAYS, 20.0, 0.7)
    ccc = panel_folder / "CCC.csv.gz"
    ccc.unlink()
    write(panel_folder, "DDD", DAYS, 30.0, 0.9)
    champion = registry.load_current("P3").manifest.data.panel["members"]
    result = runner.invoke(cli, ["retrain", "--all", *EPOCHS, "--holdout", "10"])
    assert result.exit_code == 1, result.output
    assert f"P3: WARNING: CCC dropped: {ccc} is no longer in the panel; its forecasts stop" in result.stdout
    added = ["BBB", "DDD"] if "BBB" not in champion else ["DDD"]
    assert f"P3: members added: {', '.join(added)}" in result.stdout
    recorded = [json.loads(line) for line in (registry.models_dir("P3") / "retrains.jsonl").read_text().splitlines()]
    outcome = recorded[-1]  # the retrain log keeps the membership as --json gives it
    assert outcome["status"] in ("promoted", "kept champion") and outcome["challenger"] == "v3"
    assert outcome["membership"] == {"dropped": {"CCC": str(ccc)}, "left_out": [], "added": added}
    assert champion["CCC"]["source"] == str(ccc)

    # the same data again: said again while the champion still has CCC, not once it no longer does
    result = runner.invoke(cli, ["retrain", "P3", *EPOCHS, "--holdout", "10", "--json"])
    again = json.loads(result.stdout)["outcomes"][0]
    assert again["status"] == "up to date"
    if outcome["status"] == "promoted":
        assert result.exit_code == 0 and again["membership"] == {"dropped": {}, "left_out": [], "added": []}
    else:
        assert result.exit_code == 1 and again["membership"]["dropped"] == {"CCC": str(ccc)}


@pytest.mark.slow
def test_a_global_model_trained_to_an_earlier_end_is_not_up_to_date(panel_folder):
    for symbol, level, speed in (("AAA", 50.0, 1.0), ("BBB", 20.0, 0.7)):
        write(panel_folder, symbol, DAYS, level, speed)
    write(panel_folder, "CCC", DAYS[40:], 80.0, 1.3)
    app.train_panel(PanelSource(folder=panel_folder, offline=True), "P5", TrainConfig(**TINY))  # to END, 52 days early
    assert registry.load_current("P5").manifest.data.train_end == f"{END:%Y-%m-%d}"
    result = runner.invoke(cli, ["retrain", "P5", *EPOCHS, "--json"])  # same data, no --force
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)["outcomes"][0]
    assert outcome["status"] in ("promoted", "kept champion") and outcome["challenger"] == "v2"
    assert outcome["membership"] == {"dropped": {}, "left_out": [], "added": []}
    assert registry.load_version("P5", "v2").manifest.data.train_end == f"{DAYS[-22]:%Y-%m-%d}"
    # now the last attempt (champion or kept out) has seen the data up to the day before the holdout
    result = runner.invoke(cli, ["retrain", "P5", *EPOCHS, "--json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)["outcomes"][0]
    assert again["status"] == "up to date" and registry.newest_version("P5") == "v2"
    if outcome["status"] == "kept champion":
        assert "v2 was trained on it and kept out" in again["message"]


def _versus(change: float, p: float) -> Comparison:
    """The challenger against the champion: its score `change` lower (above 0: better), its DM test's p-value."""
    return Comparison("the champion", "the holdout", 1.0 - change, 1.0, DMTest(-change, p, 30, 0),
                      model="the challenger", score="RMSE")  # fmt: skip


def test_retrains_contest_of_a_global_model_is_decided_by_the_pooled_test():
    members = {"AAA": _versus(-0.2, 0.01), "BBB": _versus(-0.2, 0.01), "CCC": _versus(0.1, 0.01)}  # 2 lost, 1 beat
    # counted, the champion is significantly better on more members: kept
    promote, said = _decide(members, None, 0, 0, "rmse")
    assert not promote and "significantly better on more members" in said
    # pooled over every member-day no difference stands out: the newer data decides
    promote, said = _decide(members, None, 0, 0, "rmse", _versus(-0.05, 0.4))
    assert promote and "pooled over the members' holdout days, the challenger: no significant difference" in said
    assert "the challenger was significantly better on 1, the champion on 2" in said  # the counts, still said
    promote, said = _decide(members, None, 0, 0, "rmse", _versus(-0.05, 0.01))  # pooled, the champion is better
    assert not promote and said.startswith("the champion is significantly better (pooled over")
    promote, _ = _decide(members, 0.04, 0, 0, "rmse", _versus(0.05, 0.3))  # --margin 4%: the pooled scores, 5% apart
    assert promote and not _decide(members, 0.06, 0, 0, "rmse", _versus(0.05, 0.3))[0]


def test_retrains_holdout_cell_of_a_global_model_gives_the_pooled_scores():
    members = Membership.of({"AAA": {"source": "AAA.csv"}}, ["AAA"], ())
    outcome = Outcome("P", "promoted", "", membership=members, comparison=_versus(0.25, 0.3), pooled_baseline=0.8)
    assert outcome.contest_cell() == "RMSE 0.75 / 1 / 0.8"  # new / champion / baseline
    assert Outcome("P", "promoted", "", membership=members, comparison=_versus(0.25, 0.3)).contest_cell() == (
        "RMSE 0.75 / 1 / -")  # fmt: skip
    assert Outcome("P", "failed", "no data", membership=members).contest_cell() == ""


@pytest.mark.slow
def test_retrain_of_a_global_model_tests_the_members_holdout_days_pooled(panel_folder):
    app.train_panel(PanelSource(folder=panel_folder, offline=True), "P6", TrainConfig(**{**TINY, "train_end": None}))
    for symbol, level, speed in (("AAA", 50.0, 1.0), ("BBB", 20.0, 0.7)):
        write(panel_folder, symbol, DAYS, level, speed)
    write(panel_folder, "CCC", DAYS[40:], 80.0, 1.3)
    result = runner.invoke(cli, ["retrain", "P6", *EPOCHS, "--holdout", "10", "--json"])
    assert result.exit_code == 0, result.output
    message = json.loads(result.stdout)["outcomes"][0]["message"]
    assert "pooled over the members' holdout days, the challenger: " in message
    assert re.search(r"the challenger: [^(]*\(DM p = \d\.\d\d, 10 days\)", message)  # one observation a day
    assert "on 3 members' holdouts the challenger was significantly better on" in message  # the counts beside it
    outcome = json.loads(result.stdout)["outcomes"][0]
    pooled = outcome["comparison"]  # the pooled test, whose scores retrain's table shows
    assert pooled["model"] == "the challenger" and pooled["baseline"] == "the champion" and pooled["n"] == 10
    assert 0 < outcome["pooled_baseline"] < 1  # persistence's RMSE of the holdout's log returns
    assert f"p = {pooled['p_value']:.2f}" in message
