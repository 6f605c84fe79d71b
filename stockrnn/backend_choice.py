"""Backend choice: which library Keras runs on in this process (JAX, TensorFlow or PyTorch), and why.

Input: the backend asked for (`--backend`, $STOCKRNN_BACKEND, else `auto`), the libraries installed and the GPUs the
driver shows. Output: the backend's name, set as $KERAS_BACKEND for this process and the ones it starts, the reason
it was chosen, and its libraries' versions.

`auto` where the driver shows no NVIDIA GPU is JAX (its compiled steps train an LSTM several times faster than
TensorFlow's on a CPU, docs/backends.md), else the first of TensorFlow and PyTorch installed. Where it shows one,
`auto` takes the first of TensorFlow (cuDNN's LSTM kernel), JAX and PyTorch that is installed and sees the GPU, and
the CPU rule when none does (docs/gpu.md). What each library sees is asked of it in a process of its own (`probe`):
importing it here would fix this process's backend and cost seconds. The answers are kept under the home folder
(`cache/devices.json`) until the libraries, the driver or $CUDA_VISIBLE_DEVICES change; `stockrnn info` asks again.

Keras runs on one backend per process: the choice is made before Keras is imported and holds until the process
ends. Nothing here imports Keras or a backend library (the model runtime, `backend`, does), so that the command line
can choose for `--help` and for the worker processes it starts without paying for them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from .errors import UsageError

BACKENDS = ("jax", "tensorflow", "torch")
CHOICES = ("auto", *BACKENDS)
ENV = "STOCKRNN_BACKEND"
LIBRARIES = {"jax": ("jax", "jaxlib"), "tensorflow": ("tensorflow",), "torch": ("torch",)}
GPU_ORDER = ("tensorflow", "jax", "torch")  # auto where a GPU is visible: TensorFlow first for cuDNN's LSTM kernel
CPU_ORDER = ("jax", "tensorflow", "torch")  # auto on a CPU (docs/backends.md)
PROBE_SECONDS = 180  # for one library to import and list its devices (TensorFlow: 5-10 s on 2 busy cores)
# A probe lists devices and nothing more: JAX would otherwise take 75% of the GPU's memory for it, and TensorFlow
# would log its start-up lines (captured and dropped, but slower).
PROBE_ENV = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
NOT_INSTALLED = "not installed"
NOT_ASKED = "not asked (no GPU visible)"

# Seen: what each backend sees, e.g. {"jax": ["GPU:0"], "tensorflow": "not installed", "torch": ["CPU:0", "GPU:0"]};
# a string says why a backend could not list any device.
Seen = dict[str, list[str] | str]


def gpu_visible() -> bool:
    """Whether an NVIDIA GPU is there for this process, asked of the driver without importing anything."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    return any(Path("/proc/driver/nvidia/gpus").glob("*"))


def installed(name: str) -> bool:
    """Whether the library `name` can be imported here (found, not imported; a None entry in sys.modules, the
    import system's way of saying "not importable", counts as absent)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent that cannot import, or a module without a spec
        return False


def gpus(devices: list[str] | str) -> list[str]:
    """The GPUs among `devices` (none when it is a reason instead of a list)."""
    return [d for d in devices if d.startswith("GPU")] if isinstance(devices, list) else []


def _asked_for(requested: str | None) -> str:
    """What was asked for: `requested`, else $STOCKRNN_BACKEND, else auto; any case."""
    return (requested or os.environ.get(ENV) or "auto").strip().lower()


def choose(requested: str | None = None) -> str:
    """The backend `requested` (else $STOCKRNN_BACKEND, else auto) names, `auto` resolved for this machine."""
    return _choice(requested)[0]


def _choice(requested: str | None) -> tuple[str, str]:
    """The backend `requested` names and why it is the one; a `UsageError` when it is unknown or not installed."""
    name = _asked_for(requested)
    if name not in CHOICES:
        raise UsageError(f"--backend must be one of {', '.join(CHOICES)}, not {name!r}")
    if name == "auto":
        return _auto()
    if not installed(name):
        extra = f"pip install 'stockrnn[{name}]'" if name == "torch" else f"pip install {name}"
        raise UsageError(f"--backend {name}: {name} is not installed here ({extra}), or choose another backend")
    return name, f"asked for by --backend or ${ENV}"


def _auto() -> tuple[str, str]:
    """`auto`'s backend for this machine, and why."""
    if not gpu_visible():
        name = _on_the_cpu()
        return name, "auto: no GPU visible" if name == "jax" else "auto: no GPU visible, JAX not installed"
    found = seen()
    passed: list[str] = []  # why each backend before the chosen one was passed over
    for name in GPU_ORDER:
        if on := gpus(found.get(name, NOT_INSTALLED)):
            because = f"auto: an NVIDIA GPU is visible and {name} sees it ({', '.join(on)})"
            return name, because + "".join(f"; {reason}" for reason in passed)
        passed.append(f"{name}: {_seen_as_text(found.get(name, NOT_INSTALLED))}")
    name = _on_the_cpu()
    return (
        name,
        f"auto: an NVIDIA GPU is visible but no installed backend sees it ({'; '.join(passed)}): {name} on the CPU",
    )


def _on_the_cpu() -> str:
    """The CPU rule: the first of CPU_ORDER installed."""
    for name in CPU_ORDER:
        if installed(name):
            return name
    raise UsageError("no Keras backend is installed here: pip install jax (or tensorflow, or torch)")


def _seen_as_text(devices: list[str] | str) -> str:
    if isinstance(devices, str):
        return devices
    return f"sees no GPU ({', '.join(devices) or 'no device'})"


def seen(fresh: bool = False, known: Seen | None = None) -> Seen:
    """What each backend sees: `known` answers (the running backend's own), else the answers kept under the home
    folder for these libraries, driver and $CUDA_VISIBLE_DEVICES, else (or when `fresh`) a probe of each installed
    library, all at once; kept for the next command (a home that cannot be written only costs the probes again)."""
    from .paths import atomic_write_text, home

    stamp = _fingerprint()
    path = home() / "cache" / "devices.json"
    answers: Seen = {}
    if not fresh:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if kept.get("fingerprint") == stamp:
                answers = kept["seen"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            answers = {}  # none kept yet, or unreadable: asked again
    answers = {**answers, **(known or {})}
    missing = [name for name in BACKENDS if name not in answers and installed(name)]
    answers |= {name: NOT_INSTALLED for name in BACKENDS if name not in answers and name not in missing}
    if missing or known or fresh:
        answers |= probe(missing) if missing else {}
        try:
            atomic_write_text(path, json.dumps({"fingerprint": stamp, "seen": answers}, indent=1))
        except OSError:
            pass
    return {name: answers[name] for name in BACKENDS}


def for_info(known: Seen) -> Seen:
    """What `stockrnn info` lists: where a GPU is visible, what each installed library sees, asked again (`seen`,
    `known` holding the running backend's own answer); elsewhere `known` and, for the others, that they were not
    asked: without a GPU they could list only the CPU, and asking costs seconds (TensorFlow's import)."""
    if gpu_visible():
        return seen(fresh=True, known=known)
    return {name: known.get(name) or (NOT_ASKED if installed(name) else NOT_INSTALLED) for name in BACKENDS}


def _fingerprint() -> dict:
    """What the answers of `seen` depend on: the Python and its backend libraries' versions, the driver and its
    GPUs, and the variables that hide devices from the libraries."""
    driver = Path("/proc/driver/nvidia/version")
    return {
        "python": sys.executable,
        "libraries": {name: library_versions(name) if installed(name) else None for name in BACKENDS},
        "driver": driver.read_text(errors="replace").splitlines()[0] if driver.is_file() else None,
        "gpus": sorted(p.name for p in Path("/proc/driver/nvidia/gpus").glob("*")),
        "environment": {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS", "JAX_PLATFORM_NAME")},
    }


PROBE = (
    "import json, sys; from stockrnn.backend import library_devices; print(json.dumps(library_devices(sys.argv[1])))"
)


def probe(names: list[str]) -> Seen:
    """The devices each backend library of `names` sees, each asked in a new Python process, all at once; for a
    library that cannot answer (it fails to import, or takes over PROBE_SECONDS), the last line it wrote instead."""
    package_root = str(Path(__file__).resolve().parent.parent)  # so that the probe imports this very stockrnn
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, **PROBE_ENV, "PYTHONPATH": path}
    running = {
        name: subprocess.Popen(
            [sys.executable, "-c", PROBE, name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for name in names
    }
    answers: Seen = {}
    for name, process in running.items():
        try:
            out, err = process.communicate(timeout=PROBE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            answers[name] = f"no answer in {PROBE_SECONDS} s"
            continue
        try:
            answers[name] = [str(device) for device in json.loads(out.strip().splitlines()[-1])]
        except (ValueError, IndexError, TypeError):
            last = next((line.strip() for line in reversed(err.splitlines()) if line.strip()), "")
            answers[name] = f"cannot list its devices ({last[:200] or f'exit {process.returncode}'})"
    return answers


def running() -> str | None:
    """The backend Keras runs on in this process, or None before Keras is imported."""
    return sys.modules["keras"].config.backend() if "keras" in sys.modules else None


def use(requested: str | None = None) -> str:
    """Make `requested` (see `choose`) this process's backend, and that of the processes it starts."""
    global _reason, _chosen
    name, reason = _choice(requested)
    now = running()
    if now is not None and now != name:
        raise UsageError(f"--backend {name}: this process already runs Keras on {now}; a new process can run {name}")
    _reason, _chosen = reason, name
    os.environ["KERAS_BACKEND"] = name  # what Keras reads when imported, here and in the processes started from here
    return name


_reason: str | None = None  # why `use` chose what it chose (for `why`)
_chosen: str | None = None  # what it chose


def chosen() -> str:
    """The backend `use` chose; when nothing was asked for yet, `use` chooses now (from $STOCKRNN_BACKEND, else
    auto). What the runtime calls before it imports Keras."""
    return _chosen or use()


def name() -> str:
    """This process's backend: the one running, else the one Keras would be imported on now."""
    return running() or _chosen or choose()


def why() -> str:
    """How this process's backend was chosen, for `stockrnn info`."""
    return _reason or _choice(None)[1]


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
