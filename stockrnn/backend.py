"""Backend: the one module that imports Keras and the library it runs on (TensorFlow today).

Input: nothing but the process environment. Output: the Keras module, seeding, thread limits, the devices the
backend sees and the versions it runs. Everything else asks here, so that another backend (#11) is one change in
one file. Imports are lazy, so that the command line answers `--help` without them.
"""

from __future__ import annotations

import logging
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

BACKEND = "tensorflow"

log = logging.getLogger("stockrnn")


def keras() -> Any:
    """Import Keras 3 on TensorFlow, without TensorFlow's C++ start-up chatter on stderr.

    Setting TF_CPP_MIN_LOG_LEVEL yourself (e.g. to 0) brings all of TensorFlow's messages back.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("KERAS_BACKEND", BACKEND)
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras as k

        return k
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Some of TensorFlow's C++ libraries log at load time, before any setting is read: the only way to keep
    # those lines out of a cron mail is to point file descriptor 2 elsewhere while they load.
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras as k
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # e.g. "triggered tf.function retracing" when a backtest trains one model per fold: advice for TensorFlow
    # developers, not for our users; errors still show.
    tf.get_logger().setLevel("ERROR")
    return k


def seed_everything(seed: int) -> None:
    """Same seed, same model on the CPU: seeds Python, NumPy and TensorFlow, and asks for deterministic ops."""
    k = keras()
    import tensorflow as tf

    k.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """`seed_everything`, and while the block runs Keras draws its default seeds (weight initializers, seed
    generators) from a private `random.Random(seed)` instead of Python's shared one, which other threads of the
    process may draw from meanwhile (a Dask worker's do): the same seed then gives the same model in any process.
    The draws are the ones the shared generator would give right after `random.seed(seed)`."""
    seed_everything(seed)
    try:
        from keras.src.random import seed_generator
    except ImportError:  # another Keras layout: the shared generator, as seeded above
        yield
        return
    shared = seed_generator.python_random
    seed_generator.python_random = random.Random(seed)
    try:
        yield
    finally:
        seed_generator.python_random = shared


def limit_threads(threads: int) -> None:
    """Cap TensorFlow's CPU threads, for processes that share the cores (parallel retraining). Once TensorFlow has
    run an operation its pools are fixed: a later call changes nothing (a worker keeps its first setting)."""
    keras()
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    except RuntimeError:  # "cannot be modified after initialization"
        log.debug("TensorFlow's thread pools are already running; left as they are")


def devices() -> list[str]:
    """The devices TensorFlow sees, e.g. ['CPU:0', 'GPU:0']."""
    keras()
    import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]


def training_device() -> str:
    """Where training runs: the first GPU when the backend sees one, else the CPU."""
    return next((d for d in devices() if d.startswith("GPU")), "CPU:0")


def versions() -> dict[str, str]:
    """The versions of the backend's libraries, for manifests and `stockrnn info` (reads metadata, imports nothing)."""
    return {name: version(name) for name in (BACKEND, "keras")}


def model_to_bytes(model: Any) -> bytes:
    """A Keras model as the bytes of its `.keras` file: what a worker returns and the registry stores."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="stockrnn-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Any:
    """The Keras model of `.keras` file bytes (not compiled: it only predicts)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="stockrnn-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return load_model(path)


def load_model(path: str | os.PathLike) -> Any:
    """The Keras model stored at `path` (not compiled: it only predicts)."""
    return keras().models.load_model(path, compile=False)
