"""Backend: the one module that imports Keras and the library it runs on: JAX, TensorFlow or PyTorch.

Input: the backend asked for (`--backend`, $STOCKRNN_BACKEND, else `auto`) and the process environment. Output: the
Keras module on that backend, seeding, thread limits, the devices it sees, the versions it runs, models as bytes, and
predictions in one fixed shape. `auto` is JAX on a CPU (its compiled steps train an LSTM several times faster than
TensorFlow's there, docs/backends.md) and TensorFlow where an NVIDIA GPU is visible (cuDNN's LSTM kernel). Keras
runs on one backend per process: the choice is made before Keras is imported and holds until the process ends.
Imports are lazy, so that the command line answers `--help` without them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:  # numpy is imported where it is used: `stockrnn --help` does not need it (0.1 s of 0.5)
    import numpy as np

BACKENDS = ("jax", "tensorflow", "torch")
CHOICES = ("auto", *BACKENDS)
ENV = "STOCKRNN_BACKEND"
LIBRARIES = {"jax": ("jax", "jaxlib"), "tensorflow": ("tensorflow",), "torch": ("torch",)}
# Windows one compiled prediction call takes: every prediction (validation, one-step, each step of a recursive path)
# is padded to a multiple of it, so that a model compiles its prediction once, whatever the number of windows.
PREDICT_ROWS = 64
UNUSED_BY_KERAS = ("sklearn", "matplotlib")
CACHE_LIMIT = 256 * 2**20  # bytes of compiled programs kept under the home folder (JAX evicts the oldest)

log = logging.getLogger("stockrnn")


def gpu_visible() -> bool:
    """Whether an NVIDIA GPU is there for this process, asked of the driver without importing anything."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    return any(Path("/proc/driver/nvidia/gpus").glob("*"))


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _asked_for(requested: str | None) -> str:
    """What was asked for: `requested`, else $STOCKRNN_BACKEND, else auto; any case."""
    return (requested or os.environ.get(ENV) or "auto").strip().lower()


def choose(requested: str | None = None) -> str:
    """The backend `requested` (else $STOCKRNN_BACKEND, else auto) names, `auto` resolved for this machine."""
    name = _asked_for(requested)
    if name not in CHOICES:
        raise UsageError(f"--backend must be one of {', '.join(CHOICES)}, not {name!r}")
    if name == "auto":
        return "tensorflow" if gpu_visible() or not installed("jax") else "jax"
    if not installed(name):
        extra = f"pip install 'stockrnn[{name}]'" if name == "torch" else f"pip install {name}"
        raise UsageError(f"--backend {name}: {name} is not installed here ({extra}), or choose another backend")
    return name


def running() -> str | None:
    """The backend Keras runs on in this process, or None before Keras is imported."""
    return sys.modules["keras"].config.backend() if "keras" in sys.modules else None


def use(requested: str | None = None) -> str:
    """Make `requested` (see `choose`) this process's backend, and that of the processes it starts."""
    global _asked, _chosen
    name = choose(requested)
    now = running()
    if now is not None and now != name:
        raise UsageError(f"--backend {name}: this process already runs Keras on {now}; a new process can run {name}")
    _asked, _chosen = _asked_for(requested), name
    os.environ["KERAS_BACKEND"] = name  # what Keras reads when imported, here and in the processes started from here
    return name


_asked, _chosen = "auto", None  # what `use` was last asked for (for `why`), and what it chose


def name() -> str:
    """This process's backend: the one running, else the one Keras would be imported on now."""
    return running() or _chosen or choose()


def why() -> str:
    """How this process's backend was chosen, for `stockrnn info`."""
    if _asked != "auto":
        return f"asked for by --backend or ${ENV}"
    if gpu_visible():
        return "auto: an NVIDIA GPU is visible"
    return "auto: no GPU visible" if installed("jax") else "auto: no GPU visible, JAX not installed"


def keras() -> Any:
    """Import Keras 3 on this process's backend (`use`), without the backend's start-up chatter on stderr.

    Setting TF_CPP_MIN_LOG_LEVEL yourself (e.g. to 0) brings TensorFlow's messages back.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    backend = _chosen or use()
    if backend == "jax":
        _configure_jax()
    elif backend == "tensorflow":
        _import_tensorflow()
    # Keras imports scikit-learn (for its scikit-learn wrappers) and matplotlib (image galleries) when it finds
    # them: 2 of a JAX command's 5 seconds of start-up on 2 cores, for parts stockrnn never calls. Hidden while it
    # loads, Keras takes them for absent (as it does on installs without them); imported later, they load as usual.
    hidden = [name for name in UNUSED_BY_KERAS if name not in sys.modules]
    sys.modules.update(dict.fromkeys(hidden))
    try:
        import keras as k
    finally:
        for name in hidden:
            del sys.modules[name]
    if backend != "tensorflow":
        _tensorflow_absent_for_keras()
    return k


def _tensorflow_absent_for_keras() -> None:
    """Saving a model, Keras asks whether TensorFlow can be imported, to recognise TensorFlow's shapes and dtypes
    among its settings, and finds out by importing it: 5 s and 500 MB of a JAX `train`, for objects that no model
    built on another backend holds. Keras is told it is absent (what it finds on installs without it)."""
    try:
        from keras.src.utils.module_utils import tensorflow
    except ImportError:  # another Keras layout: it imports TensorFlow, slower but the same model
        return
    if "tensorflow" not in sys.modules:
        tensorflow._available = False


def _configure_jax() -> None:
    """JAX keeps what it compiles under the home folder, so that the next process (tomorrow's retrain, a backtest's
    next fold) loads a training step instead of compiling it again; even the smallest programs are kept, since the
    model's start-up compiles dozens of them. $JAX_COMPILATION_CACHE_DIR, when set, is used instead."""
    import jax

    from .paths import home

    folder = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(home() / "cache" / "jax")
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_compilation_cache_max_size", CACHE_LIMIT)
    # A cache that cannot be written (a read-only home) costs only compilations: JAX's warnings about it stay out of
    # the log, which says what stockrnn did, not what a cache could not keep.
    logging.getLogger("jax._src.compilation_cache").setLevel(logging.ERROR)


def _import_tensorflow() -> None:
    """Import TensorFlow without the C++ lines some of its libraries log at load time, before any setting is read:
    the only way to keep those lines out of a cron mail is to point file descriptor 2 elsewhere while they load."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import tensorflow  # noqa: F401

        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # e.g. "triggered tf.function retracing" when a backtest trains one model per fold: advice for TensorFlow
    # developers, not for our users; errors still show.
    tf.get_logger().setLevel("ERROR")


def jit_compile(requested: bool) -> bool:
    """Keras' `jit_compile` for this backend: JAX always compiles (without it, Keras runs JAX op by op, 100x slower:
    the 294-second training of #14); TensorFlow compiles with XLA when asked (--jit-compile); PyTorch's
    torch.compile costs more than it saves on a network this small."""
    return {"jax": True, "tensorflow": requested, "torch": False}[name()]


def seed_everything(seed: int) -> None:
    """Same seed, same model on the CPU: seeds Python, NumPy, Keras' seed generators and the backend, and asks
    TensorFlow for deterministic ops. Like `keras.utils.set_random_seed`, but that imports TensorFlow whatever the
    backend (three seconds of a JAX process's start)."""
    k = keras()
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        k.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        return
    try:
        from keras.src.backend.common import global_state
        from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:  # another Keras layout: its own function
        k.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, None)  # remade from the seed when next drawn
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if backend == "torch":
        import torch

        torch.manual_seed(seed)


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
    """Cap the backend's CPU threads, for processes that share the cores (parallel retraining). Set before the
    backend starts: once it has run an operation its pools are fixed, and a later call changes nothing."""
    backend = name()
    if backend == "jax":
        if "jax" in sys.modules:
            log.debug("JAX is already running; its threads are left as they are")
        elif threads == 1:  # XLA's CPU client has one switch: Eigen's thread pool or none
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false".strip()
        return
    keras()
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    except RuntimeError:  # "cannot be modified after initialization"
        log.debug("TensorFlow's thread pools are already running; left as they are")


def devices() -> list[str]:
    """The devices the backend sees, e.g. ['CPU:0', 'GPU:0']."""
    keras()
    backend = name()
    if backend == "jax":
        import jax

        return [
            f"{'GPU' if d.platform in ('gpu', 'cuda', 'rocm') else d.platform.upper()}:{d.id}" for d in jax.devices()
        ]
    if backend == "torch":
        import torch

        return ["CPU:0", *(f"GPU:{i}" for i in range(torch.cuda.device_count()))]
    import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]


def training_device() -> str:
    """Where training runs: the first GPU when the backend sees one, else the CPU."""
    return next((d for d in devices() if d.startswith("GPU")), "CPU:0")


def versions(backend: str | None = None) -> dict[str, str]:
    """The versions of the backend's libraries and Keras, for manifests and `stockrnn info` (reads metadata)."""
    from importlib.metadata import PackageNotFoundError, version  # imported here: `stockrnn --help` does not need it

    found = {}
    for library in (*LIBRARIES[backend or name()], "keras"):
        try:
            found[library] = version(library)
        except PackageNotFoundError:
            continue
    return found


def predict(model: Any, windows: np.ndarray) -> np.ndarray:
    """The model's outputs (n,) for windows (n, window, 1), PREDICT_ROWS at a time, the last call padded with
    zeros: one compiled call serves any n, in this process and, through JAX's cache, in the next."""
    import numpy as np

    windows = np.asarray(windows, dtype="float32")
    n = len(windows)
    batch = np.zeros((PREDICT_ROWS, *windows.shape[1:]), dtype="float32")  # (PREDICT_ROWS, window, 1)
    outputs = np.empty(n, dtype="float64")
    for start in range(0, n, PREDICT_ROWS):
        part = windows[start : start + PREDICT_ROWS]
        batch[: len(part)] = part
        batch[len(part) :] = 0.0
        outputs[start : start + len(part)] = np.asarray(model.predict_on_batch(batch))[: len(part), 0]
    return outputs


def model_to_bytes(model: Any) -> bytes:
    """A Keras model as the bytes of its `.keras` file: what a worker returns and the registry stores. The file is
    the same whatever the backend, and loads on any of them."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stockrnn-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Any:
    """The Keras model of `.keras` file bytes (not compiled: it only predicts)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stockrnn-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return load_model(path)


def load_model(path: str | os.PathLike) -> Any:
    """The Keras model stored at `path` (not compiled: it only predicts).

    Keras builds a loaded model as a new one, running every weight's initializer (under JAX a small compiled program
    each: 0.4 s of a 3.5 s `predict` on 2 cores), then overwrites the weights with the file's. Here the model is built
    in a stateless scope, where Keras defers initializers, and each weight is then initialized with its stored value
    through Keras' own deferred initialization; weights the file does not hold (seed generators' states) keep their
    initializers. Without those Keras internals (another Keras layout), a plain load: slower, the same model."""
    k = keras()
    try:
        from keras.src.backend.common import global_state
        from keras.src.backend.common.variables import initialize_all_variables
    except ImportError:
        return k.models.load_model(path, compile=False)
    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with k.StatelessScope(initialize_variables=False) as scope:
            model = k.models.load_model(path, compile=False)
    except BaseException:  # a model half built from a bad file leaves no variables for Keras to initialize later
        global_state.set_global_attribute("uninitialized_variables", pending)
        raise
    for variable in model.variables:
        value = scope.get_current_value(variable)
        if value is not None:
            variable._initializer = _stored(value)
    initialize_all_variables()
    return model


def _stored(value: Any) -> Any:
    """An initializer that gives a weight its stored value."""
    return lambda shape, dtype=None: value
