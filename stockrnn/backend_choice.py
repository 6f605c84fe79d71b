"""Backend choice: which library Keras runs on in this process (JAX, TensorFlow or PyTorch), and why.

Input: the backend asked for (`--backend`, $STOCKRNN_BACKEND, else `auto`), the libraries installed and the GPUs the
driver shows. Output: the backend's name, set as $KERAS_BACKEND for this process and the ones it starts, the reason
it was chosen, and its libraries' versions. `auto` is JAX on a CPU (its compiled steps train an LSTM several times
faster than TensorFlow's there, docs/backends.md) and TensorFlow where an NVIDIA GPU is visible (cuDNN's LSTM
kernel). Keras runs on one backend per process: the choice is made before Keras is imported and holds until the
process ends. Nothing here imports Keras or a backend library (the model runtime, `backend`, does), so that the
command line can choose for `--help` and for the worker processes it starts without paying for them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from .errors import UsageError

BACKENDS = ("jax", "tensorflow", "torch")
CHOICES = ("auto", *BACKENDS)
ENV = "STOCKRNN_BACKEND"
LIBRARIES = {"jax": ("jax", "jaxlib"), "tensorflow": ("tensorflow",), "torch": ("torch",)}


def gpu_visible() -> bool:
    """Whether an NVIDIA GPU is there for this process, asked of the driver without importing anything."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    return any(Path("/proc/driver/nvidia/gpus").glob("*"))


def installed(name: str) -> bool:
    """Whether the library `name` can be imported here (found, not imported)."""
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


def chosen() -> str:
    """The backend `use` chose; when nothing was asked for yet, `use` chooses now (from $STOCKRNN_BACKEND, else
    auto). What the runtime calls before it imports Keras."""
    return _chosen or use()


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


def library_versions(backend: str | None = None) -> dict[str, str]:
    """The versions of the backend's libraries and Keras, for manifests and `stockrnn info` (reads metadata)."""
    from importlib.metadata import PackageNotFoundError, version  # imported here: `stockrnn --help` does not need it

    found = {}
    for library in (*LIBRARIES[backend or name()], "keras"):
        try:
            found[library] = version(library)
        except PackageNotFoundError:
            continue
    return found
