"""scripts/study.py: docs/study.md's blocks are what the script renders from the saved run (the page cannot drift
from its JSON); a run with several k and eras renders every k, each era with its p, and "not run yet" where a row
is missing."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from typer.testing import CliRunner

from stockrnn.cli import app as cli
from stockrnn.panel_controls import planted_reversal_panel

from .conftest import ROOT
from .test_study import write_panel

SCRIPT = ROOT / "scripts" / "study.py"


def script():
    sys.path.insert(0, str(SCRIPT.parent))  # the script imports docblock from its own folder
    spec = importlib.util.spec_from_file_location("study_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_holds_what_the_script_renders_from_the_saved_run():
    made = script()
    records = json.loads((ROOT / "docs" / "study_results.json").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "study.md").read_text(encoding="utf-8")
    text = made.render(records)
    assert text in page
    assert made.controls_table(json.loads((ROOT / "docs" / "study_controls.json").read_text())) in page
    assert (
        "| this panel, the paper's network, window 60 | 10 | next close | +0.009% | -0.029% (0.04, below zero) |"
        in text
    )
    assert "| this panel, the paper's network, window 60 | 1 (scaled) | next close | +0.107% | +0.009% (0.83) |" in text
    assert "| this panel, stockrnn's defaults | 10 | next close |" in text and "not run yet" not in text
    assert "| the paper's network, window 60 | 1 | next close | 2006-10-24..2009-12-31 | 803 |" in text  # --eras
    assert "needs the rerun" not in text  # every era with its p
    assert "Sharpe 0.70 on the adjusted close with dividends" in text and "0.60 on the close without" in text


@pytest.mark.slow
def test_a_run_with_several_k_and_eras_renders_each_with_its_p(tmp_path):
    folder = write_panel(tmp_path / "panel", planted_reversal_panel(members=8, days=260, planted=4, seed=5).prices)
    result = CliRunner().invoke(cli, ["study", "--panel", str(folder), "--study", "200:30", "--window", "10",
                                      "--units", "4", "--epochs", "2", "--offline", "--market", "GSPC", "--top-k",
                                      "scaled", "--top-k", "2", "--eras", "2015-11-02", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    record = {"command": "stockrnn study ...", "commit": "abc1234", "cores": 2, "minutes": 0.5,
              "report": json.loads(result.stdout)}  # fmt: skip
    text = script().render({"fischer-krauss": record})
    (scaled,) = [line for line in text.splitlines() if "| 1 (scaled) | next close |" in line]
    assert "not run yet" not in scaled and scaled.count("%") >= 3  # traded: k = max(1, round(10 x 8 / 500)) = 1
    assert "| 2 | same close |" in text and "| 10 | next close | not run yet" in text  # 10 was not traded here
    eras = [line for line in text.splitlines() if "..20" in line and "| 1 | next close |" in line]
    assert len(eras) == 2 and all("needs the rerun" not in line for line in eras)
    assert eras[1].split(" | ")[3].startswith("2015-11-02..")
    assert "| this panel, stockrnn's defaults | | | not run yet" in text
