"""One global model against one model per symbol, and against the baselines, walked forward on the shared panel.

    python scripts/panel_evidence.py [--data DIR] [--out DIR] [--docs] [--table-only]

Each cell (a period, a target, a side: global, global with covariates, local) is a walk-forward of
`app.panel_backtest` with the same folds and cut-off days; its member-day losses are written to OUT/CELL.csv.gz as
soon as it ends, so that an interrupted run keeps what it finished (and a rerun skips it). The table pools the
members (panel_backtest.pooled_test: the Diebold-Mariano test on each day's cross-sectional mean loss
differential). With --docs, it rewrites the `panel-evidence` block of docs/panel.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from docblock import replace_block, stamp  # noqa: E402

from stockrnn import app  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.panel_backtest import GLOBAL, LOCAL, PanelBacktest, versus, walk_forward  # noqa: E402
from stockrnn.price_source import PanelSource  # noqa: E402

log = logging.getLogger("evidence")

# (name, the last day scored, training from): 5 years of training before each period's first scored day
PERIODS = [
    ("2018", "2018-12-31", "2013-01-01"),
    ("2008-09", "2009-03-31", "2003-04-01"),  # the data starts 2003-10-30: 4.4 years before the first fold
    ("2022", "2022-12-30", "2017-01-01"),
]
FOLDS, HORIZON = 1, 252  # one fold of a trading year per period: the compute budget (see docs/panel.md)
COMMON = dict(patience=3, epochs=30)  # every training, global and local: the compute budget (docs/panel.md)
FEATURES = "return,volume,range,market"
SIDES = [("global", GLOBAL, None), ("global+cov", GLOBAL, FEATURES), ("local", LOCAL, None)]
TARGETS = [("return", {}), ("direction", {"horizon_days": 1})]
# The order the cells run in (the compute budget: a local cell is 61 trainings, about 15 minutes on the 2 shared
# cores): the return target everywhere, then the direction target's 2022 with its local side, then its global rows
# of the other periods.
ORDER = [
    *[("return", p, s) for p in ("2018", "2008-09", "2022") for s in ("global", "global+cov", "local")],
    *[("direction", "2022", s) for s in ("global", "global+cov", "local")],
    *[("direction", p, s) for p in ("2018", "2008-09") for s in ("global", "global+cov")],
]


def cell_name(period: str, target: str, side: str) -> str:
    return f"{target}-{period}-{side}"


def run_cell(panel, market, period: tuple[str, str, str], target: str, extra: dict, side: tuple) -> PanelBacktest:
    name, end, start = period
    label, kind, features = side
    config = TrainConfig(target=target, train_start=start, features=features, **COMMON, **extra)
    cut = panel.until(pd.Timestamp(end))

    def progress(fold: int, folds: int, cutoff: str, what: str) -> None:
        log.info("%s %s %s: fold %d/%d, cut-off %s, %s", target, name, label, fold, folds, cutoff, what)

    return walk_forward(cut, config, FOLDS, HORIZON, HORIZON, market if features else None, kind, progress)


def table(out: Path) -> str:
    """The markdown table of every finished cell."""
    lines = []
    for target, extra in TARGETS:
        config = TrainConfig(target=target, **extra)
        cells = (
            ["one-step RMSE (log return)", "DM p vs persistence", "p vs local", "error rate"]
            if target == "return"
            else ["Brier", "DM p vs base rate", "p vs always up", "p vs local"]
        )
        head = "| " + " | ".join(["period", "row", *cells, "n days", "n member-days"]) + " |"
        lines += [f"**{target} target**", "", head, head_rule(head)]
        for period, _, _ in PERIODS:
            reports = {}
            for label, kind, _features in SIDES:
                path = out / f"{cell_name(period, target, label)}.csv.gz"
                if path.exists():
                    losses = pd.read_csv(path, parse_dates=["date"])
                    reports[label] = PanelBacktest(config, kind, [], losses)
            if not reports:
                continue
            baselines_done = False
            for label, report in reports.items():
                pooled = {(p.score, p.method): p for p in report.pooled()}
                score = "RMSE" if target == "return" else "Brier"
                model = pooled[(score, "model")]
                local = reports.get("local")
                p_local = "" if local is None or label == "local" else _p(versus(report, local, score))
                if target == "return":
                    base = pooled[(score, "persistence")]
                    wrong = pooled[("error rate", "model")]
                    row = [period, label, _v(model.value), _p(base.test), p_local, _v(wrong.value)]
                else:
                    base, up = pooled[(score, "base rate")], pooled[(score, "always up")]
                    row = [period, label, _v(model.value), _p(base.test), _p(up.test), p_local]
                days = report.losses["date"].nunique()
                lines.append("| " + " | ".join([*row, str(days), str(model.member_days)]) + " |")
                if not baselines_done:
                    baselines_done = True
                    for method in report.methods(score)[1:]:
                        value = pooled[(score, method)]
                        err = pooled.get(("error rate", "always up")) if target == "return" else None
                        cells = [period, method, _v(value.value), "", "", ""]
                        if target == "return":
                            cells[5] = _v(err.value) if err else ""
                        lines.append("| " + " | ".join([*cells, str(days), str(value.member_days)]) + " |")
        lines.append("")
    return "\n".join(lines)


def head_rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)


def _v(value: float | None) -> str:
    return "-" if value is None else f"{value:.5f}"


def _p(test) -> str:
    if test is None or test.p_value is None:
        return "-"
    sign = "lower" if (test.statistic or 0) < 0 else "higher"
    return f"{test.p_value:.3f} ({sign})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "panel")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "panel_evidence")
    parser.add_argument("--docs", action="store_true", help="rewrite docs/panel.md's panel-evidence block")
    parser.add_argument("--table-only", action="store_true", help="no training: the table of finished cells")
    parser.add_argument("--targets", default="return,direction")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table_only:
        app.use_backend("auto")
        loaded = app.load_panel(PanelSource(folder=args.data, offline=True))
        market = loaded.members["GSPC"].frame["close"].dropna()
        panel = loaded.without({"GSPC"})
        wanted = args.targets.split(",")
        periods, sides, extras = {p[0]: p for p in PERIODS}, {s[0]: s for s in SIDES}, dict(TARGETS)
        for target, period, side in ORDER:
            path = args.out / f"{cell_name(period, target, side)}.csv.gz"
            if target not in wanted or path.exists():
                continue
            began = time.perf_counter()
            report = run_cell(panel, market, periods[period], target, extras[target], sides[side])
            report.losses.to_csv(path, index=False)
            epochs = list(report.epochs)
            log.info("%s: %.0f s, epochs: median %s of %d trainings", path.name, time.perf_counter() - began,
                     sorted(epochs)[len(epochs) // 2], len(epochs))  # fmt: skip
    text = table(args.out)
    print(text)
    if args.docs:
        command = "python scripts/panel_evidence.py --docs"
        replace_block(ROOT / "docs" / "panel.md", "panel-evidence", stamp(command) + "\n" + text)


if __name__ == "__main__":
    main()
