"""Backend: the one module that imports Keras and its backend library; choosing the backend, compiled steps of one
shape, a model that moves between backends with the same numbers, seeds, JAX's compilation cache."""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from stockrnn import backend
from stockrnn.errors import UsageError
from stockrnn.model import build

from .conftest import ROOT, price_frame, sine_prices, tiny_config

PACKAGE = Path(backend.__file__).parent
BACKEND_LIBRARIES = {"tensorflow", "jax", "torch", "keras"}
OTHERS = [pytest.param(b, marks=pytest.mark.skipif(not backend.installed(b), reason=f"{b} not installed")) for b in
          ("tensorflow", "torch")]  # fmt: skip


def imported(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_backend_imports_the_backend_libraries():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    found = {str(p.relative_to(PACKAGE)): imported(p) & BACKEND_LIBRARIES for p in modules if p.name != "backend.py"}
    assert {name: libraries for name, libraries in found.items() if libraries} == {}
    assert BACKEND_LIBRARIES <= imported(PACKAGE / "backend.py")


def test_a_model_survives_the_trip_through_bytes():
    model = build(tiny_config())
    data = backend.model_to_bytes(model)
    assert data[:2] == b"PK"  # a .keras file is a zip archive
    x = np.linspace(0, 1, 3 * 20, dtype="float32").reshape(3, 20, 1)
    np.testing.assert_array_equal(backend.predict(model, x), backend.predict(backend.model_from_bytes(data), x))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_loaded_model_is_keras_own_without_its_initializers(tmp_path, cell):
    """backend.load_model skips the initializers Keras runs before it overwrites the weights: the same weights and
    outputs as Keras' own load, nothing left for Keras to initialize later, and the model still trains."""
    k = backend.keras()
    from keras.src.backend.common import global_state

    path = tmp_path / "model.keras"
    build(tiny_config(cell=cell, layers=2, dropout=0.2)).save(path)
    ours, theirs = backend.load_model(path), k.models.load_model(path, compile=False)
    assert not global_state.get_global_attribute("uninitialized_variables")
    assert [v.shape for v in ours.variables] == [v.shape for v in theirs.variables]
    for mine, keras_own in zip(ours.trainable_weights, theirs.trainable_weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(keras_own))
    x = np.random.default_rng(0).normal(size=(5, 20, 1)).astype("float32")
    # (Under PyTorch, Keras' own load keeps the memory layout of the orthogonal initializer's recurrent kernel, a
    # transposed one: a different order of float32 sums, 2e-7 apart.)
    np.testing.assert_allclose(backend.predict(ours, x), backend.predict(theirs, x), rtol=0, atol=1e-6)
    with k.StatelessScope():  # leaving a scope initializes what Keras still holds as uninitialized: nothing
        pass
    ours.compile(optimizer="adam", loss="mse")
    before = ours.get_weights()[0].copy()
    ours.fit(x, np.ones(5, "float32"), epochs=1, verbose=0)
    assert not np.array_equal(ours.get_weights()[0], before)


def test_a_model_file_that_cannot_load_leaves_nothing_behind(tmp_path):
    from keras.src.backend.common import global_state

    path = tmp_path / "model.keras"
    build(tiny_config()).save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:  # the architecture without its weights
        archive.writestr("config.json", parts["config.json"])
        archive.writestr("metadata.json", parts["metadata.json"])
    with pytest.raises(Exception):  # noqa: B017 - Keras' own error; forecast.load_model words it for the user
        backend.load_model(path)
    assert not global_state.get_global_attribute("uninitialized_variables")


def test_versions_and_devices():
    found = backend.versions()
    assert set(found) == {*backend.LIBRARIES[backend.name()], "keras"} and found["keras"].startswith("3.")
    assert "CPU:0" in backend.devices() and backend.training_device() in backend.devices()


@pytest.mark.parametrize(
    ("requested", "env", "gpu", "jax_here", "chosen"),
    [
        (None, None, False, True, "jax"),  # auto on a CPU: JAX
        (None, None, True, True, "tensorflow"),  # auto with an NVIDIA GPU: TensorFlow's cuDNN LSTM
        ("auto", None, False, False, "tensorflow"),  # auto without JAX installed
        (None, "TensorFlow", False, True, "tensorflow"),  # $STOCKRNN_BACKEND, any case
        ("jax", "tensorflow", True, True, "jax"),  # the option before the environment
    ],
)
def test_choose(monkeypatch, requested, env, gpu, jax_here, chosen):
    monkeypatch.delenv(backend.ENV, raising=False)
    if env:
        monkeypatch.setenv(backend.ENV, env)
    monkeypatch.setattr(backend, "gpu_visible", lambda: gpu)
    monkeypatch.setattr(backend, "installed", lambda name: name != "jax" or jax_here)
    assert backend.choose(requested) == chosen


def test_choose_refuses_unknown_and_missing_backends(monkeypatch):
    with pytest.raises(UsageError, match="--backend must be one of auto, jax, tensorflow, torch, not 'theano'"):
        backend.choose("theano")
    monkeypatch.setattr(backend, "installed", lambda name: name != "torch")
    with pytest.raises(UsageError, match=r"torch is not installed here \(pip install 'stockrnn\[torch\]'\)"):
        backend.choose("torch")


def test_the_command_line_names_a_missing_backend(monkeypatch):
    from typer.testing import CliRunner

    from stockrnn.cli import app

    monkeypatch.setattr(backend, "installed", lambda name: name != "torch")
    result = CliRunner().invoke(app, ["info", "--backend", "torch"])
    assert result.exit_code == 2 and "pip install 'stockrnn[torch]'" in result.output
    words = " ".join(CliRunner().invoke(app, ["predict", "--help"]).output.replace("│", " ").split())
    assert "torch (pip install 'stockrnn[torch]')" in words  # not eaten as rich markup


def test_gpu_hidden_by_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not backend.gpu_visible()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not backend.gpu_visible()


def test_one_backend_per_process(monkeypatch):
    backend.keras()
    other = next(b for b in ("tensorflow", "jax") if b != backend.running())
    monkeypatch.setattr(backend, "installed", lambda name: True)
    with pytest.raises(UsageError, match=f"this process already runs Keras on {backend.running()}"):
        backend.use(other)
    assert backend.use(backend.running()) == backend.running() == os.environ["KERAS_BACKEND"]


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 130])
def test_predict_pads_to_one_shape(n):
    model = build(tiny_config())
    x = np.random.default_rng(n).normal(size=(n, 20, 1)).astype("float32")
    outputs = backend.predict(model, x)
    assert outputs.shape == (n,)
    if n:
        np.testing.assert_allclose(outputs, model.predict(x, verbose=0).ravel(), atol=1e-6)


TRACES = """
import json
from stockrnn import backend, train
from stockrnn.forecast import forecast_model
from stockrnn.validate import load_csv
from tests.conftest import tiny_config
traced = {{"train_step": set(), "test_step": set(), "predict_step": set()}}
build = train.build


def counting(config):
    # A compiled step runs its Python code only while it is traced (jax.jit, tf.function): note the input shapes
    # of those runs. (TensorFlow traces a function that makes variables twice on its first call, one shape.)
    model = build(config)
    for name in traced:
        def step(*args, _step=getattr(model, name), _name=name):  # JAX's steps take (state, data), the others data
            data = args[-1] if isinstance(args[-1], tuple) else (args[-1],)
            traced[_name].add(str([tuple(part.shape) for part in data if hasattr(part, "shape")]))
            return _step(*args)
        setattr(model, name, step)
    return model


train.build = counting
prices = load_csv({csv!r})
model, scaler, manifest = train.fit(prices, tiny_config(epochs=3))
assert manifest.training.train_windows % 64 and manifest.training.val_windows % 64  # a last batch would be smaller
forecast_model(model, scaler, manifest.config, prices, "2016-04-01", 10, ("S", "v1"), manifest.interval)
print(json.dumps({{"backend": backend.name(), **{{name: len(shapes) for name, shapes in traced.items()}}}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", [b for b in ("jax", "tensorflow") if backend.installed(b)])
def test_training_and_forecasts_trace_each_step_once(write_csv, name):
    """Fixed shapes: one training step's shape for every batch (the last one too), validation and every prediction
    (one step and recursive) through one prediction step's; Keras' evaluation step never runs. 600 rows: 522 training
    windows and 58 validation windows, neither a multiple of the batch. (PyTorch runs its steps eagerly: nothing
    to trace.)"""
    csv = write_csv("sine.csv", price_frame(sine_prices(600)))
    assert _run(TRACES.format(csv=str(csv)), name) == {
        "backend": name,
        "train_step": 1,
        "test_step": 0,
        "predict_step": 1,
    }


def _run(code: str, backend_name: str, env: dict | None = None) -> dict:
    """Run `code` in a new Python process on `backend_name`; its last stdout line is JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, backend.ENV: backend_name, **(env or {})},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


TRAIN_TWICE = """
import json
import numpy as np
from stockrnn import backend
from stockrnn.train import fit
from stockrnn.validate import load_csv
from tests.conftest import tiny_config
prices = load_csv({csv!r})
first, _, _ = fit(prices, tiny_config(seed=5, dropout=0.2))
again, _, _ = fit(prices, tiny_config(seed=5, dropout=0.2))
same = all(np.array_equal(a, b) for a, b in zip(first.get_weights(), again.get_weights()))
x = np.load({x!r})
open({out!r}, "wb").write(backend.model_to_bytes(first))
print(json.dumps({{"backend": backend.name(), "same": same, "outputs": backend.predict(first, x).tolist()}}))
"""

PREDICT = """
import json
import numpy as np
from stockrnn import backend
model = backend.load_model({path!r})
print(json.dumps({{"backend": backend.name(), "outputs": backend.predict(model, np.load({x!r})).tolist()}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("other", OTHERS)
def test_a_model_moves_between_backends_with_the_same_numbers(write_csv, tmp_path, other):
    """Trained under JAX and under `other` (each twice with one seed: the same weights), each model predicts the same
    numbers (to 1e-5) when loaded under the other backend."""
    csv = write_csv("sine.csv", price_frame(sine_prices(300, noise=0.5)))
    x = np.random.default_rng(0).normal(size=(70, 20, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    made = {}
    for name in ("jax", other):
        path = tmp_path / f"{name}.keras"
        made[name] = _run(TRAIN_TWICE.format(csv=str(csv), x=str(tmp_path / "x.npy"), out=str(path)), name)
        assert made[name]["backend"] == name and made[name]["same"], f"{name}: one seed, two models"
    for trained, loaded in (("jax", other), (other, "jax")):
        moved = _run(PREDICT.format(path=str(tmp_path / f"{trained}.keras"), x=str(tmp_path / "x.npy")), loaded)
        assert moved["backend"] == loaded
        np.testing.assert_allclose(moved["outputs"], made[trained]["outputs"], atol=1e-5, rtol=0)


CACHE_COUNT = """
import json, os
import jax.monitoring
from stockrnn.train import fit
from stockrnn.validate import load_csv
from tests.conftest import tiny_config
os.environ.pop("JAX_COMPILATION_CACHE_DIR")  # the test suite's shared cache (conftest): the home's is tested here
events = {{"hits": 0, "misses": 0}}
def count(event, **kwargs):
    for key in events:
        if event == f"/jax/compilation_cache/cache_{{key}}":
            events[key] += 1
jax.monitoring.register_event_listener(count)
fit(load_csv({csv!r}), tiny_config(seed={seed}))
print(json.dumps(events))
"""


@pytest.mark.slow
def test_the_second_training_loads_its_compiled_steps(write_csv, home, monkeypatch):
    """JAX keeps what it compiles under the home folder: another process training the same architecture (another
    seed, tomorrow's data) compiles nothing."""
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    csv = write_csv("sine.csv", price_frame(sine_prices(300)))
    first = _run(CACHE_COUNT.format(csv=str(csv), seed=1), "jax")
    assert first["misses"] > 0 and any((home / "cache" / "jax").iterdir())
    second = _run(CACHE_COUNT.format(csv=str(csv), seed=2), "jax")
    assert second == {"hits": first["misses"] + first["hits"], "misses": 0}
