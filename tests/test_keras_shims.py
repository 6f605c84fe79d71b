"""Keras shims: each gives what Keras' public path gives, checks itself, and falls back to that path on any
difference or missing internal; the off switch; a file that cannot load leaves nothing behind."""

import logging
import sys
import zipfile

import numpy as np
import pytest

from stockrnn import backend, keras_shims
from stockrnn.errors import UsageError
from stockrnn.model import build

from .conftest import tiny_config

X = np.random.default_rng(0).normal(size=(5, 20, 1)).astype("float32")  # (5, window, 1)


def saved(tmp_path, trained: bool = True, **config):
    """The path of a tiny model's `.keras` file; `trained`: one epoch first, so that its weights are not those its
    seeded initializers give (a load that ran them would look right otherwise) and it holds an optimizer's state."""
    model = build(tiny_config(**config))
    if trained:
        model.fit(X, np.ones(5, "float32"), epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    return path


def assert_same_weights(model, other) -> None:
    assert len(model.weights) == len(other.weights)
    for mine, theirs in zip(model.weights, other.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_loaded_model_is_keras_own_without_its_initializers(tmp_path, caplog, cell):
    """The initializer-free load gives the same weights and outputs as Keras' own load, by its own path (no fallback,
    no log line), leaves nothing for Keras to initialize later, and the model still trains."""
    k = backend.keras()
    from keras.src.backend.common import global_state

    path = saved(tmp_path, cell=cell, layers=2, dropout=0.2)
    with caplog.at_level(logging.DEBUG, logger="stockrnn"):
        ours = backend.load_model(path)
    assert not [r for r in caplog.records if "keras_shims" in r.getMessage()]
    theirs = k.models.load_model(path, compile=False)
    assert not global_state.get_global_attribute("uninitialized_variables")
    assert [v.shape for v in ours.variables] == [v.shape for v in theirs.variables]
    assert_same_weights(ours, theirs)
    # (Under PyTorch, Keras' own load keeps the memory layout of the orthogonal initializer's recurrent kernel, a
    # transposed one: a different order of float32 sums, 2e-7 apart.)
    np.testing.assert_allclose(backend.predict(ours, X), backend.predict(theirs, X), rtol=0, atol=1e-6)
    with k.StatelessScope():  # leaving a scope initializes what Keras still holds as uninitialized: nothing
        pass
    ours.compile(optimizer="adam", loss="mse")
    before = ours.get_weights()[0].copy()
    ours.fit(X, np.ones(5, "float32"), epochs=1, verbose=0)
    assert not np.array_equal(ours.get_weights()[0], before)


def test_the_load_check_sees_one_value_changed(tmp_path):
    path = saved(tmp_path)
    model, stored = backend.load_model(path), keras_shims._file_weights(path)
    assert len(stored) == len(model.weights) == 5  # LSTM kernel, recurrent kernel, bias; Dense kernel, bias
    assert keras_shims._difference(model, stored) is None
    assert keras_shims._difference(model, stored[:-1]) == "5 weights where the file holds 4"
    stored[2] = stored[2].copy()
    stored[2].flat[-1] += 1e-6
    assert keras_shims._difference(model, stored) == f"no weight equal to the file's {stored[2].shape} array"


def test_the_load_falls_back_when_its_weights_differ_from_the_file(tmp_path, monkeypatch, caplog):
    """As if Keras had renamed what the shim sets: weights that are not the file's. Keras' own load, and a warning."""
    path = saved(tmp_path)
    monkeypatch.setattr(keras_shims, "_stored", lambda value: lambda shape, dtype=None: value * 0)
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        model = backend.load_model(path)
    assert "the initializer-free load of" in caplog.text and "loaded by Keras' own load" in caplog.text
    assert_same_weights(model, backend.keras().models.load_model(path, compile=False))


def test_the_load_falls_back_without_its_internals(tmp_path, monkeypatch, caplog):
    from keras.src.backend.common import variables

    path = saved(tmp_path)
    monkeypatch.delattr(variables, "initialize_all_variables")
    with caplog.at_level(logging.DEBUG, logger="stockrnn"):
        model = backend.load_model(path)
    assert "lacks the internals of the initializer-free load" in caplog.text
    assert_same_weights(model, backend.keras().models.load_model(path, compile=False))


def test_a_model_file_that_cannot_load_leaves_nothing_behind(tmp_path):
    from keras.src.backend.common import global_state

    path = saved(tmp_path, trained=False)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:  # the architecture without its weights
        archive.writestr("config.json", parts["config.json"])
        archive.writestr("metadata.json", parts["metadata.json"])
    with pytest.raises(Exception):  # noqa: B017 - Keras' own error; forecast.load_model words it for the user
        backend.load_model(path)
    assert not global_state.get_global_attribute("uninitialized_variables")
    with zipfile.ZipFile(path, "w") as archive:  # weights the shim reads, a model Keras cannot build
        archive.writestr("config.json", b"{}")
        archive.writestr("model.weights.h5", parts["model.weights.h5"])
    with pytest.raises(Exception):  # noqa: B017
        backend.load_model(path)
    assert not global_state.get_global_attribute("uninitialized_variables")


@pytest.mark.parametrize("off", ["all", "initializer_free_load", " Tensorflow_absent , initializer_free_load"])
def test_the_off_switch(tmp_path, monkeypatch, off):
    path = saved(tmp_path, trained=False)
    monkeypatch.setenv(keras_shims.OFF, off)
    monkeypatch.setattr(keras_shims, "_file_weights", lambda path: pytest.fail("the shim ran"))
    assert not keras_shims.enabled("initializer_free_load")
    assert keras_shims.enabled("tensorflow_absent") == (off == "initializer_free_load")
    backend.load_model(path)
    monkeypatch.setenv(keras_shims.OFF, "initializer_free, all")
    with pytest.raises(UsageError, match=r"STOCKRNN_KERAS_SHIMS_OFF names initializer_free: the shims are"):
        keras_shims.enabled("initializer_free_load")


class LazyTensorflow:
    """Keras 3.15's lazy `tensorflow` module as the shim sees it; `honest=False`: an `available` that no longer
    reads `_available` (what a rename in Keras would look like)."""

    def __init__(self, honest: bool = True) -> None:
        self._available = None
        self.honest = honest

    @property
    def available(self) -> bool:
        return self._available if self.honest and self._available is not None else True


@pytest.mark.parametrize("honest", [True, False])
def test_tensorflow_absent_checks_that_keras_believes_it(monkeypatch, honest):
    backend.keras()
    from keras.src.utils import module_utils

    fake = LazyTensorflow(honest)
    monkeypatch.setattr(module_utils, "tensorflow", fake)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)  # as in a process that never imported it
    assert keras_shims.tensorflow_absent() is honest
    assert fake._available is (False if honest else None)  # put back as it was when Keras does not believe it


def test_tensorflow_absent_without_its_internal(monkeypatch):
    backend.keras()
    from keras.src.utils import module_utils

    class Renamed:
        available = True

    monkeypatch.setattr(module_utils, "tensorflow", Renamed())
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert keras_shims.tensorflow_absent() is False and Renamed.available is True
    monkeypatch.delattr(module_utils, "tensorflow")
    assert keras_shims.tensorflow_absent() is False
