"""Backend: the model runtime, the one module that imports Keras and the library it runs on (JAX, TensorFlow or
PyTorch), beside keras_shims, which holds what touches Keras' internals.

Input: the backend `backend_choice` chose for this process. Output: the Keras module on that backend, seeding,
thread limits, how worker processes share a GPU, the devices it sees, models as bytes and back, and predictions in
one fixed shape. Imports are lazy, so that the command line answers `--help` without them.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import backend_choice, keras_shims
from .errors import UsageError

if TYPE_CHECKING:  # numpy is imported where it is used: `stockrnn --help` does not need it (0.1 s of 0.5)
    import numpy as np

# Windows one compiled prediction call takes: every prediction (validation, one-step, each step of a recursive path)
# is padded to a multiple of it, so that a model compiles its prediction once, whatever the number of windows.
PREDICT_ROWS = 64
UNUSED_BY_KERAS = ("sklearn", "matplotlib")
CACHE_LIMIT = 256 * 2**20  # bytes of compiled programs kept under the home folder (JAX evicts the oldest)
# The share of a GPU's memory one JAX process may take (JAX's own default): a parallel run's workers split it.
GPU_MEMORY_FRACTION = 0.75

log = logging.getLogger("stockrnn")


def keras() -> Any:
    """Import Keras 3 on this process's backend (`backend_choice.use`), without the backend's start-up chatter on
    stderr.

    Setting TF_CPP_MIN_LOG_LEVEL yourself (e.g. to 0) brings TensorFlow's messages back.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    backend = backend_choice.chosen()
    try:
        if backend == "jax":
            _configure_jax()
        elif backend == "tensorflow":
            _import_tensorflow()
        k = _import_keras()
    except ImportError as exc:  # installed but broken (a missing CUDA library, a mismatched build): one line, no trace
        raise UsageError(f"--backend {backend}: {backend} cannot be imported here ({exc}); choose another") from None
    if backend != "tensorflow":
        # Saving a model and seeding, Keras would import TensorFlow to learn whether it is there (seconds, hundreds
        # of MB: bench/bench_shims.py); nothing of TensorFlow's is in a model built on another backend.
        keras_shims.tensorflow_absent()
    return k


def _import_keras() -> Any:
    """Import Keras without the optional libraries it would load for nothing.

    Keras imports scikit-learn (for its scikit-learn wrappers) and matplotlib (image galleries) when it finds them: 2
    of a JAX command's 5 seconds of start-up on 2 cores, for parts stockrnn never calls. Hidden while it loads, Keras
    takes them for absent (as it does on installs without them); imported later, they load as usual."""
    hidden = [name for name in UNUSED_BY_KERAS if name not in sys.modules]
    # A None entry makes an import raise ModuleNotFoundError (the import system documents it); typeshed types
    # sys.modules as holding modules only.
    sys.modules.update(dict.fromkeys(hidden))  # type: ignore[arg-type]
    try:
        import keras
    finally:
        for name in hidden:
            del sys.modules[name]
    return keras


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
    the 294-second training measured before the backend choice); TensorFlow compiles with XLA when asked
    (--jit-compile); PyTorch's torch.compile costs more than it saves on a network this small."""
    return {"jax": True, "tensorflow": requested, "torch": False}[backend_choice.name()]


def seed_everything(seed: int) -> None:
    """Same seed, same model on the CPU: `keras.utils.set_random_seed` (Python, NumPy, Keras' shared seed generator,
    PyTorch), and TensorFlow's deterministic ops where it is the backend. Under JAX and PyTorch, Keras takes
    TensorFlow for absent (`keras_shims.tensorflow_absent`) and does not import it to seed it."""
    k = keras()
    k.utils.set_random_seed(seed)
    if backend_choice.name() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """`seed_everything` for the block that builds and trains a model. The model's initializers and Dropout layers
    carry seeds of their own, derived from the config's (`model.build`), so that nothing draws from Keras' shared
    generator or Python's shared `random`, which other threads of the process may draw from meanwhile (a Dask
    worker's do, or a second training): the same seed gives the same model in any process or thread."""
    seed_everything(seed)
    yield


def limit_threads(threads: int) -> None:
    """Cap the backend's CPU threads, for processes that share the cores (parallel retraining). Set before the
    backend starts: once it has run an operation its pools are fixed, and a later call changes nothing."""
    backend = backend_choice.name()
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


def share_gpu(settings: Mapping[str, str]) -> None:
    """Apply `gpu_sharing`'s settings in this worker process, before its backend starts (a backend already running
    keeps the memory it took)."""
    started = [library for library in ("jax", "tensorflow", "torch") if library in sys.modules]
    if started:
        log.debug("%s already running in this worker; its GPU memory settings are left as they are", started)
    os.environ.update(settings)


def gpu_sharing(environ: Mapping[str, str], jobs: int | None) -> dict[str, str]:
    """The environment under which worker processes share one GPU without taking more memory than it has, from the
    caller's `environ`, for `jobs` workers (None: an unknown number, as on a Dask cluster's machines).

    JAX takes 75% of the GPU's memory when it starts, so a second process on the same GPU fails: no worker
    preallocates (unless the user's environment says so), and each may take at most its share of the fraction the
    user set for one process (XLA_CLIENT_MEM_FRACTION, or the older XLA_PYTHON_CLIENT_MEM_FRACTION, which JAX also
    reads; JAX refuses both at once), else of JAX's own 75%. TensorFlow takes nearly all of it: it grows instead.
    PyTorch allocates as it goes and needs nothing. Settings for the libraries a worker does not run change
    nothing there."""
    settings = {
        "XLA_PYTHON_CLIENT_PREALLOCATE": environ.get("XLA_PYTHON_CLIENT_PREALLOCATE") or "false",
        "TF_FORCE_GPU_ALLOW_GROWTH": environ.get("TF_FORCE_GPU_ALLOW_GROWTH") or "true",
    }
    if jobs is not None:
        key = "XLA_CLIENT_MEM_FRACTION" if environ.get("XLA_CLIENT_MEM_FRACTION") else "XLA_PYTHON_CLIENT_MEM_FRACTION"
        try:
            fraction = float(environ.get(key) or GPU_MEMORY_FRACTION)
        except ValueError:  # JAX itself would refuse it; the workers get a share of JAX's default instead
            fraction = GPU_MEMORY_FRACTION
        share = math.floor(fraction / max(1, jobs) * 10_000) / 10_000  # rounded down: the shares never sum above
        settings[key] = f"{share:.4f}"
    return settings


def library_devices(name: str) -> list[str]:
    """The devices the backend library `name` sees, e.g. ['CPU:0', 'GPU:0'] (JAX on a GPU lists its GPUs only),
    asked of the library itself, not of Keras: `devices` for the running backend, and `backend_choice.probe` for the
    others, each in a process of its own."""
    if name == "jax":
        import jax

        return [
            f"{'GPU' if d.platform in ('gpu', 'cuda', 'rocm') else d.platform.upper()}:{d.id}" for d in jax.devices()
        ]
    if name == "torch":
        import torch

        return ["CPU:0", *(f"GPU:{i}" for i in range(torch.cuda.device_count()))]
    if "tensorflow" not in sys.modules:
        _import_tensorflow()
    import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]


def devices() -> list[str]:
    """The devices this process's backend sees, e.g. ['CPU:0', 'GPU:0'] (`library_devices`)."""
    keras()
    return library_devices(backend_choice.name())


_warned: set[str] = set()  # what `training_device` has said already in this process


def training_device() -> str:
    """Where training runs: the first GPU when the backend sees one, else the CPU. Where the driver shows an NVIDIA
    GPU that the backend does not see (a CPU build, missing CUDA libraries), a warning says so once: the fallback to
    the CPU is stated, not silent."""
    gpu = next((d for d in devices() if d.startswith("GPU")), None)
    backend = backend_choice.name()
    if gpu is None and backend_choice.gpu_visible() and backend not in _warned:
        _warned.add(backend)
        log.warning(
            "an NVIDIA GPU is visible but %s does not see it: it runs on the CPU (stockrnn info lists what each "
            "installed backend sees)",
            backend,
        )
    return gpu or "CPU:0"


def check_mixed_precision(cell: str) -> None:
    """Refuse --mixed-precision before training where this backend cannot train it in float16: JAX's LSTM on a GPU.

    There Keras runs the LSTM on cuDNN through jax.experimental.rnn, which jaxlib compiles for float32 and float64
    only (checked on jaxlib 0.10 and 0.11: "Unknown output type float16" when the training step compiles, past
    Keras' own fallback). JAX's GRU and SimpleRNN are plain loops that run float16; TensorFlow's and PyTorch's cuDNN
    LSTM take float16."""
    if cell == "lstm" and backend_choice.name() == "jax" and training_device().startswith("GPU"):
        raise UsageError(
            "--mixed-precision: JAX runs the LSTM on the GPU with cuDNN in float32 only; train without "
            "--mixed-precision (float32 on the GPU), or with --backend torch or --backend tensorflow"
        )


def predict(model: Any, windows: np.ndarray) -> np.ndarray:
    """The model's outputs (n,) for windows (n, window, 1), PREDICT_ROWS at a time, the last call padded with
    zeros: one compiled call serves any n, in this process and, through JAX's cache, in the next. For a model of
    one output per window; `predict_rows` gives every output."""
    return predict_rows(model, windows)[:, 0]


def predict_rows(model: Any, windows: np.ndarray) -> np.ndarray:
    """Every output of the model for each of the windows (n, window, 1), flattened: (n, k), k = 1 for one output
    per window, `window` for a many-to-many model, H for a direct head of H outputs; batched as `predict`."""
    import numpy as np

    windows = np.asarray(windows, dtype="float32")
    n = len(windows)
    batch = np.zeros((PREDICT_ROWS, *windows.shape[1:]), dtype="float32")  # (PREDICT_ROWS, window, 1)
    outputs: np.ndarray | None = None
    for start in range(0, n, PREDICT_ROWS):
        part = windows[start : start + PREDICT_ROWS]
        batch[: len(part)] = part
        batch[len(part) :] = 0.0
        rows = np.asarray(model.predict_on_batch(batch)).reshape(PREDICT_ROWS, -1)[: len(part)]
        if outputs is None:
            outputs = np.empty((n, rows.shape[1]), dtype="float64")
        outputs[start : start + len(part)] = rows
    return outputs if outputs is not None else np.empty((0, 1), dtype="float64")


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
    """The Keras model stored at `path` (not compiled: it only predicts), loaded without running the initializers
    of weights the file overwrites (`keras_shims.load_model`)."""
    keras()
    return keras_shims.load_model(path)
