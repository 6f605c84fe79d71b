"""Keras shims: the one module that touches Keras' private internals (`keras.src`), each for a gain measured by
bench/bench_shims.py (docs/backends.md), each fenced (STYLE.md, habit 15).

Input: a Keras just imported (`tensorflow_absent`), a `.keras` file (`load_model`). Output: what Keras' public path
gives, faster. Each shim names the Keras versions it was checked on, checks its own result after it runs, and falls
back to the public path on any difference or missing internal: on another Keras it can only be slower, never give
another model. constraints.txt pins the versions CI runs, so that a Keras where a shim falls back is noticed by its
tests, not by a slower night.

$STOCKRNN_KERAS_SHIMS_OFF turns shims off: `all`, or their names, comma-separated (`tensorflow_absent`,
`initializer_free_load`). For the benchmark, and for a Keras on which a shim misbehaves in a way its check misses.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    import numpy as np

OFF = "STOCKRNN_KERAS_SHIMS_OFF"
SHIMS = ("tensorflow_absent", "initializer_free_load")
WEIGHTS = "model.weights.h5"  # the part of a `.keras` file (a zip archive) that holds the weights
OPTIMIZER = "optimizer"  # its group of the optimizer's state, which a model loaded to predict does not hold

log = logging.getLogger("stockrnn")


def enabled(shim: str) -> bool:
    """Whether `shim` runs: not named in $STOCKRNN_KERAS_SHIMS_OFF (nor `all`)."""
    off = {part.strip().lower() for part in os.environ.get(OFF, "").split(",")} - {""}
    if unknown := off - {*SHIMS, "all"}:
        raise UsageError(f"${OFF} names {', '.join(sorted(unknown))}: the shims are {', '.join(SHIMS)}, or all")
    return not off & {shim, "all"}


def tensorflow_absent() -> bool:
    """Tell Keras that TensorFlow is absent, in a process that runs Keras on another backend; whether it now thinks so.

    Saving a model, Keras asks whether TensorFlow can be imported, to recognise TensorFlow's shapes and dtypes among
    its settings, and finds out by importing it; so does `keras.utils.set_random_seed`, to seed it. No model built
    on another backend holds TensorFlow's objects, and stockrnn seeds TensorFlow only when it is the backend: told,
    Keras does what it does on installs without TensorFlow. Call it after Keras is imported, before anything imports
    TensorFlow (then it does nothing). Checked on Keras 3.15.1: its lazy `tensorflow` module keeps the answer in
    `_available`, which its `available` property returns once set. The check: `available` is now False and
    TensorFlow still not imported; otherwise the old answer is put back (Keras imports TensorFlow: slower, the same
    model)."""
    if not enabled("tensorflow_absent") or "tensorflow" in sys.modules:
        return False
    try:
        from keras.src.utils.module_utils import tensorflow
    except ImportError:
        log.debug("keras_shims: no keras.src.utils.module_utils.tensorflow in this Keras; TensorFlow stays importable")
        return False
    if "_available" not in vars(tensorflow):  # renamed: setting it would tell Keras nothing
        log.debug("keras_shims: Keras' lazy tensorflow module has no _available; TensorFlow stays importable")
        return False
    before = tensorflow._available
    tensorflow._available = False
    try:
        told = tensorflow.available is False and "tensorflow" not in sys.modules
    except Exception:  # `available` gone or changed: whatever it is, the public path
        told = False
    if told:
        return True
    tensorflow._available = before
    log.debug("keras_shims: Keras did not take TensorFlow for absent; left as it was")
    return False


def load_model(path: str | os.PathLike) -> Any:
    """The Keras model stored at `path` (not compiled: it only predicts), without running its initializers.

    Keras builds a loaded model as a new one, running every weight's initializer (under JAX a small compiled program
    each), then overwrites the weights with the file's. Here the model is built in a stateless scope, where Keras
    defers initializers and keeps the file's values as the scope's, and each weight is then initialized with its
    stored value through Keras' own deferred initialization; variables the file does not hold (seed generators'
    states) keep their initializers. Checked on Keras 3.15.1 (`Variable._initializer`, `initialize_all_variables`,
    the `uninitialized_variables` global). The check: the model's weights are the file's, every one (read from its
    `model.weights.h5` with h5py); on any difference, a missing internal or an error, Keras' own load (a file that
    cannot load raises Keras' own error there), with a log line."""
    import keras

    if not enabled("initializer_free_load"):
        return keras.models.load_model(path, compile=False)
    try:
        from keras.src.backend.common import global_state
        from keras.src.backend.common.variables import initialize_all_variables
    except ImportError:
        log.debug("keras_shims: this Keras lacks the internals of the initializer-free load; Keras' own load")
        return keras.models.load_model(path, compile=False)
    stored = _file_weights(path)
    if stored is None:  # not a zip with the weights where Keras 3.15 puts them: Keras knows what it is
        return keras.models.load_model(path, compile=False)
    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            model = keras.models.load_model(path, compile=False)
        for variable in model.variables:
            value = scope.get_current_value(variable)
            if value is not None:
                variable._initializer = _stored(value)
        initialize_all_variables()
        differs = _difference(model, stored)
    except Exception as exc:  # whatever went wrong, Keras' own load is the answer (or raises Keras' own error)
        global_state.set_global_attribute("uninitialized_variables", pending)  # nothing half built left to Keras
        log.debug("keras_shims: the initializer-free load failed (%s: %s); Keras' own load", type(exc).__name__, exc)
        return keras.models.load_model(path, compile=False)
    except BaseException:
        global_state.set_global_attribute("uninitialized_variables", pending)
        raise
    if differs:
        log.warning("keras_shims: the initializer-free load of %s gave %s; loaded by Keras' own load", path, differs)
        return keras.models.load_model(path, compile=False)
    return model


def _stored(value: Any) -> Any:
    """An initializer that gives a weight its stored value."""
    return lambda shape, dtype=None: value


def _file_weights(path: str | os.PathLike) -> list[np.ndarray] | None:
    """Every weight array a `.keras` file holds for its layers (not its optimizer's state), in no set order; None
    when it is not a zip archive with a `model.weights.h5`."""
    import io
    import zipfile

    import h5py  # a dependency of Keras, which imports it to load the same file

    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(WEIGHTS)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    arrays: list[np.ndarray] = []

    def keep(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset) and name.split("/")[0] != OPTIMIZER:
            arrays.append(item[()])

    with h5py.File(io.BytesIO(data), "r") as weights:
        weights.visititems(keep)
    return arrays


def _difference(model: Any, stored: list[np.ndarray]) -> str | None:
    """What differs between the model's weights and the file's `stored` ones, as a multiset of arrays (shape and
    every value); None when nothing does."""
    import keras
    import numpy as np

    loaded = [keras.ops.convert_to_numpy(weight) for weight in model.weights]  # seed generators' states excluded
    if len(loaded) != len(stored):
        return f"{len(loaded)} weights where the file holds {len(stored)}"
    unmatched = list(range(len(loaded)))
    for array in stored:
        match = next((i for i in unmatched if np.array_equal(loaded[i], array, equal_nan=True)), None)
        if match is None:
            return f"no weight equal to the file's {array.shape} array"
        unmatched.remove(match)
    return None
