"""Evidence for the direction target's default horizon: walk-forward backtests on both bundled indices and a control.

    .venv/bin/python scripts/backtest_direction.py --json direction.json   # the table of docs/direction.md

Every cell is `stockrnn backtest --csv sample_data/<index>.csv --train-start 2012-01-01 --target direction
--horizon-days H` (the command's default folds: 10 cut-offs 21 trading days apart, 21 dates scored after each; each
fold re-fits scaler, model and calibrator on the days up to its cut-off), for H = 1, 5 and 21; and the learnable
control `stockrnn backtest --synthetic --target direction --horizon-days H` (the lecture's series). Prints one
markdown table; `--json FILE` keeps every report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "S&P 500": ["--csv", str(ROOT / "sample_data" / "sp500.csv"), "--train-start", "2012-01-01"],
    "NASDAQ": ["--csv", str(ROOT / "sample_data" / "nasdaq.csv"), "--train-start", "2012-01-01"],
    "synthetic (control)": ["--synthetic"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES))
    parser.add_argument("--horizons", nargs="+", type=int, default=[1, 5, 21])
    parser.add_argument("--json", type=Path, help="also write every report here")
    parser.add_argument("options", nargs="*", help="after --: more backtest options (e.g. --folds 3)")
    args = parser.parse_args()
    reports = {}
    for name in args.sources:
        for h in args.horizons:
            started = time.perf_counter()
            command = [sys.executable, "-m", "stockrnn", "backtest", *SOURCES[name], "--target", "direction",
                       "--horizon-days", str(h), "--json", *args.options]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
            report = json.loads(done.stdout)
            report["minutes"] = round((time.perf_counter() - started) / 60, 1)
            reports[f"{name} H={h}"] = report
            print(f"{name} H={h}: {report['minutes']} min", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2) + "\n", encoding="utf-8")
    print(table(reports))


def table(reports: dict) -> str:
    lines = [
        "| data | H | Brier skill [q25, q75] | pooled Brier | base rate's | DM p | accuracy | always up | "
        "rises | reliability: mean P(up) -> observed (days) | minutes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in reports.items():
        name, h = key.rsplit(" H=", 1)
        s, pooled = r["summary"]["p_up"]["brier_skill"], r["pooled"]
        m = pooled["metrics"]
        bins = ", ".join(f"{b['predicted']:.2f} -> {b['observed']:.2f} ({b['count']})" for b in pooled["reliability"])
        p = m["p_up"]["test"]["p_value"]
        cells = [
            name, h, f"{s['median']:+.3f} [{s['q25']:+.3f}, {s['q75']:+.3f}]", f"{m['p_up']['brier']:.4f}",
            f"{m['base_rate']['brier']:.4f}", "n/a" if p is None else f"{p:.2f}", f"{m['p_up']['accuracy']:.0%}",
            f"{m['always_up']['accuracy']:.0%}", f"{m['p_up']['ups']:.0%}", bins, str(r["minutes"]),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
