"""Info: what this installation is and what it runs on (versions, folders, the devices TensorFlow sees)."""

from __future__ import annotations

import platform
from importlib.metadata import version

from . import __version__, store
from .model import devices


def info() -> dict:
    """Versions, the home folder and its models, and TensorFlow's devices (this imports TensorFlow)."""
    found = devices()
    return {
        "stockrnn": __version__,
        "python": platform.python_version(),
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
        "home": str(store.home()),
        "symbols": store.symbols(),
        "devices": found,
        "gpu": any(d.startswith("GPU") for d in found),
    }
