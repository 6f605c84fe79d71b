"""Info: what this installation is and what it runs on (versions, folders, the backend and the devices it sees)."""

from __future__ import annotations

import platform

from .. import __version__, backend, backend_choice, ledger, parallel, registry
from ..paths import home


def info() -> dict:
    """Versions, the home folder and its models, the backend's devices (this imports the backend), and, where a GPU
    is visible, the devices each installed backend sees (each other one asked in a process of its own: seconds)."""
    found = backend.devices()
    running = backend_choice.name()
    return {
        "stockrnn": __version__,
        "python": platform.python_version(),
        "backend": running,
        "backend_reason": backend_choice.why(),  # why this backend: "auto: no GPU visible", "--backend", ...
        **backend_choice.library_versions(),
        "home": str(home()),
        "symbols": registry.symbols(),
        "ledger": {"path": str(ledger.path()), "forecasts": ledger.count()},  # stockrnn track scores them
        "devices": found,
        "gpu": any(d.startswith("GPU") for d in found),
        # e.g. {"jax": ["GPU:0"], "tensorflow": "not installed", "torch": ["CPU:0", "GPU:0"]}: what auto chose from
        "backends": backend_choice.for_info({running: found}),
        "dask": parallel.dask_versions()["distributed"],  # None: pip install 'stockrnn[dask]' for --dask
        "dask_scheduler": parallel.configured(),  # from STOCKRNN_DASK: what --dask defaults to
    }
