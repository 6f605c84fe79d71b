"""Benchmark: what each Keras shim (stockrnn/keras_shims.py) saves, measured with it on and off, in fresh processes.

    .venv/bin/python bench/bench_shims.py [--repeats 5] [--json shims.json]     # about 4 minutes on 2 cores

Under JAX (the backend `auto` picks on a CPU), in a temporary home, one new `python -c` process a measurement; the
shim turned off by $STOCKRNN_KERAS_SHIMS_OFF. Each process imports Keras first (not timed), then times one operation
on a demo-size model (the defaults: a window of 60, one LSTM layer of 32 units):
- tensorflow_absent, save: `backend.model_to_bytes` of a new model (what `train` and every retrain do once);
- tensorflow_absent, seed: `backend.seed_everything` (keras.utils.set_random_seed, what every training does first);
- initializer_free_load: `backend.load_model` of a trained model's file (what `predict`, `plot` and `track` do).
Printed: the operation's median seconds with the shim on and off and their ratio, the process's peak memory (its
ru_maxrss) and whole wall time, whether TensorFlow got imported, and whether a shim fell back (its log lines). One
unmeasured run of each first (JAX's compilation cache, the OS's file cache); then the repeats, on and off in turn,
their order alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, logging, resource, sys, time
from stockrnn import backend
from stockrnn.config import TrainConfig
from stockrnn.model import build
notes = []
class Note(logging.Handler):
    def emit(self, record):
        notes.append(record.getMessage())
log = logging.getLogger("stockrnn")
log.addHandler(Note())
log.setLevel(logging.DEBUG)
backend.keras()
{prepare}
started = time.perf_counter()
{operation}
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
fell_back = any(note.startswith("keras_shims") for note in notes)
tensorflow = "tensorflow" in sys.modules
print(json.dumps({{"seconds": seconds, "peak_mb": peak, "tensorflow": tensorflow, "fell_back": fell_back}}))
"""

# (shim, operation, code run before the clock, the code timed)
CASES = [
    ("tensorflow_absent", "save", "model = build(TrainConfig())", "backend.model_to_bytes(model)"),
    ("tensorflow_absent", "seed", "", "backend.seed_everything(42)"),
    ("initializer_free_load", "load", "", "backend.load_model({model!r})"),
]

TRAINED = """
import numpy as np
from stockrnn import backend
from stockrnn.config import TrainConfig
from stockrnn.model import build
model = build(TrainConfig())
x = np.random.default_rng(0).normal(size=(128, 60, 1)).astype("float32")
model.fit(x, x[:, -1, 0], epochs=1, verbose=0)  # trained weights and an optimizer's state, as a stored model holds
open({path!r}, "wb").write(backend.model_to_bytes(model))
"""


def child(code: str, env: dict[str, str]) -> dict:
    """Run `code` in a new Python process; its last stdout line (JSON), with the process's wall seconds."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"a benchmark process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    return {**found, "process": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="measured runs per shim and state (default 5)")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="stockrnn-bench-shims-"))
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_COMPILATION_CACHE_DIR", "KERAS_BACKEND")}
    env.update(STOCKRNN_HOME=str(home), STOCKRNN_BACKEND="jax")
    env.pop("STOCKRNN_KERAS_SHIMS_OFF", None)
    model = home / "model.keras"
    child(TRAINED.format(path=str(model)), env)

    runs: dict[tuple[str, str, str], list[dict]] = {}
    for repeat in range(args.repeats + 1):  # the first: unmeasured
        for shim, operation, prepare, timed in CASES:
            states = ("on", "off") if repeat % 2 else ("off", "on")
            for state in states:
                code = CHILD.format(prepare=prepare, operation=timed.format(model=str(model)))
                found = child(code, {**env, "STOCKRNN_KERAS_SHIMS_OFF": shim} if state == "off" else env)
                if repeat:
                    runs.setdefault((shim, operation, state), []).append(found)
        print(f"repeat {repeat}/{args.repeats} done", file=sys.stderr)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    from importlib.metadata import version

    print(
        f"{date.today()}, commit {commit.stdout.strip() or '?'}, keras {version('keras')}, jax {version('jax')}, "
        f"{os.cpu_count()} cores; medians of {args.repeats} fresh processes each"
    )
    print(
        "| shim | operation | on s | off s | off/on | peak MB on | peak MB off | process s on | process s off "
        "| TensorFlow imported on/off | fell back (on) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def median(shim: str, operation: str, state: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[shim, operation, state])

    for shim, operation, _, _ in CASES:
        on, off = (median(shim, operation, s, "seconds") for s in ("on", "off"))
        ratio = f"{off / on:.1f}x" if on >= 0.001 else "on < 1 ms"  # a ratio to almost nothing says nothing
        imported = "/".join(
            "yes" if any(r["tensorflow"] for r in runs[shim, operation, s]) else "no" for s in ("on", "off")
        )
        fell_back = sum(r["fell_back"] for r in runs[shim, operation, "on"])
        print(
            f"| {shim} | {operation} | {on:.3f} | {off:.3f} | {ratio} "
            f"| {median(shim, operation, 'on', 'peak_mb'):.0f} | {median(shim, operation, 'off', 'peak_mb'):.0f} "
            f"| {median(shim, operation, 'on', 'process'):.2f} | {median(shim, operation, 'off', 'process'):.2f} "
            f"| {imported} | {fell_back} of {len(runs[shim, operation, 'on'])} |"
        )
    if args.json:
        args.json.write_text(json.dumps({" ".join(key): value for key, value in runs.items()}, indent=1))


if __name__ == "__main__":
    main()
