"""Benchmark: one study period (750 training days, 250 trading days) of the rank target's global model on the shared
panel, with Fischer and Krauss's specification and with stockrnn's defaults, and the whole study estimated from it.

    .venv/bin/python bench/bench_study.py [--panel ../shared/data/panel] [--spec fischer-krauss stockrnn]
        [--periods 1] [--first 2006-10-30] [--window 60] [--scaling member|pooled] [--json study.json]

Each spec runs in this process after the other: `app.study` with --periods N (the panel read each time, GSPC kept
out as the index), its wall seconds split into reading the panel, training and the rest (scoring, the portfolios).
Prints per spec: the training windows, epochs (best), the seconds, and the period's accuracy, Brier score and the
long-short top/bottom 10's mean daily return before and after 5 bps a half-turn under both fills. The whole study's
estimate is (reading once) + (periods x the period's seconds); the shared panel (2003-10-30..2023, 5,033 days) has
17 trading periods after its first 750 days. Survivorship bias: the panel is 2023's members followed back.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT.parent / "shared" / "data" / "panel"
PERIODS = 17  # the shared panel's trading periods of 250 days after its first 750


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=PANEL)
    parser.add_argument("--spec", nargs="+", default=["fischer-krauss", "stockrnn"])
    parser.add_argument("--periods", type=int, default=1)
    parser.add_argument("--first", default=None, help="no trading period before this day")
    parser.add_argument("--window", type=int, default=None, help="override the spec's window")
    parser.add_argument("--scaling", default=None, help="override the spec's scaling: member or pooled")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import pandas as pd

    from stockrnn import app, study
    from stockrnn.panel_train import fit_panel

    found = {}
    for name in args.spec:
        given = {k: v for k, v in (("window", args.window), ("scaling", args.scaling)) if v is not None}
        config = study.study_config(name, given)
        spec = app.StudySpec(750, 250, args.periods, None if args.first is None else pd.Timestamp(args.first))
        rules = [app.PortfolioRule(top=10, fill=f) for f in ("close", "same-close")]
        clock = {"fit": 0.0}

        def timed_fit(*a, clock=clock, **k):
            t = time.perf_counter()
            try:
                return fit_panel(*a, **k)
            finally:
                clock["fit"] += time.perf_counter() - t

        started = time.perf_counter()
        source = app.PanelSource(args.panel, None, True, True, False)
        t = time.perf_counter()
        panel = app.load_panel(source, config.column, config.calendar)
        read = time.perf_counter() - t
        from stockrnn.app.panel import market_series

        index, _ = market_series("GSPC", panel, True, True, config.calendar)
        report = study.run(panel.without({"GSPC"}), config, spec, rules, index, "GSPC", fit=timed_fit)
        wall = time.perf_counter() - started
        rows = []
        for p in report.periods:
            rows.append({
                **p.period.to_json(), "members": p.members, "epochs": p.epochs, "best_epoch": p.best_epoch,
                "train_seconds": round(p.seconds, 1), "accuracy": p.portfolios["close"].accuracy.share,
                "brier": None if p.chances is None else p.chances.brier,
                **{f"{fill}_{k}": v for fill, r in p.portfolios.items() for k, v in (
                    ("gross", float(r.day["gross"].mean())), ("net", float(r.day["ret"].mean())),
                    ("sharpe", r.performance.sharpe), ("p", r.mean_test.p_value))},
            })  # fmt: skip
        per = (wall - read) / len(report.periods)
        found[name] = {"config": config.to_dict(), "read_seconds": round(read, 1), "wall_seconds": round(wall, 1),
                       "fit_seconds": round(clock["fit"], 1), "periods": rows,
                       "estimate_whole_study_minutes": round((read + PERIODS * per) / 60, 1)}  # fmt: skip
        print(json.dumps({name: found[name]}, indent=1, default=str), flush=True)
    if args.json:
        args.json.write_text(json.dumps(found, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
