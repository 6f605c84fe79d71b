"""The README's worked example is what the demo prints: scripts/readme_example.py writes it, and a slow test runs the
demo's commands again and compares (the training's wall time aside)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "readme_example.py"


def script():
    spec = importlib.util.spec_from_file_location("readme_example", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_has_both_blocks_between_their_markers():
    found = script().blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert set(found) == {"train", "predict"}
    assert found["train"].startswith("trained ^GSPC v1 on 2012-01-03 to 2016-12-30")
    assert "verdict: " in found["predict"] and "evidence: model v1" in found["predict"]


def test_the_output_is_trimmed_as_the_readme_shows_it():
    made = script()
    rows = [f"│ 2017-01-{day:02d} │ {day:7.2f} │" for day in range(3, 9)]
    output = "\n".join(["title   ", "┏━┓", *rows, "└─┘", "  forecast: model, recursive", "verdict: x",
                        "model saved in /tmp/x"])  # fmt: skip
    assert made.trimmed(output).splitlines() == ["title", "┏━┓", rows[0], rows[1], "│ ...        │         │",
                                                  rows[-1], "└─┘", "verdict: x"]  # fmt: skip


def test_check_compares_all_but_the_training_time():
    made = script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    same = made.blocks(readme)
    assert made.differences(readme, same) == []
    timed = {**same, "train": made.TIME.sub(" in 99.9 s on ", same["train"], count=1)}
    assert made.differences(readme, timed) == []
    changed = {**same, "predict": same["predict"].replace("verdict: ", "verdict: changed ", 1)}
    [diff] = made.differences(readme, changed)
    assert diff.startswith("block predict:") and "+verdict: changed " in diff
    assert made.blocks(made.replaced(readme, changed))["predict"] == changed["predict"]


@pytest.mark.slow
def test_the_readme_example_is_what_the_demo_prints():
    """Runs the demo's train and predict (about 40 s on 2 cores). When it fails, the README's example no longer
    matches the code: run `python scripts/readme_example.py` and read the diff before committing it."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
