"""Evidence for the output shapes (stockrnn/shapes.py): walk-forward backtests of each shape on both bundled indices,
the 2008-09 crash and the synthetic control, beside the naive and drift forecasts.

    .venv/bin/python scripts/backtest_shapes.py --json out/shapes.json --docs   # docs/shapes.md's tables
    .venv/bin/python scripts/backtest_shapes.py --from-json out/shapes.json --docs   # the tables again, no training

Every cell is one `stockrnn backtest` with the command's default folds (10 cut-offs 21 trading days apart, 21 days
scored after each; each fold re-fits scaler and model on the days up to its cut-off) and the default model (return
target, one LSTM(32), early stopping), the shape's options the only difference, e.g.

    stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --output direct   # --output-days 21

The shapes: recursive (the default), `--sequence-loss`, `--output direct`, `--output encoder-decoder` (H = 21, the
backtest's horizon). Pooled over the folds' 210 days: each path's RMSE, its Diebold-Mariano test (HLN, H - 1 = 20
lags: the 21-day paths overlap in their errors) against naive, drift and the recursive path; the one-step skill
against persistence; the 80% band's coverage pooled and per step h = 1..21; epochs (median per fold) and minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docblock import replace_block, stamp  # noqa: E402  (scripts/: the folder of this script)

from stockrnn import app  # noqa: E402
from stockrnn.app.prices import load  # noqa: E402
from stockrnn.baselines import Drift  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.price_source import PriceSource  # noqa: E402
from stockrnn.significance import compare  # noqa: E402

SP500, NASDAQ = ROOT / "sample_data" / "sp500.csv", ROOT / "sample_data" / "nasdaq.csv"
CASES = {  # name: (source, training start, last day scored)
    "synthetic (control)": (PriceSource(synthetic={}), None, None),
    "S&P 500, 2018": (PriceSource(csv=SP500), "2012-01-01", None),
    "NASDAQ, 2018": (PriceSource(csv=NASDAQ), "2012-01-01", None),
    "S&P 500, 2008-09 crash": (PriceSource(csv=SP500), "1999-01-01", "2009-06-30"),  # docs/strategy.md's crash
}
SHAPES = {  # name: TrainConfig options
    "recursive": {},
    "sequence-loss": {"sequence_loss": True},
    "direct": {"output": "direct"},
    "encoder-decoder": {"output": "encoder-decoder"},
}
H = 21  # the backtest's horizon and the multi-day heads' --output-days (their default)
SEEDS = (42, 43, 44)  # the first (the default --seed) makes the main tables; the others say how much a seed moves them
DOC = ROOT / "docs" / "shapes.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--jobs", type=int, default=1, help="folds trained at once (backtest --jobs)")
    parser.add_argument("--json", type=Path, help="also write every report here")
    parser.add_argument("--from-json", type=Path, help="read the reports from here instead of running them")
    parser.add_argument("--docs", action="store_true", help=f"write the tables into {DOC.relative_to(ROOT)}")
    parser.add_argument(
        "--lecture", action="store_true", help="only the lecture's case, with and without --sequence-loss"
    )
    args = parser.parse_args()
    if args.lecture:
        text = lecture()
        print(text)
        if args.docs:
            replace_block(DOC, "lecture", stamp("python scripts/backtest_shapes.py --lecture --docs") + "\n" + text)
        return
    if args.from_json:
        reports = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        reports = {}
        for seed in args.seeds:
            for case in args.cases:
                for shape in args.shapes:
                    key = f"{case} | {shape}" + ("" if seed == args.seeds[0] else f" | seed {seed}")
                    reports[key] = run(case, shape, args.folds, args.jobs, seed)
                if args.json:  # after each cell: a long run interrupted keeps what it did
                    args.json.write_text(json.dumps(reports) + "\n", encoding="utf-8")
    text = tables(reports)
    print(text)
    if args.docs:
        command = "python scripts/backtest_shapes.py --jobs 2 --json out/shapes.json --docs   # about 30 min, 2 cores"
        replace_block(DOC, "shapes", stamp(command) + "\n" + text)


def run(case: str, shape: str, folds: int, jobs: int, seed: int) -> dict:
    """One backtest: its folds' days (actual, forecast, bands, one-step), scores, epochs, minutes; and the drift
    forecast of each fold's days (the report scores drift per fold, and the pooled tests need its days)."""
    source, start, end = CASES[case]
    config = TrainConfig(train_start=start, seed=seed, **SHAPES[shape])
    started = time.perf_counter()
    report = app.backtest(source, config, folds=folds, jobs=jobs, end=end).to_json()
    minutes = (time.perf_counter() - started) / 60
    series = load(source.seeded(config.seed), config.column, config.calendar).frame[config.column]
    drift = []
    for fold in report["folds"]:
        history = series.loc[start : fold["cutoff"]].to_numpy()  # what the fold's forecast knew: as value.py's
        drift += list(Drift.fit(history).path(history[-1], len(fold["days"])))
    print(f"{case} | {shape} | seed {seed}: {minutes:.1f} min", file=sys.stderr, flush=True)
    keep = ("fold", "cutoff", "start", "end", "train_rows", "epochs", "days")
    return {
        "seed": seed,
        "minutes": round(minutes, 2),
        "folds": [{k: f[k] for k in keep} for f in report["folds"]],
        "drift": drift,
        "pooled": report["pooled"],
        "summary": report["summary"],
    }


def lecture() -> str:
    """The lecture's time-series case (tests/test_lecture.py's setting, the default model): train on the S&P 500
    2012-2016, forecast January 2017; many-to-one as today, then --sequence-loss. Whole commands, one run each."""
    import os
    import subprocess
    import tempfile

    stockrnn = [sys.executable, "-m", "stockrnn"]
    lines = [
        "| training | validation one-step RMSE (skill vs persistence) | epochs | train seconds | January 2017: "
        "one-step RMSE (persistence) | 20-day path RMSE (naive) |",
        "|---|---|---|---|---|---|",
    ]
    for name, options in (("many-to-one (today)", []), ("--sequence-loss", ["--sequence-loss"])):
        with tempfile.TemporaryDirectory(prefix="stockrnn-shapes-lecture-") as home:
            env = {**os.environ, "STOCKRNN_HOME": home}
            started = time.perf_counter()
            train = subprocess.run([*stockrnn, "train", "--csv", str(SP500), "--symbol", "^GSPC", "--train-start",
                                    "2012-01-01", "--train-end", "2016-12-30", "--json", *options],
                                   capture_output=True, text=True, env=env, check=True)  # fmt: skip
            seconds = time.perf_counter() - started
            predict = subprocess.run([*stockrnn, "predict", "^GSPC", "--start", "2017-01-03", "--days", "20",
                                      "--json"], capture_output=True, text=True, env=env, check=True)  # fmt: skip
        manifest, january = json.loads(train.stdout), json.loads(predict.stdout)["metrics"]
        val = manifest["metrics"]
        lines.append(
            f"| {name} | {val['one_step']['rmse']:.2f} ({val['one_step']['skill']:+.3f}) "
            f"| {manifest['training']['epochs_run']} | {seconds:.1f} "
            f"| {january['one_step']['rmse']:.2f} ({january['persistence']['rmse']:.2f}) "
            f"| {january['forecast']['rmse']:.2f} ({january['naive']['rmse']:.2f}) |"
        )
    return "\n".join(lines)


def column(report: dict, name: str) -> np.ndarray:
    return np.array([np.nan if d[name] is None else d[name] for f in report["folds"] for d in f["days"]], "float64")


def naive(report: dict) -> np.ndarray:
    return np.array([f["days"][0]["previous"] for f in report["folds"] for _ in f["days"]], "float64")


def tables(reports: dict) -> str:
    """The main tables (the first seed's backtests), then the seeds' table where there are more."""
    seeded = {key: r for key, r in reports.items() if key.count(" | ") == 2}
    reports = {key: r for key, r in reports.items() if key.count(" | ") == 1}
    cases = list(dict.fromkeys(key.split(" | ")[0] for key in reports))
    out = []
    for case in cases:
        cells = {key.split(" | ")[1]: r for key, r in reports.items() if key.split(" | ")[0] == case}
        first = next(iter(cells.values()))
        actual, days = column(first, "actual"), first["folds"]
        out.append(f"### {case}: {len(days)} folds, {days[0]['start']} to {days[-1]['end']}\n")
        out.append(
            "| forecast | path RMSE | skill vs naive | DM p vs naive | vs drift | vs recursive | one-step skill "
            "| 80% band coverage | epochs (median) | minutes |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        base, drift = naive(first), np.array(first["drift"], "float64")
        recursive = column(cells["recursive"], "forecast") if "recursive" in cells else None
        for shape, r in cells.items():
            path = column(r, "forecast")
            vs_naive = compare(actual, path, base, "naive", case, h=H)
            vs_drift = compare(actual, path, drift, "drift", case, h=H)
            against = recursive is not None and shape != "recursive"
            vs_rec = compare(actual, path, recursive, "recursive", case, h=H) if against else None
            one_step = r["summary"]["one_step"]["skill"]["median"]
            band = r["pooled"]["interval"]["forecast"]
            out.append(
                f"| {shape} | {vs_naive.model_rmse:.4g} | {1 - vs_naive.model_rmse / vs_naive.baseline_rmse:+.3f} "
                f"| {p(vs_naive)} | {p(vs_drift, vs_drift.model_rmse < vs_drift.baseline_rmse)} "
                f"| {'-' if vs_rec is None else p(vs_rec, vs_rec.model_rmse < vs_rec.baseline_rmse)} "
                f"| {one_step:+.3f} | {band['coverage']:.0%} "
                f"| {statistics.median(f['epochs'] for f in r['folds']):g} | {r['minutes']:.1f} |"
            )
        rmse_drift = math.sqrt(np.nanmean((drift - actual) ** 2))
        rmse_naive = math.sqrt(np.nanmean((base - actual) ** 2))
        out.append(f"| naive (flat) | {rmse_naive:.4g} | +0.000 | | | | | | | |")
        out.append(f"| drift | {rmse_drift:.4g} | {1 - rmse_drift / rmse_naive:+.3f} | | | | | | | |")
        out.append("")
        out.append("80% band coverage per step h after the cut-off (pooled over the folds; h = 1, 2, ..., 21):\n")
        out.append("| forecast | " + " | ".join(str(h) for h in range(1, H + 1)) + " |")
        out.append("|---|" + "---|" * H)
        for shape, r in cells.items():
            steps = r["pooled"]["interval"]["forecast"].get("step_coverage") or []
            out.append(f"| {shape} | " + " | ".join("-" if c is None else f"{c:.0%}" for c in steps) + " |")
        out.append("")
    if seeded:
        out.append(seeds_table(reports, seeded))
    return "\n".join(out)


def seeds_table(reports: dict, seeded: dict) -> str:
    """Per case and shape, the path's skill against naive with each seed (the main tables' first), and in how many
    seeds its path RMSE was below the recursive path's of the same seed."""
    every = {**reports, **{key.rsplit(" | ", 1)[0] + f" | {key.rsplit(' ', 1)[1]}": r for key, r in seeded.items()}}
    seeds = ["first", *dict.fromkeys(key.rsplit(" ", 1)[1] for key in seeded)]
    seeds = [s for s in seeds if s == "first" or all(f"{key} | {s}" in every for key in reports)]  # complete ones
    first = next(iter(reports.values())).get("seed", "--seed's default")

    def rmse(case: str, shape: str, seed: str) -> float:
        r = every[f"{case} | {shape}" + ("" if seed == "first" else f" | {seed}")]
        return math.sqrt(np.nanmean((column(r, "forecast") - column(r, "actual")) ** 2))

    lines = [
        f"Path skill against naive with each seed ({', '.join([str(first), *seeds[1:]])}: each a full backtest), the "
        "median, and the seeds in which the path's RMSE was below the recursive path's:\n",
        "| data | forecast | skill per seed | median | below recursive |",
        "|---|---|---|---|---|",
    ]
    for key in reports:
        case, shape = key.split(" | ")
        r = reports[key]
        flat = math.sqrt(np.nanmean((naive(r) - column(r, "actual")) ** 2))
        skills = [1 - rmse(case, shape, seed) / flat for seed in seeds]
        below = sum(rmse(case, shape, seed) < rmse(case, "recursive", seed) for seed in seeds)
        cells = [case, shape, " / ".join(f"{v:+.3f}" for v in skills), f"{statistics.median(skills):+.3f}",
                 "-" if shape == "recursive" else f"{below} of {len(seeds)}"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def p(comparison, better: bool | None = None) -> str:
    """The DM p-value; with `better`, marked by which side won: '0.012 (better)' / '(worse)'."""
    value = comparison.test.p_value if comparison.test else None
    text = "n/a" if value is None else f"{value:.3g}"
    if better is None:
        return text
    return f"{text} ({'lower' if better else 'higher'} RMSE)"


if __name__ == "__main__":
    main()
