"""The version has one source, stockrnn/__init__.py's `__version__`, which pyproject.toml reads: the installed
package's metadata and `stockrnn --version` say the same."""

import ast
import importlib.metadata
import subprocess
import sys
import tomllib

import stockrnn

from .conftest import ROOT


def test_pyproject_reads_the_version_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "stockrnn.__version__"}
    # setuptools reads a plain literal from the file's text without importing the package; and the package imports
    # nothing, so that building the wheel never imports Keras or TensorFlow either way.
    module = ast.parse((ROOT / "stockrnn" / "__init__.py").read_text(encoding="utf-8"))
    assigned = [
        node
        for node in module.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
    ]
    assert len(assigned) == 1 and assigned[0].value.value == stockrnn.__version__
    assert not [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]


def test_installed_metadata_and_the_command_agree():
    installed = importlib.metadata.version("stockrnn")
    assert installed == stockrnn.__version__, "the installed metadata is stale: pip install -e . again (make does)"
    result = subprocess.run(
        [sys.executable, "-m", "stockrnn", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == f"stockrnn {installed}\n"
