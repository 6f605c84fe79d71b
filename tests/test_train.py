"""Train stage: it learns real signal, repeats itself with a seed, stops early, and stores everything."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from stockrnn import backend, backend_choice, registry
from stockrnn.app.training import train_prices as train
from stockrnn.backend import model_to_bytes
from stockrnn.forecast import load_model
from stockrnn.train import fit
from stockrnn.validate import load_csv
from stockrnn.windows import training_set

from .conftest import price_frame, random_walk, sine_prices, tiny_config


@pytest.fixture
def sine_csv(write_csv):
    return write_csv("sine.csv", price_frame(sine_prices(600, noise=0.3)))


def test_learns_real_signal_and_beats_persistence(sine_csv):
    _, _, summary = fit(load_csv(sine_csv), tiny_config(epochs=10, learning_rate=0.01, units=16))
    metrics = summary.metrics
    assert metrics["one_step"].skill > 0.5, metrics
    assert metrics["one_step"].rmse < metrics["persistence"].rmse / 2
    assert metrics["one_step"].direction_accuracy > 0.7


@pytest.mark.slow
def test_same_seed_same_model(sine_csv):
    prices = load_csv(sine_csv)
    first, _, _ = fit(prices, tiny_config(seed=3, dropout=0.2))
    again, _, _ = fit(prices, tiny_config(seed=3, dropout=0.2))
    other, _, _ = fit(prices, tiny_config(seed=4, dropout=0.2))
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first.get_weights(), other.get_weights(), strict=True))


def test_two_trainings_at_once_in_two_threads_give_the_seed_s_model(sine_csv):
    """Two trainings with one seed at once in two threads of one process (a Dask worker's), while a third thread
    draws from Python's shared `random`: each gives the model that seed gives alone, the same weights and the same
    predictions."""
    import random
    import threading

    prices = load_csv(sine_csv)
    config = tiny_config(seed=3, dropout=0.2, layers=2)
    x_val = training_set(prices.frame, config).x_val[..., None]  # (n_val, window, 1)
    alone, _, _ = fit(prices, config)
    start, stop = threading.Barrier(2), threading.Event()
    models: dict[int, object] = {}

    def train_one(n: int) -> None:
        start.wait()
        models[n], _, _ = fit(prices, config)

    def draw() -> None:
        while not stop.is_set():
            random.random()

    noisy = threading.Thread(target=draw, daemon=True)
    trainings = [threading.Thread(target=train_one, args=(n,)) for n in (1, 2)]
    noisy.start()
    try:
        for thread in trainings:
            thread.start()
        for thread in trainings:
            thread.join(timeout=300)
    finally:
        stop.set()
        noisy.join()
    assert sorted(models) == [1, 2], "a training thread failed"
    for model in models.values():
        for a, b in zip(alone.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(backend.predict(alone, x_val), backend.predict(model, x_val))


def test_early_stopping_restores_the_best_weights(write_csv):
    prices = load_csv(write_csv("walk.csv", price_frame(random_walk(400))))
    config = tiny_config(epochs=40, patience=2, learning_rate=0.02)
    model, _, summary = fit(prices, config)
    training = summary.training
    assert training.stopped_early and training.epochs_run < 40
    assert training.best_epoch == training.epochs_run - 2
    data = training_set(prices.frame, config)
    val_loss = model.evaluate(data.x_val[..., None], data.y_val, verbose=0)
    assert val_loss == pytest.approx(min(training.val_loss), rel=1e-4)


def test_train_stores_a_complete_version(sine_csv, home):
    progress = []
    result = train(load_csv(sine_csv), "sine", tiny_config(epochs=3), lambda *a: progress.append(a))
    assert [p[:2] for p in progress] == [(1, 3), (2, 3), (3, 3)] and "val_loss" in progress[0][2]
    assert result.symbol == "SINE" and result.folder == home.resolve() / "models" / "SINE" / "v1"
    assert sorted(p.name for p in result.folder.iterdir()) == [
        "manifest.json",
        "manifest.sha256",
        "model.keras",
        "scaler.json",
    ]
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["config"]["window"] == 20 and manifest["config"]["cell"] == "lstm"
    assert manifest["data"]["source"] == str(sine_csv)
    assert manifest["data"]["sha256"] == load_csv(sine_csv).sha256
    assert manifest["data"]["train_start"] == "2015-01-02" and manifest["data"]["train_rows"] == 600
    assert set(manifest["libraries"]) >= {
        *backend_choice.library_versions(),
        "keras",
        "numpy",
        "pandas",
        "python",
        "stockrnn",
    }
    assert manifest["training"]["backend"] == backend_choice.name() and backend_choice.name() in manifest["libraries"]
    assert manifest["training"]["device"].startswith(("CPU", "GPU"))
    assert set(manifest["metrics"]) == {"one_step", "persistence"}
    scaler = json.loads((result.folder / "scaler.json").read_text())
    assert scaler["kind"] == "minmax" and scaler["data_min"] == pytest.approx(load_csv(sine_csv).frame.close.min())


def test_save_and_load_give_identical_predictions(sine_csv):
    prices = load_csv(sine_csv)
    config = tiny_config(epochs=2)
    model, scaler, summary = fit(prices, config)
    registry.save_version("SINE", model_to_bytes(model), scaler, summary)
    stored = registry.load_current("SINE")
    loaded = load_model(stored.manifest, stored.model_path)
    x = training_set(prices.frame, config).x_val[..., None]
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_the_manifest_records_the_price_source_as_given(sine_csv, monkeypatch):
    """The source is recorded as the value the command line built: the file absolute (found again from any folder),
    how it was read; not how one run read it (offline)."""
    from stockrnn import app

    monkeypatch.chdir(sine_csv.parent)
    source = app.PriceSource(csv=Path(sine_csv.name), symbol="SINE", offline=True, strict=False)
    result = app.train(source, tiny_config(epochs=1))
    recorded = registry.load_current("SINE").manifest.data.price_source
    assert recorded == {"kind": "csv", "symbol": "SINE", "csv": str(sine_csv.absolute()), "adjusted": True}
    assert result.manifest.data.price_source == recorded


def test_a_promotion_that_changes_what_predict_returns_says_so_and_the_way_back(sine_csv, home):
    prices = load_csv(sine_csv)
    first = train(prices, "SINE", tiny_config(epochs=1))  # one epoch: it loses to persistence, as said
    assert first.replaced is None and [w.split(" (")[0] for w in first.warnings] == [
        "SINE v1 is now the champion, but it significantly lost to persistence on its own validation tail"
    ]
    assert first.warnings[0].endswith("; there is no earlier champion to roll back to")
    same = train(prices, "SINE", tiny_config(epochs=1, seed=8))
    assert same.replaced.version == "v1" and not [w for w in same.warnings if " learned " in w]
    other = train(prices, "SINE", tiny_config(target="direction", epochs=1))
    assert other.replaced.version == "v2"
    assert [w for w in other.warnings if " learned " in w] == [
        "SINE v3 learned direction (P(price higher H trading days later), calibrated); the champion it replaced, v2, "
        "learned price (scaled price levels (the lecture)): stockrnn predict SINE now returns the direction model's "
        "forecast; the way back: stockrnn models rollback SINE (makes v2 the champion again)"
    ]


def test_a_champion_that_significantly_lost_to_its_baseline_is_said():
    from stockrnn.app.training import TrainResult
    from stockrnn.metrics import Scores
    from stockrnn.significance import DMTest

    from .conftest import a_manifest

    lost = Scores(rmse=3.0, skill=-2.0, test=DMTest(-4.0, 0.001, 23, 0))
    manifest = a_manifest()
    manifest = dataclasses.replace(manifest, version="v2", metrics={**manifest.metrics, "one_step": lost})
    result = TrainResult("AAA", Path("v2"), manifest, replaced=dataclasses.replace(manifest, version="v1"))
    assert result.warnings == [
        "AAA v2 is now the champion, but it significantly lost to persistence on its own validation tail (RMSE 3 vs "
        "1, DM p = 0.00); the way back: stockrnn models rollback AAA (makes v1 the champion again)"
    ]
    tie = dataclasses.replace(manifest, metrics={**manifest.metrics, "one_step": lost.but(test=DMTest(0, 0.4, 23, 0))})
    assert TrainResult("AAA", Path("v2"), tie).warnings == []  # not significant: nothing to say


def test_checks_come_after_an_epoch_a_members_worth_or_n_windows_in_whole_batches():
    from stockrnn.train import check_steps

    def steps(every: str, windows: int = 1000, series: int = 1, batch: int = 64) -> int:
        return check_steps(tiny_config(validate_every=every, batch_size=batch), windows, series)

    assert steps("epoch") == steps("member") == 16  # one symbol: a pass of ceil(1000 / 64) batches
    assert steps("epoch", series=4) == 16 and steps("member", series=4) == 4  # 250 windows: 3.9 batches
    assert steps("member", windows=65_697, series=61) == 17  # the shared panel 2012-2016: 1077 windows a member
    assert steps("100") == 2 and steps("95") == 1 and steps("1") == 1  # rounded, at least a batch
    assert steps("5000") == 16  # at most a pass
    assert steps("member", windows=10, series=3) == 1  # a batch of all 10 windows: its one step


def test_the_stream_reads_every_window_once_a_pass_whatever_the_checks():
    from stockrnn.train import Stream

    n, size = 100, 16  # 7 batches a pass, the last completed with the pass's first 12 windows
    for steps in (1, 3, 7):
        stream = Stream(n, size, steps, seed=5)
        read = []
        for _ in range(7 * 4 // steps + 1):  # four passes, and a part of a fifth
            stream.begin()
            read += [stream.rows(i) for i in range(steps)]
        assert all(len(rows) == size for rows in read)  # one batch shape
        passes = np.concatenate(read)[: 4 * 7 * size].reshape(4, 7 * size)
        for one in passes:
            assert sorted(set(one)) == list(range(n)) and len(set(one[:n])) == n  # each window once, then 12 again
        assert not np.array_equal(passes[0], passes[1])  # shuffled anew each pass
    # one check a pass is the shuffle every epoch always had: a permutation drawn first, then one each epoch
    rng, stream = np.random.default_rng(5), Stream(n, size, 7, seed=5)
    rng.permutation(n)
    for _ in range(3):
        order = rng.permutation(n)
        stream.begin()
        assert np.array_equal(np.concatenate([stream.rows(i) for i in range(7)]), np.r_[order, order[:12]])
