"""Benchmark: the lecture recipe against stockrnn's defaults on the lecture protocol, and start-up costs.

    make bench                                  # the table of docs/benchmarks.md (3 seeds each)
    .venv/bin/python bench/bench_training.py --explore    # one seed of each lever, to choose defaults

Protocol: the bundled S&P 500, training 2012-01-01..2016-12-30, one-step RMSE on the 20 trading days from
2017-01-03 (the lecture's January), beside persistence. Every training run is its own process, so that peak memory
(ru_maxrss) and TensorFlow's state belong to that run alone. Times are wall-clock seconds of training only;
evaluating the per-epoch RMSE trace is clocked and subtracted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SP500 = ROOT / "sample_data" / "sp500.csv"
PERIOD = {"train_start": "2012-01-01", "train_end": "2016-12-30"}
EVAL_START, EVAL_DAYS = "2017-01-03", 20
SEEDS = (1, 2, 3)
# (a) the lecture, exactly: price levels, 60-day windows, four LSTM(50) with dropout 0.2, every training window,
# fixed 100 epochs, batch 32, Adam at 1e-3, no validation. Spelled out, so that new defaults cannot change it.
LECTURE = {
    "recipe": "lecture",
    "backend": "tensorflow",  # as the lecture ran it; stockrnn's defaults run on the backend `auto` picks
    "config": {"target": "price", "window": 60, "layers": 4, "units": 50, "dropout": 0.2, "cell": "lstm",
               "epochs": 100, "batch_size": 32, "learning_rate": 1e-3, "patience": 0},
}  # fmt: skip
DEFAULTS = {"recipe": "stockrnn", "config": {}}  # (b) stockrnn's defaults, whatever TrainConfig says today
LEVERS = {
    "defaults": {},
    "batch 32, patience 5": {"patience": 5},
    "batch 128, lr 3e-3": {"batch_size": 128, "learning_rate": 3e-3},
    "batch 256, lr 5e-3": {"batch_size": 256, "learning_rate": 5e-3},
    "batch 256, lr 5e-3, XLA": {"batch_size": 256, "learning_rate": 5e-3, "jit_compile": True},
    "batch 32, XLA": {"jit_compile": True},
    "batch 512, lr 1e-2": {"batch_size": 512, "learning_rate": 1e-2},
}


def one_run(spec: dict) -> dict:
    """Train one recipe with one seed (in this process) and measure it."""
    import numpy as np

    from stockrnn import targets
    from stockrnn.backend import keras, seed_everything
    from stockrnn.config import TrainConfig
    from stockrnn.model import build
    from stockrnn.targets import scale, unscale
    from stockrnn.train import fit
    from stockrnn.validate import load_csv
    from stockrnn.windows import make_windows, training_set

    prices = load_csv(SP500)
    config = TrainConfig(**{**PERIOD, **spec["config"]}, seed=spec["seed"])
    close = prices.frame["close"]
    start = int(close.index.searchsorted(EVAL_START))
    data = training_set(prices.frame, config)
    target = targets.get(config.target)
    scaled = scale(data.scaler, target.encode(close.to_numpy()))
    inputs, _ = make_windows(scaled[start - config.window : start + EVAL_DAYS], config.window)
    x_eval = np.ascontiguousarray(inputs[..., None], dtype="float32")  # (20, window, 1)
    actual = close.iloc[start : start + EVAL_DAYS].to_numpy()
    previous = close.iloc[start - 1 : start + EVAL_DAYS - 1].to_numpy()

    def rmse(model) -> float:
        values = unscale(data.scaler, np.asarray(model.predict_on_batch(x_eval)).ravel())
        predicted = target.decode_one_step(values, previous)
        return float(np.sqrt(np.mean((predicted - actual) ** 2)))

    k = keras()

    class Clock(k.callbacks.Callback):
        """Per-epoch one-step RMSE on January 2017, with its own cost kept out of the training time."""

        def on_train_begin(self, logs=None):
            self.started, self.spent, self.trace = time.perf_counter(), 0.0, []

        def on_epoch_end(self, epoch, logs=None):
            before = time.perf_counter()
            value = rmse(self.model)
            self.spent += time.perf_counter() - before
            self.trace.append((round(before - self.started - self.spent, 3), value))

    clock = Clock()
    if spec["recipe"] == "lecture":
        seed_everything(config.seed)
        model = build(config)
        x = np.concatenate([data.x_train, data.x_val])[..., None]
        y = np.concatenate([data.y_train, data.y_val])
        began = time.perf_counter()
        model.fit(x, y, epochs=config.epochs, batch_size=config.batch_size, shuffle=True, verbose=0, callbacks=[clock])
        seconds, epochs, windows = time.perf_counter() - began - clock.spent, config.epochs, len(y)
    else:
        began = time.perf_counter()
        model, _, manifest = fit(prices, config, callbacks=(clock,))
        seconds = time.perf_counter() - began - clock.spent
        epochs, windows = manifest.training.epochs_run, manifest.training.train_windows
    return {
        "seconds": seconds,
        "epochs": epochs,
        "seconds_per_epoch": seconds / epochs,
        "windows_per_second": windows * epochs / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rmse": rmse(model),
        "persistence": float(np.sqrt(np.mean((actual - previous) ** 2))),
        "trace": clock.trace,
    }


def run(spec: dict) -> dict:
    """`one_run` in a fresh process, on the spec's Keras backend (default: auto)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "STOCKRNN_BACKEND")}
    env |= {"STOCKRNN_BACKEND": spec["backend"]} if "backend" in spec else {}
    done = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wall(command: list[str], times: int, **kwargs) -> float:
    """Median wall time of a command, in seconds."""
    took = []
    for _ in range(times):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, **kwargs)
        took.append(time.perf_counter() - began)
    return statistics.median(took)


def startup_costs() -> dict:
    venv = Path(sys.executable).parent
    stockrnn = str(venv / "stockrnn")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "STOCKRNN_HOME": home}
        subprocess.run(
            [stockrnn, "train", "--csv", str(SP500), "--symbol", "^GSPC",
             "--train-start", "2016-01-01", "--train-end", "2016-12-30", "--epochs", "1"],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        predict = wall([stockrnn, "predict", "^GSPC", "--start", EVAL_START, "--days", "20"], 3, env=env)
    big = load_big()
    peak = "import resource, tensorflow; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    tf_memory = subprocess.run([sys.executable, "-c", peak], check=True, capture_output=True, text=True)
    twenty = run({"recipe": "stockrnn", "config": {"train_start": "1999-01-01", "train_end": "2018-12-31"}, "seed": 1})
    return {
        "help": wall([stockrnn, "--help"], 5),
        "import_tensorflow": wall([sys.executable, "-c", "import tensorflow"], 3),
        "import_tensorflow_mb": int(tf_memory.stdout.split()[-1]) / 1024,
        "twenty_years_mb": twenty["peak_mb"],
        "twenty_years_seconds": twenty["seconds"],
        "predict": predict,
        **big,
    }


def load_big() -> dict:
    """Load, validate and window a 200,000-row CSV (a synthetic random walk on consecutive days)."""
    import numpy as np
    import pandas as pd

    from stockrnn.config import TrainConfig
    from stockrnn.validate import load_csv
    from stockrnn.windows import training_set

    rows = 200_000
    close = 100 * np.exp(np.cumsum(0.01 * np.random.default_rng(0).standard_normal(rows)))
    frame = pd.DataFrame({"Date": pd.date_range("1700-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
                          "Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close,
                          "Volume": 1000})  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        frame.to_csv(path, index=False)
        began = time.perf_counter()
        data = training_set(load_csv(path).frame, TrainConfig())
        seconds = time.perf_counter() - began
    window_mb = (data.x_train.nbytes + data.x_val.nbytes) / 2**20  # what copies would cost
    shared = np.shares_memory(data.x_train, data.y_train)
    return {"load_rows": rows, "load_seconds": seconds, "windows_view": bool(shared), "windows_as_copies_mb": window_mb}


def summarize(name: str, runs: list[dict]) -> dict:
    seconds = [r["seconds"] for r in runs]
    return {
        "name": name,
        "seconds": statistics.median(seconds),
        "seconds_range": (min(seconds), max(seconds)),
        "epochs": statistics.median(r["epochs"] for r in runs),
        "seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in runs),
        "windows_per_second": statistics.median(r["windows_per_second"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "rmse": statistics.median(r["rmse"] for r in runs),
        "rmses": [round(r["rmse"], 2) for r in runs],
        "persistence": runs[0]["persistence"],
    }


def row(s: dict) -> str:
    return (
        f"| {s['name']} | {s['seconds']:.1f} ({s['seconds_range'][0]:.1f}-{s['seconds_range'][1]:.1f}) | "
        f"{s['epochs']:.0f} | {s['seconds_per_epoch']:.2f} | {s['windows_per_second']:.0f} | {s['peak_mb']:.0f} | "
        f"{s['rmse']:.2f} ({', '.join(map(str, s['rmses']))}) | {s['persistence']:.2f} |"
    )


HEADER = (
    "| recipe | training s, median (range) | epochs | s/epoch | windows/s | peak MB | one-step RMSE, median (seeds) "
    "| persistence RMSE |\n|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--explore", action="store_true", help="one seed of each lever instead of the table")
    parser.add_argument("--json", type=Path, help="also write the medians here (bench_backends.py reads the lecture's)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(json.loads(args.one))))
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}", flush=True)
    if args.explore:
        print(HEADER)
        for name, config in LEVERS.items():
            print(row(summarize(name, [run({"recipe": "stockrnn", "config": config, "seed": 1})])), flush=True)
        return
    lecture = [run({**LECTURE, "seed": seed}) for seed in SEEDS]
    defaults = [run({**DEFAULTS, "seed": seed}) for seed in SEEDS]
    a, b = (
        summarize("(a) lecture: 100 epochs, batch 32, no early stopping (TensorFlow)", lecture),
        summarize("(b) stockrnn defaults (backend auto)", defaults),
    )
    reach = []
    for r in defaults:  # when did each (b) run first get to (a)'s median RMSE?
        hit = next((t for t, value in r["trace"] if value <= a["rmse"]), None)
        reach.append("never" if hit is None else f"{hit:.1f} s")
    costs = startup_costs()
    if args.json:
        args.json.write_text(json.dumps({"lecture": a, "defaults": b, "costs": costs}, indent=1))
    print(HEADER)
    print(row(a))
    print(row(b))
    print()
    print(f"training time (a) / (b): {a['seconds'] / b['seconds']:.1f}x (medians)")
    print(f"median one-step RMSE (a) {a['rmse']:.2f}, (b) {b['rmse']:.2f}; persistence {a['persistence']:.2f}")
    print(f"time for (b) to reach (a)'s median RMSE {a['rmse']:.2f}, per seed: {', '.join(reach)}")
    print(f"stockrnn --help: {costs['help']:.2f} s; import tensorflow: {costs['import_tensorflow']:.2f} s; "
          f"stockrnn predict with a saved model: {costs['predict']:.2f} s "
          f"({costs['predict'] / costs['import_tensorflow']:.1f}x importing TensorFlow)")  # fmt: skip
    print(f"load + validate + window {costs['load_rows']:,} rows: {costs['load_seconds']:.2f} s; windows are views: "
          f"{costs['windows_view']} (as copies they would take {costs['windows_as_copies_mb']:.0f} MB)")  # fmt: skip
    print(f"training the defaults on 20 years (1999-2018, seed 1): peak {costs['twenty_years_mb']:.0f} MB in "
          f"{costs['twenty_years_seconds']:.1f} s; importing TensorFlow alone: "
          f"{costs['import_tensorflow_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
