"""What every target's backtest plot shares: the title that names what was tested, and the skill-per-fold panel.

Input: a backtest report's JSON (its symbol, its folds with their dates and scores) and a matplotlib Axes. Output:
a title line, and bars drawn on the Axes. A fold's bar is coloured as a win or a loss only where its own test says
so (DM p < ALPHA); the rest is grey, inside a band that shows how far the folds' mean skill may stray from 0 by
chance, on a y-range never narrower than MIN_SKILL_RANGE: a skill of 0.009 is not drawn as a landslide.
"""

from __future__ import annotations

import statistics
from typing import Any

ALPHA = 0.05  # a fold's bar is a win or a loss when its DM test's p is below this
DEFAULT_SHAPE = "many-to-one"  # shapes.ManyToOne's name: the default shape goes unsaid in titles
NOISE_SE = 2  # the noise band: the folds' mean skill is within this many standard errors of 0
MIN_SKILL_RANGE = 0.05  # the skill axis shows at least -0.05..+0.05, so that tiny skills stay tiny


def backtest_title(report: dict[str, Any], what: str) -> str:
    """The title of a backtest's plot: the symbol, the folds and the period they scored, e.g. "^GSPC: walk-forward
    backtest of the price target, 5 folds scored 2018-10-01 to 2018-12-31 (a new model per cut-off)"."""
    folds = report["folds"]
    symbol = report.get("symbol") or "prices"
    period = f"{folds[0]['start']} to {folds[-1]['end']}" if folds and "start" in folds[0] else "n/a"
    count = f"{len(folds)} fold{'s' * (len(folds) != 1)}"
    shape = report.get("shape", DEFAULT_SHAPE)  # reports from before shapes: the default's
    what = what if shape == DEFAULT_SHAPE else f"{what} ({shape})"  # the default shape goes unsaid, as in predict's
    return f"{symbol}: walk-forward backtest of {what}, {count} scored {period} (a new model trained per cut-off)"


def noise_band(skills: list[float]) -> float | None:
    """Half the width of the noise band: NOISE_SE standard errors of the folds' mean skill (their standard
    deviation / sqrt(folds)); None for fewer than two folds, whose spread says nothing."""
    if len(skills) < 2:
        return None
    return NOISE_SE * statistics.stdev(skills) / len(skills) ** 0.5


def draw_skill(ax: Any, labels: list[str], skills: list[float | None], p_values: list[float | None],
               baseline: str) -> None:  # fmt: skip
    """Each fold's skill against `baseline` as a bar (green: a significant win, red: a significant loss, grey: no
    significant difference, or untested), the folds' mean as a dashed line with its noise band around 0, on a
    y-range of at least +-MIN_SKILL_RANGE."""
    values = [s or 0.0 for s in skills]
    colors = [
        "0.65" if p is None or p >= ALPHA else ("tab:green" if s > 0 else "tab:red")
        for s, p in zip(values, p_values, strict=True)
    ]
    ax.bar(labels, values, color=colors)
    ax.axhline(0, color="black", lw=0.8)
    half = noise_band(values)
    top = max([MIN_SKILL_RANGE, *(abs(v) for v in values), half or 0.0]) * 1.15
    ax.set_ylim(-top, top)
    from matplotlib.patches import Patch

    handles = [
        Patch(color="tab:green", label=f"better than {baseline} (DM p < {ALPHA:g})"),
        Patch(color="tab:red", label=f"worse than {baseline} (DM p < {ALPHA:g})"),
        Patch(color="0.65", label="no significant difference, or too few days to test"),
    ]
    if half is not None:
        mean = statistics.fmean(values)
        handles.append(ax.axhspan(-half, half, color="0.5", alpha=0.15, lw=0,
                                  label=f"noise: 0 +-{NOISE_SE} standard errors of the mean ({half:.2g})"))  # fmt: skip
        handles.append(ax.axhline(mean, color="black", lw=1.0, ls="--", label=f"mean across folds ({mean:+.2g})"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", ncols=2)
