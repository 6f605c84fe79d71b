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
# Every training, global and local: the compute budget (docs/panel.md); checks once an epoch, as when the table was
# measured (before --validate-every, whose default now checks a global model after each member's worth of windows).
COMMON = dict(patience=3, epochs=30, validate_every="epoch")
FEATURES = "return,volume,range,market"
SIDES = [("global", GLOBAL, None), ("global+cov", GLOBAL, FEATURES), ("local", LOCAL, None)]
TARGETS = [("return", {}), ("direction", {"horizon_days": 1})]
# The order the cells run in (the compute budget: a local cell is 61 trainings, about 15 minutes on the 2 shared
# cores): the return target's global rows and local side, the direction target's 2022 (its local side last), then
# the direction target's global rows of the other periods, then their local sides.
ORDER = [
    *[("return", p, s) for p in ("2018", "2008-09") for s in ("global", "global+cov", "local")],
    ("return", "2022", "global"), ("return", "2022", "global+cov"),
    ("direction", "2022", "global"), ("direction", "2022", "global+cov"),
    ("return", "2022", "local"), ("direction", "2022", "local"),
    *[("direction", p, s) for p in ("2018", "2008-09") for s in ("global", "global+cov")],
    *[("direction", p, "local") for p in ("2018", "2008-09")],
]  # fmt: skip


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
    """The markdown tables of every finished cell: per target, per period, the model rows (global, global with
    covariates, local) and the baselines' rows, each score pooled over member-days, each test over days."""
    lines = []
    for target, extra in TARGETS:
        config = TrainConfig(target=target, **extra)
        score, base = ("RMSE", "persistence") if target == "return" else ("Brier", "base rate")
        cells = (
            ["RMSE (log return)", "p vs persistence", "error rate", "p vs always up"]
            if target == "return"
            else ["Brier", "p vs base rate", "p vs always up", ""]
        )
        cells = [c for c in cells if c]
        head = ["period", "row", *cells, "p vs global", "p vs local", "days", "member-days"]
        lines += [f"**{target} target**", "", "| " + " | ".join(head) + " |", head_rule("|" * (len(head) + 1))]
        for period, _, _ in PERIODS:
            reports = {}
            for label, kind, _features in SIDES:
                path = out / f"{cell_name(period, target, label)}.csv.gz"
                if path.exists():
                    reports[label] = PanelBacktest(config, kind, [], pd.read_csv(path, parse_dates=["date"]))
            if not reports:
                continue
            first = next(iter(reports.values()))
            days = str(first.losses["date"].nunique())
            for label, report in reports.items():
                pooled = {(p.score, p.method): p for p in report.pooled()}
                model = pooled[(score, "model")]
                versus_cells = [
                    "" if other not in reports or other == label else _p(versus(report, reports[other], score))
                    for other in ("global", "local")
                ]
                if target == "return":
                    wrong, up = pooled[("error rate", "model")], pooled[("error rate", "always up")]
                    row = [_v(model.value), _p(pooled[(score, base)].test), _v(wrong.value), _p(up.test)]
                else:
                    row = [_v(model.value), _p(pooled[(score, base)].test), _p(pooled[(score, "always up")].test)]
                lines.append(_row([period, label, *row, *versus_cells, days, str(model.member_days)]))
            pooled = {(p.score, p.method): p for p in first.pooled()}
            if target == "return":
                persistence, up = pooled[(score, base)], pooled[("error rate", "always up")]
                lines.append(_row([period, base, _v(persistence.value), "", "-", "", "", "", days,
                                   str(persistence.member_days)]))  # fmt: skip
                lines.append(_row([period, "always up", "-", "", _v(up.value), "", "", "", days, str(up.member_days)]))
            else:
                for method in (base, "always up"):
                    one = pooled[(score, method)]
                    lines.append(_row([period, method, _v(one.value), "", "", "", "", days, str(one.member_days)]))
        lines.append("")
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


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
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "panel_evidence")  # ignored by git
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
            partial = path.with_name(f".{path.name}")
            report.losses.to_csv(partial, index=False)
            partial.replace(path)  # whole or absent: a run stopped while writing leaves no cell behind
            epochs = list(report.epochs)
            log.info("%s: %.0f s, epochs: median %s of %d trainings", path.name, time.perf_counter() - began,
                     sorted(epochs)[len(epochs) // 2], len(epochs))  # fmt: skip
    text = table(args.out)
    print(text)
    if args.docs:
        command = " ".join(["python scripts/panel_evidence.py", *sys.argv[1:]])
        replace_block(ROOT / "docs" / "panel.md", "panel-evidence", stamp(command) + "\n" + text)


if __name__ == "__main__":
    main()
