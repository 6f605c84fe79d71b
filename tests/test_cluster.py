"""Retrain and backtest on a real Dask cluster (a LocalCluster of 2 worker processes, 1 thread each), not a mock:
the same registry as a local run, a killed worker or a task past its timeout fails only its symbol, an unreachable
scheduler or a worker of another version exits 69."""

import json
import os
import signal
import sys
import time

import cloudpickle
import numpy as np
import pytest
from typer.testing import CliRunner

from stockrnn import parallel, registry
from stockrnn.app import nightly as retraining
from stockrnn.cli import app
from stockrnn.contest import exit_code
from stockrnn.errors import ClusterError
from stockrnn.watchlist import Entry

from .conftest import price_frame, sine_prices, tiny_config, tiny_options

distributed = pytest.importorskip("distributed")
# One LocalCluster for the module: its tests share one xdist worker (make test runs --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cluster")]
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the saboteurs below travel to the workers as code
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
TINY = {**tiny_config().to_dict(), "epochs": 2}
real_compute_or_fail = retraining.compute_or_fail  # as the nightly run imports it from the contest


@pytest.fixture(scope="module")
def cluster():
    import dask

    # One death of a worker is enough to call its task lost (the default retries three times: slower, same answer).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0
        ) as local:
            yield local.scheduler_address


def watchlist(tmp_path) -> list[Entry]:
    entries = []
    for n, symbol in enumerate(SYMBOLS):
        csv = tmp_path / f"{symbol.lower()}.csv"
        price_frame(sine_prices(300, noise=0.3, seed=n)).to_csv(csv, index=False)
        entries.append(Entry(symbol, csv=csv, options=TINY))
    return entries


def left_behind(symbols) -> dict:
    """What a retrain leaves: per symbol the champion, the versions and each version's validation scores."""
    found = {}
    for symbol in symbols:
        names = [v["version"] for v in registry.model_versions(symbol)]
        manifests = {v: registry.load_version(symbol, v).manifest for v in names}  # files checked against checksums
        found[symbol] = (registry.champion(symbol), {v: m.metrics["one_step"].rmse for v, m in manifests.items()})
    return found


def test_a_watchlist_retrains_on_the_cluster_as_it_does_here(cluster, tmp_path, monkeypatch):
    entries = watchlist(tmp_path)
    monkeypatch.setenv("STOCKRNN_HOME", str(tmp_path / "here"))
    here = retraining.retrain_all(entries, jobs=1)
    local = left_behind(SYMBOLS)
    monkeypatch.setenv("STOCKRNN_HOME", str(tmp_path / "there"))
    seen = []
    there = retraining.retrain_all(entries, jobs=1, cluster=cluster, done=lambda *args: seen.append(args))
    assert [o.status for o in there] == [o.status for o in here] == ["promoted"] * 4
    remote = left_behind(SYMBOLS)
    for symbol in SYMBOLS:
        assert remote[symbol][0] == local[symbol][0] == "v1"
        # the same seed, the same numbers: 1 thread on the worker, the test's threads here
        assert remote[symbol][1]["v1"] == pytest.approx(local[symbol][1]["v1"], rel=1e-3), (local, remote)
    assert sorted(name for _, _, name, _ in seen) == list(SYMBOLS) and [c for c, *_ in seen] == [1, 2, 3, 4]


def kill_the_victim(contest):
    if contest.symbol == "BBB":
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    return real_compute_or_fail(contest)


def test_a_killed_worker_fails_its_symbol_by_name_and_the_others_finish(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(retraining, "compute_or_fail", kill_the_victim)
    outcomes = {o.symbol: o for o in retraining.retrain_all(watchlist(tmp_path), jobs=1, cluster=cluster)}
    lost = outcomes.pop("BBB")
    assert lost.status == "failed" and lost.exit_code == 75 and "its Dask worker died" in lost.message
    assert all(o.status == "promoted" for o in outcomes.values())
    assert registry.model_versions("BBB") == [] and registry.champion("BBB") is None  # nothing half-written
    assert exit_code([lost, *outcomes.values()]) == 1
    record = json.loads((registry.models_dir("BBB") / "retrains.jsonl").read_text().splitlines()[-1])
    assert record["status"] == "failed" and "its Dask worker died" in record["message"]


def hang_the_victim(contest):
    if contest.symbol == "CCC":
        time.sleep(600)
    return real_compute_or_fail(contest)


def test_a_task_past_its_timeout_is_cancelled_never_a_hang(cluster, tmp_path, monkeypatch):
    from stockrnn import backend

    with distributed.Client(cluster) as client:
        client.run(backend.keras)  # TensorFlow imported first, so that only the hang, not a slow import, times out
    monkeypatch.setattr(retraining, "compute_or_fail", hang_the_victim)
    started = time.monotonic()
    outcomes = {o.symbol: o for o in retraining.retrain_all(watchlist(tmp_path), 1, cluster=cluster, timeout=30)}
    assert time.monotonic() - started < 300
    assert outcomes["CCC"].status == "failed" and "no result after 30 s: cancelled" in outcomes["CCC"].message
    assert [outcomes[s].status for s in ("AAA", "BBB", "DDD")] == ["promoted"] * 3
    assert registry.model_versions("CCC") == []


def test_backtest_folds_run_on_the_cluster_as_here(cluster, write_csv):
    csv = write_csv("s.csv", price_frame(sine_prices(300, noise=0.3)))
    args = ["backtest", "--csv", str(csv), "--folds", "2", "--horizon", "5", "--step", "5", "--window", "20",
            "--units", "8", "--epochs", "2", "--target", "price", "--patience", "0", "--json"]  # fmt: skip
    here = json.loads(CliRunner().invoke(app, args).stdout)
    result = CliRunner().invoke(app, [*args, "--dask", cluster])
    assert result.exit_code == 0, result.output
    there = json.loads(result.stdout)
    assert [f["cutoff"] for f in there["folds"]] == [f["cutoff"] for f in here["folds"]]
    np.testing.assert_allclose(
        [f["metrics"]["one_step"]["rmse"] for f in there["folds"]],
        [f["metrics"]["one_step"]["rmse"] for f in here["folds"]],
        rtol=1e-3,
    )


@pytest.mark.parametrize("command", [["retrain", "AAA"], ["backtest", "--synthetic"]])
def test_an_unreachable_scheduler_exits_69_naming_it(command, monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 2)
    result = CliRunner().invoke(app, [*command, "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 69, result.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert registry.model_versions("AAA") == []


def test_the_address_may_come_from_the_environment(monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 2)
    monkeypatch.setenv("STOCKRNN_DASK", "tcp://127.0.0.1:9")
    result = CliRunner().invoke(app, ["retrain", "AAA"])
    assert result.exit_code == 69 and "tcp://127.0.0.1:9" in result.output


def test_workers_of_other_versions_are_refused(cluster, monkeypatch):
    here = parallel.dask_versions()
    monkeypatch.setattr(parallel, "here", lambda: {**here, "keras": "2.15.0"})
    with pytest.raises(ClusterError, match=r"runs other versions than this client: keras 3\.[\d.]+ \(here 2\.15\.0\)"):
        parallel.connect(cluster)


def test_the_command_reports_each_symbol_as_it_completes(cluster, tmp_path, caplog):
    lines = [f"{e.symbol} csv={e.csv} {tiny_options(epochs=2)}" for e in watchlist(tmp_path)[:2]]
    (tmp_path / "two.txt").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["retrain", "--watchlist", str(tmp_path / "two.txt"), "--dask", cluster])
    assert result.exit_code == 0, result.output
    assert "retrain 1/2: " in caplog.text and "retrain 2/2: " in caplog.text  # no terminal: one line per symbol
    assert (
        [v["version"] for v in registry.model_versions("AAA")]
        == ["v1"]
        == [v["version"] for v in registry.model_versions("BBB")]
    )
