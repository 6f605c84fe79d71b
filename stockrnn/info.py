"""Info: what this installation is and what it runs on (versions, folders, the devices TensorFlow sees)."""

from __future__ import annotations

import platform
from importlib.metadata import version

from . import __version__, store
from .model import devices


def info() -> dict:
    """Versions, the home folder and its models, and TensorFlow's devices (this imports TensorFlow)."""
    found = devices()
    models = store.home() / "models"
    return {
        "stockrnn": __version__,
        "python": platform.python_version(),
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
        "home": str(store.home()),
        "symbols": sorted(p.name for p in models.iterdir() if (p / store.CURRENT_FILE).is_file())
        if models.is_dir()
        else [],
        "devices": found,
        "gpu": any(d.startswith("GPU") for d in found),
    }
