"""Backend: the one module that imports Keras and its backend library, and what it offers the others."""

import ast
from pathlib import Path

import numpy as np

from stockrnn import backend
from stockrnn.model import build

from .conftest import tiny_config

PACKAGE = Path(backend.__file__).parent
BACKEND_LIBRARIES = {"tensorflow", "jax", "torch", "keras"}


def imported(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_backend_imports_the_backend_libraries():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    found = {str(p.relative_to(PACKAGE)): imported(p) & BACKEND_LIBRARIES for p in modules if p.name != "backend.py"}
    assert {name: libraries for name, libraries in found.items() if libraries} == {}
    assert {"tensorflow", "keras"} <= imported(PACKAGE / "backend.py")


def test_a_model_survives_the_trip_through_bytes():
    model = build(tiny_config())
    data = backend.model_to_bytes(model)
    assert data[:2] == b"PK"  # a .keras file is a zip archive
    x = np.linspace(0, 1, 3 * 20, dtype="float32").reshape(3, 20, 1)
    np.testing.assert_array_equal(model.predict(x, verbose=0), backend.model_from_bytes(data).predict(x, verbose=0))


def test_versions_and_devices():
    assert set(backend.versions()) == {"tensorflow", "keras"} and backend.versions()["keras"].startswith("3.")
    assert "CPU:0" in backend.devices() and backend.training_device() in backend.devices()
