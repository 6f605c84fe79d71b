"""Fischer and Krauss's study on the shared panel, run or rendered: docs/study.md's tables beside the paper's numbers.

    .venv/bin/python scripts/study.py [--specs fischer-krauss stockrnn] [--json out/study.json] [--docs] [--plot F]
    .venv/bin/python scripts/study.py --from-json docs/study_results.json --docs     # render only, train nothing

A run is one `stockrnn study` per specification on `--panel` (default ../shared/data/panel, GSPC the index):
750 training days : 250 trading days, both fills (the next close, executable; the same close, the paper's
convention), long-short with k scaled to the panel (the paper's 10 of about 500: max(1, round(10 x members / 500)),
1 on 61 members) and k = 10, 5 bps a half-turn, the pooled portfolios split at 2010-01-01. The paper's network is run
with its window cut from 240 to 60 days (`--window`; docs/study.md says why and what the cut changed where it was
run both ways); `--specs ... stockrnn` adds stockrnn's defaults as a second specification. The whole study takes
about 35 minutes a specification on 2 shared cores.

`--json FILE` keeps each specification's record (the command, the commit, the minutes, the study's JSON as
`stockrnn study --json` prints it), written after each; `--from-json FILE` renders such a file. Rows a file lacks
(a k or a specification not run) are printed as "not run yet" with the command that runs them. `--controls FILE`:
scripts/study_controls.py's JSON (default docs/study_controls.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docblock import replace_block, stamp  # noqa: E402  (scripts/: the folder of this script)

from stockrnn.study import scaled_k  # noqa: E402

PANEL = ROOT.parent / "shared" / "data" / "panel"
CONTROLS = ROOT / "docs" / "study_controls.json"
PAGE = ROOT / "docs" / "study.md"
CUT = "2010-01-01"  # the paper: profits around zero after costs from 2010 on
FILLS = {"close": "next close", "same-close": "same close"}
SPECS = {"fischer-krauss": "the paper's network, window 60", "stockrnn": "stockrnn's defaults"}
# Fischer and Krauss (2018), the LSTM, k = 10 of the S&P 500's constituents, 1992-2015, the same-close convention.
PAPER = {"before": "+0.46%", "after": "+0.26%", "sharpe": "5.8 (before costs)", "accuracy": "about 54%"}


def run(spec: str, panel: Path, window: int, periods: int | None, plot: Path | None = None) -> dict[str, Any]:
    """One specification's whole study; its record (the command, commit, minutes and the study's JSON)."""
    import pandas as pd

    from stockrnn import app

    given = {"window": window} if spec == "fischer-krauss" else {}
    config = app.study_config(spec, given)
    trading = app.Trading(("scaled", 10), False, 5.0, ("close", "same-close"))
    source = app.PanelSource(panel, None, True, True, False)
    started = time.perf_counter()
    report = app.study(source, config, app.StudySpec(750, 250, periods), trading, "GSPC",
                       lambda r: print(r.line(), file=sys.stderr, flush=True), eras=(pd.Timestamp(CUT),),
                       plot=plot)  # fmt: skip
    window_option = f" --window {window}" if given else ""
    shown = os.path.relpath(panel, ROOT)  # ../shared/data/panel, as a user runs it from the repository
    command = (f"stockrnn study --panel {shown} --market GSPC --spec {spec}{window_option} --top-k scaled "
               f"--top-k 10 --eras {CUT} --offline --json" + (f" --periods {periods}" if periods else "")
               + (f" --plot {os.path.relpath(plot, ROOT)}" if plot else ""))  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return {"command": command, "commit": commit.stdout.strip(), "cores": os.cpu_count(),
            "minutes": round((time.perf_counter() - started) / 60, 1), "report": report.to_json()}  # fmt: skip


# The study's JSON as `stockrnn study --json` prints it, read at this script's edge.


COLUMNS = {"adj_close": "the adjusted close with dividends", "close": "the close without dividends"}


def panels(records: dict) -> str:
    """The equal-weighted panel's Sharpe ratio of each run, on the column its specification learns and trades (the
    paper's network reads the adjusted close, stockrnn's defaults the close): `Sharpe 0.70 on the adjusted close
    with dividends (the paper's network, window 60); ...`."""
    said = []
    for spec, record in records.items():
        report = record["report"]
        column = report.get("config", {}).get("column", "adj_close")
        block = report["pooled"]["portfolios"]
        first = block["close"] if "close" in block else next(iter(block.values()))
        said.append(f"Sharpe {first['equal_weighted_panel']['sharpe']:.2f} on {COLUMNS.get(column, column)} "
                    f"({SPECS.get(spec, spec)})")  # fmt: skip
    return "; ".join(said)


def ks(report: dict) -> list[int]:
    """The k traded, the first one's portfolios under "portfolios" (a JSON from before several k: that one only)."""
    pooled = report["pooled"]
    return pooled.get("top_k") or [next(iter(pooled["portfolios"].values()))["rule"]["top"]]


def portfolio(block: dict, k: int, fill: str, first: int) -> dict | None:
    """The portfolio of k and fill in a period's or the pooled block; None when not traded."""
    found = block["portfolios"] if k == first else block.get("other_k", {}).get(str(k), {})
    return found.get(fill)


def ranked(p: dict) -> dict:
    """A portfolio's or an era's ranked accuracy ({"share", "n"}): "ranked_accuracy", or "accuracy" in a JSON from
    before the two accuracies were named apart."""
    return p["ranked_accuracy"] if "ranked_accuracy" in p else p["accuracy"]


def p_half(brier: dict | None) -> float | None:
    """A "brier" block's P >= 0.5 accuracy: "p_half_accuracy", or "accuracy" in a JSON from before the rename."""
    return None if brier is None else brier.get("p_half_accuracy", brier.get("accuracy"))


def gross(p: dict) -> float:
    """The mean a day before costs: after costs plus the costs paid, a day."""
    return p["mean_test"]["mean"] + p["performance"]["costs"] / p["performance"]["days"]


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3%}"


def pval(p: float | None) -> str:
    return "-" if p is None else f"{p:.2f}"


def members(report: dict) -> int:
    return max(p["members"] for p in report["periods"])


def rerun(specs: list[str]) -> str:
    return f"not run yet: `python scripts/study.py --specs {' '.join(specs)} --json out/study.json --docs`"


def pooled_table(records: dict[str, dict]) -> str:
    """Beside the paper: each specification, k and fill pooled over every period."""
    lines = ["| | k | fill | a day before costs | a day after costs (p) | Sharpe after costs | ranked accuracy | "
             "Sharpe against the equal-weighted panel (p) |", "|---|---|---|---|---|---|---|---|",
             f"| Fischer and Krauss (2018): S&P 500, 1992-2015 | 10 of about 500 | same close | {PAPER['before']} | "
             f"{PAPER['after']} | {PAPER['sharpe']} | {PAPER['accuracy']} | |"]  # fmt: skip
    for spec, words in SPECS.items():
        record = records.get(spec)
        if record is None:
            lines.append(f"| this panel, {words} | | | {rerun(list(dict.fromkeys(['fischer-krauss', spec])))} "
                         "| | | | |")  # fmt: skip
            continue
        report = record["report"]
        traded, wanted = ks(report), [scaled_k(members(report)), 10]
        for k in dict.fromkeys(wanted + traded):
            for fill in FILLS:
                p = portfolio(report["pooled"], k, fill, traded[0])
                said = f"{k} (scaled)" if k == wanted[0] else str(k)
                if p is None:
                    lines.append(f"| this panel, {words} | {said} | {FILLS[fill]} | {rerun([spec])} | | | | |")
                    continue
                test, sharpe = p["mean_test"], p["sharpe_test"]
                lines.append(
                    f"| this panel, {words} | {said} | {FILLS[fill]} | {pct(gross(p))} | {pct(test['mean'])} "
                    f"({pval(test['p_value'])}{', ' + test['outcome'] if test['outcome'] != 'no significant difference' else ''}) | "  # noqa: E501
                    f"{p['performance']['sharpe']:.2f} | {ranked(p)['share']:.1%} | "
                    f"{sharpe['strategy_sharpe']:.2f} vs {sharpe['benchmark_sharpe']:.2f}, {sharpe['outcome']} "
                    f"({pval(sharpe['p_value'])}) |"
                )
    return "\n".join(lines)


def era_rows(report: dict, k: int, fill: str, first: int) -> tuple[list[dict], bool]:
    """The pooled portfolio's eras (start, end, days, before, after, sharpe, accuracy, p), and whether they are the
    split at CUT itself (True) or, for a JSON from before --eras, the periods grouped by whether they start before
    CUT (False: each period traded from flat, no test)."""
    found = report["pooled"].get("eras", {}).get(str(k), {}).get(fill)
    if found is not None:
        return [{"start": e["start"], "end": e["end"], "days": e["days"], "before": e["mean_before_costs"],
                 "after": e["mean_after_costs"], "sharpe": e["sharpe"], "accuracy": ranked(e)["share"],
                 "p": e["mean_test"]["p_value"]} for e in found], True  # fmt: skip
    import pandas as pd

    groups: dict[bool, list[tuple[dict, dict]]] = {}
    for period in report["periods"]:
        p = portfolio(period, k, fill, first)
        middle = pd.Timestamp(period["trade_start"]) + (
            pd.Timestamp(period["trade_end"]) - pd.Timestamp(period["trade_start"])) / 2  # fmt: skip
        if p is not None:  # a period goes to the era holding most of its days
            groups.setdefault(middle >= pd.Timestamp(CUT), []).append((period, p))
    rows = []
    for late in (False, True):
        parts = groups.get(late, [])
        if not parts:
            continue
        n = [p["performance"]["days"] for _, p in parts]
        total = sum(n)
        after = sum(d * p["mean_test"]["mean"] for d, (_, p) in zip(n, parts, strict=True)) / total
        before = sum(d * gross(p) for d, (_, p) in zip(n, parts, strict=True)) / total
        # the pooled daily deviation from each period's (annualised, ddof 1) volatility and mean
        spread = sum((d - 1) * (p["performance"]["volatility"] / 252**0.5) ** 2 + d * (p["mean_test"]["mean"] - after)
                     ** 2 for d, (_, p) in zip(n, parts, strict=True)) / (total - 1)  # fmt: skip
        cells = sum(ranked(p)["n"] for _, p in parts)
        right = sum(ranked(p)["share"] * ranked(p)["n"] for _, p in parts)
        rows.append({"start": parts[0][1]["performance"]["start"], "end": parts[-1][1]["performance"]["end"],
                     "days": total, "before": before, "after": after, "sharpe": after / spread**0.5 * 252**0.5,
                     "accuracy": right / cells, "p": None, "periods": f"{parts[0][0]['number']}-"
                     f"{parts[-1][0]['number']}"})  # fmt: skip
    return rows, False


def era_table(records: dict[str, dict]) -> str:
    """Each specification, k and fill by era."""
    lines = ["| | k | fill | era | days | a day before costs | a day after costs | Sharpe after costs | "
             "ranked accuracy | p |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    notes = set()
    for spec, words in SPECS.items():
        record = records.get(spec)
        if record is None:
            continue
        report = record["report"]
        traded = ks(report)
        for k in traded:
            for fill in FILLS:
                rows, split = era_rows(report, k, fill, traded[0])
                for row in rows:
                    era = f"{row['start']}..{row['end']}"
                    if not split:
                        era += f" (periods {row['periods']})"
                        notes.add(spec)
                    lines.append(
                        f"| {words} | {k} | {FILLS[fill]} | {era} | {row['days']} | {pct(row['before'])} | "
                        f"{pct(row['after'])} | {row['sharpe']:.2f} | {row['accuracy']:.1%} | "
                        f"{pval(row['p']) if split else 'needs the rerun'} |"
                    )
    if notes:
        lines += ["", f"The run above predates `--eras`: its eras are its periods grouped by the side of {CUT} that "
                  f"holds most of their days (October 2009 to October 2010 counts as after), from each period's own "
                  f"numbers "
                  f"(each period traded from flat), so they carry no test; `python scripts/study.py --json "
                  f"out/study.json --docs` splits the pooled portfolio at {CUT} itself, with p-values."]  # fmt: skip
    return "\n".join(lines)


def period_table(report: dict) -> str:
    """The periods, each k and fill: a day before / after costs (p)."""
    traded = ks(report)
    heads = [(k, fill) for k in traded for fill in FILLS]
    several = len(traded) > 1
    lines = ["| period | trading | epochs (best) | ranked accuracy | P >= 0.5 accuracy | Brier | " + " | ".join(
        f"{f'k = {k}, ' if several else ''}{FILLS[fill]}: before / after (p)" for k, fill in heads) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(heads)]  # fmt: skip
    for period in report["periods"]:
        cells = []
        for k, fill in heads:
            p = portfolio(period, k, fill, traded[0])
            test = None if p is None else p["mean_test"]
            cells.append("-" if p is None else f"{pct(gross(p))} / {pct(test['mean'])} ({pval(test['p_value'])})")
        first = period["portfolios"][next(iter(period["portfolios"]))]
        brier = "-" if period["brier"] is None else f"{period['brier']['brier']:.4f}"
        half = p_half(period["brier"])
        lines.append(f"| {period['number']} | {period['trade_start']}..{period['trade_end']} | "
                     f"{period['training']['epochs']} ({period['training']['best_epoch']}) | "
                     f"{ranked(first)['share']:.1%} | {'-' if half is None else f'{half:.1%}'} | {brier} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def controls_table(rows: list[dict]) -> str:
    """scripts/study_controls.py's seeds counted by kind."""
    words = {"planted": "10 of 20 members reverse (-0.25 at lag 1, half of it left each further day)",
             "random": "independent random walks"}  # fmt: skip
    lines = ["| panel | seeds | ranked accuracy (min / median / max) | mean a day after costs (min / median / max) | "
             "above zero / below zero at 5% |", "|---|---|---|---|---|"]  # fmt: skip
    for kind in dict.fromkeys(r["kind"] for r in rows):
        mine = [r for r in rows if r["kind"] == kind]
        acc, mean = [r["accuracy"] for r in mine], [r["mean"] for r in mine]
        above = sum(r["outcome"] == "above zero" for r in mine)
        below = sum(r["outcome"] == "below zero" for r in mine)
        lines.append(f"| {words.get(kind, kind)} | {len(mine)} | {min(acc):.1%} / {median(acc):.1%} / {max(acc):.1%} "
                     f"| {pct(min(mean))} / {pct(median(mean))} / {pct(max(mean))} | {above} / {below} |")  # fmt: skip
    return "\n".join(lines)


def render(records: dict[str, dict]) -> str:
    """The study's block: where the numbers come from, the pooled table beside the paper, the eras, the periods."""
    made = [f"- {SPECS[spec]}: `{r['command']}`, {r['minutes']:g} minutes on {r['cores']} shared cores, at commit "
            f"{r['commit']}" for spec, r in records.items()]  # fmt: skip
    first = records.get("fischer-krauss") or next(iter(records.values()))
    report = first["report"]
    pooled = report["pooled"]
    close = (
        pooled["portfolios"]["close"] if "close" in pooled["portfolios"] else next(iter(pooled["portfolios"].values()))
    )
    return "\n".join([
        "The runs:", "", *made, "",
        f"Pooled over {len(report['periods'])} periods, {close['performance']['start']}..{close['performance']['end']}"
        f" ({close['performance']['days']} trading days), {members(report)} members, long-short top/bottom k, 5 bps a "
        f"half-turn, GSPC the index (Sharpe {close['index']['sharpe']:.2f}), the equal-weighted panel "
        f"({panels(records)}); p: the stationary bootstrap of the mean a day after costs "
        f"against zero; ranked accuracy: each day the top half of the members by score called above the day's median "
        f"next-day return, against their classes (50% by chance, whatever the probabilities' calibration): the one "
        f"beside the paper's about 54%, whose classes are the same halves and whose portfolio trades the same ranks "
        f"(whether the paper counts every stock or only the 2k traded is not checked here); the per-period table "
        f"also gives the P >= 0.5 accuracy (a member-day called above the median when its probability is 0.5 or "
        f"more), which depends on the calibration:",
        "", pooled_table(records), "", "By era (the paper: profits around zero after costs from 2010 on):", "",
        era_table(records), "", f"Per period ({SPECS['fischer-krauss'] if 'fischer-krauss' in records else ''}):",
        "", period_table(report),
    ])  # fmt: skip


def rendered(command: str) -> str:
    """The date, the commit and the command that rendered a saved run (its own commit is in the runs' list)."""
    import datetime

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    when = f"{datetime.date.today():%Y-%m-%d}"
    return f"Rendered {when} at commit {commit.stdout.strip()} from a saved run:\n\n    {command}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=PANEL)
    parser.add_argument("--specs", nargs="+", choices=SPECS, default=["fischer-krauss"])
    parser.add_argument("--window", type=int, default=60, help="the paper's network's window (the paper: 240)")
    parser.add_argument("--periods", type=int, default=None, help="only the first N periods (a quick check)")
    parser.add_argument("--json", type=Path, help="also write each specification's record here")
    parser.add_argument("--from-json", type=Path, help="render the records of a --json file; train nothing")
    parser.add_argument("--controls", type=Path, default=CONTROLS, help="scripts/study_controls.py's --json")
    parser.add_argument("--docs", action="store_true", help="also write the tables into docs/study.md")
    parser.add_argument("--plot", type=Path, help="the first specification's pooled equity curves (its first k)")
    args = parser.parse_args()
    if args.from_json:
        records = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        records = {}
        for spec in args.specs:
            plot = args.plot if spec == args.specs[0] else None  # the first specification's pooled curves
            records[spec] = run(spec, args.panel, args.window, args.periods, plot)
            if args.json:  # after each: a long run keeps what it finished
                args.json.write_text(json.dumps(records, indent=1, default=str) + "\n", encoding="utf-8")
    command = " ".join(["python", "scripts/study.py", *sys.argv[1:]])
    text = (rendered(command) if args.from_json else stamp(command)) + "\n" + render(records)
    controls = json.loads(args.controls.read_text(encoding="utf-8"))
    print(text + "\n\n" + controls_table(controls))
    if args.docs:
        replace_block(PAGE, "study-tables", text)
        replace_block(PAGE, "study-controls", controls_table(controls))


if __name__ == "__main__":
    main()
