"""Info: what this installation is and what it runs on (versions, folders, the backend and the devices it sees)."""

from __future__ import annotations

import platform

from .. import __version__, backend, backend_choice, ledger, parallel, registry
from ..paths import home


def info() -> dict:
    """Versions, the home folder and its models, and the backend's devices (this imports the backend)."""
    found = backend.devices()
    return {
        "stockrnn": __version__,
        "python": platform.python_version(),
        "backend": f"{backend_choice.name()} ({backend_choice.why()})",
        **backend_choice.library_versions(),
        "home": str(home()),
        "symbols": registry.symbols(),
        "ledger": f"{ledger.count()} recorded forecasts in {ledger.path()}",  # stockrnn track scores them
        "devices": found,
        "gpu": any(d.startswith("GPU") for d in found),
        "dask": parallel.dask_versions()["distributed"],  # None: pip install 'stockrnn[dask]' for --dask
        "dask_scheduler": parallel.configured(),  # from STOCKRNN_DASK: what --dask defaults to
    }
