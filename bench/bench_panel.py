"""Benchmark: loading a panel (a folder of price files) as `app.load_panel` reads it for a global model.

    .venv/bin/python bench/bench_panel.py [--panel ../shared/data/panel] [--runs 3] [--json panel.json]

In a fresh process each run (so that its memory is its own): the imports, then `load_panel` of the folder (every file
read, validated and checked beside the XNYS calendar), then the (days, members) matrix of the adjusted close. Reports
the wall seconds of the load and of the matrix (median of the runs), the process's peak memory (ru_maxrss) after the
imports and after the load, the members, the calendar's days and the members left out. The shared panel is R
quantmod's export of 61 S&P 500 stocks and the index, 2003-2023 (its README: survivorship bias, today's members
followed back); nothing in the package depends on it.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT.parent / "shared" / "data" / "panel"


def child(folder: Path) -> dict:
    """One run, in this process: what it costs to load `folder` as a panel."""
    logging.disable(logging.WARNING)  # the checks' warnings are the data's, not the benchmark's
    sys.path.insert(0, str(ROOT))
    from stockrnn import app

    app.load_panel  # noqa: B018 (the lazy import of the application layer's panel module, before the clock)
    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    panel = app.load_panel(app.PanelSource(folder=folder))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    matrix = panel.matrix("adj_close")  # (days, members)
    built = time.perf_counter() - started
    return {
        "load_s": loaded,
        "matrix_s": built,
        "rss_imports_mb": imported,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "members": len(panel),
        "calendar_days": len(panel.calendar),
        "matrix_shape": list(matrix.shape),
        "skipped": [s.line() for s in panel.skipped],
        "warnings": sum(len(p.warnings) for p in panel.members.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=PANEL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.panel)))
        return
    if not args.panel.is_dir():
        sys.exit(f"{args.panel}: no panel folder; pass --panel DIR")
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--panel", str(args.panel)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout))
    first = runs[0]
    result = {
        "panel": str(args.panel.resolve()),
        "runs": args.runs,
        **{k: first[k] for k in ("members", "calendar_days", "matrix_shape", "skipped", "warnings")},
        "load_s_median": statistics.median(r["load_s"] for r in runs),
        "load_s_runs": [round(r["load_s"], 3) for r in runs],
        "matrix_s_median": statistics.median(r["matrix_s"] for r in runs),
        "rss_imports_mb": max(r["rss_imports_mb"] for r in runs),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
    }
    print(
        f"{result['members']} members, {result['calendar_days']} days on the common calendar, "
        f"{len(result['skipped'])} left out, {result['warnings']} warnings from the checks\n"
        f"load_panel: {result['load_s_median']:.2f} s (median of {args.runs}: {result['load_s_runs']}); "
        f"matrix {tuple(result['matrix_shape'])}: {result['matrix_s_median'] * 1000:.1f} ms\n"
        f"peak memory: {result['rss_peak_mb']:.0f} MB ({result['rss_imports_mb']:.0f} MB after the imports alone)\n"
        "(the shared panel: 61 S&P 500 stocks as of 2023 followed back to 2003: survivorship bias)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
