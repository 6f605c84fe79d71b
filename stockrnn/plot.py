"""Plot stage: a PNG of recent history, the actual prices, the recursive forecast and the one-step line.

Input: a `Forecast`. Output: a PNG file, written atomically. Uses matplotlib's Agg backend: never a window.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from .config import HORIZON, LEVEL
from .direction import TrendForecast
from .errors import CannotWriteError
from .forecast import Forecast, predict
from .metrics import FORECAST, NAIVE, ONE_STEP, PERSISTENCE
from .paths import atomic_write, check_output, home

HISTORY_DAYS = 120  # trading days of history shown before the origin


def plot(forecast: Forecast, out: Path) -> Path:
    """Draw `forecast` into `out` (PNG) and return the path."""
    rows, history = forecast.rows, forecast.history.iloc[-HISTORY_DAYS:]
    figure = _figure(11, 5.5)
    ax = figure.add_subplot()
    ax.plot(history.index, history.to_numpy(), color="0.35", lw=1.2, label=f"history ({forecast.column})")
    actual = rows["actual"].dropna()
    if len(actual):
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.8, marker=".", label="actual price")
    one_step = rows["one_step"].dropna()
    if len(one_step):
        ax.plot(
            one_step.index,
            one_step.to_numpy(),
            color="tab:blue",
            lw=1.5,
            marker=".",
            label="one step ahead, from actual previous prices",
        )
    if "one_step_lower" in rows:
        known = rows["one_step_lower"].notna()
        ax.fill_between(rows.index[known], rows["one_step_lower"][known], rows["one_step_upper"][known],
                        color="tab:blue", alpha=0.12, lw=0,
                        label=f"{forecast.level:.0%} band of each one-step prediction")  # fmt: skip
    if "lower" in rows:
        ax.fill_between(rows.index, rows["lower"], rows["upper"], color="tab:red", alpha=0.12, lw=0,
                        label=f"{forecast.level:.0%} prediction interval of the forecast")  # fmt: skip
    # The recursive path starts at the origin's price, so that the line joins the history.
    ax.plot(
        rows.index.insert(0, forecast.origin),
        [history.iloc[-1], *rows["forecast"]],
        color="tab:red",
        lw=1.8,
        ls="--",
        label="forecast: recursive from the origin (real forecast)",
    )
    ax.axvline(forecast.origin, color="0.6", lw=0.8, ls=":")
    figure.suptitle(
        f"{forecast.symbol}: {len(rows)} trading days after {forecast.origin:%Y-%m-%d} (model {forecast.version})"
    )
    ax.set_ylabel(forecast.column)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    if forecast.metrics:
        # Headline metrics under the title, never over the data.
        m = forecast.metrics
        ax.set_title(
            f"RMSE: forecast {m[FORECAST]['rmse']:.2f} vs naive {m[NAIVE]['rmse']:.2f};  one-step "
            f"{m[ONE_STEP]['rmse']:.2f} vs persistence {m[PERSISTENCE]['rmse']:.2f} "
            f"(skill {_signed(m[ONE_STEP]['skill'])})",
            fontsize=9,
            family="monospace",
        )
    figure.autofmt_xdate()
    return _save(figure, out)


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg backend: drawn to a file, never to a window."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(figure: Any, out: Path) -> Path:
    """Write `figure` as a PNG, atomically; `CannotWriteError` (exit 73) when that is impossible."""
    out = Path(out)
    try:
        return atomic_write(out, lambda tmp: figure.savefig(tmp, format="png"))
    except OSError as exc:
        raise CannotWriteError(f"cannot write the plot {out}: {exc.strerror or exc}") from None


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def default_path(forecast: Forecast) -> Path:
    return home() / "plots" / f"{forecast.symbol}_{forecast.origin:%Y-%m-%d}.png"


def predict_and_plot(
    symbol: str,
    csv: str | Path | None = None,
    start: str | None = None,
    days: int = HORIZON,
    out: Path | None = None,
    offline: bool = False,
    level: float = LEVEL,
    date_format: str | None = None,
) -> tuple[Forecast, Path]:
    """`predict`, then `plot` it to `out` (default: plots/<SYMBOL>_<origin>.png under the home folder)."""
    if out is not None:
        check_output(out)  # before the work, not after it
    result = predict(symbol, csv, start, days, offline, level, date_format)
    draw = plot_trend if isinstance(result, TrendForecast) else plot
    return result, draw(result, out or default_path(result))


def plot_trend(forecast: TrendForecast, out: Path) -> Path:
    """A direction model's forecast: the price history and actual prices above, each date's P(up) below (green: the
    price did rise, red: it did not, grey: not known yet), beside the base rate."""
    rows, history = forecast.rows, forecast.history.iloc[-HISTORY_DAYS:]
    figure = _figure(11, 6.5)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    top.plot(history.index, history.to_numpy(), color="0.35", lw=1.2, label=f"history ({forecast.column})")
    actual = rows["actual"].dropna()
    if len(actual):
        top.plot(actual.index, actual.to_numpy(), color="black", lw=1.8, marker=".", label="actual price")
    top.set_ylabel(forecast.column)
    top.legend(loc="upper left", fontsize=9)
    colors = ["0.6" if o != o else ("tab:green" if o == 1 else "tab:red") for o in rows["outcome"]]
    bottom.bar(rows.index, rows["p_up"], width=0.8, color=colors, alpha=0.8)
    bottom.axhline(forecast.base_rate, color="black", lw=1.0, ls="--", label=f"base rate {forecast.base_rate:.1%}")
    bottom.axhline(0.5, color="0.5", lw=0.6, ls=":")
    bottom.set_ylim(0, 1)
    bottom.set_ylabel(f"P(higher than\n{forecast.horizon} days before)")
    bottom.legend(loc="upper left", fontsize=9)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    figure.suptitle(f"{forecast.symbol}: P(up over {forecast.horizon} trading days), model {forecast.version}")
    if forecast.metrics:
        m = forecast.metrics
        top.set_title(f"Brier {m['p_up']['brier']:.4f} vs base rate {m['base_rate']['brier']:.4f}; accuracy "
                      f"{m['p_up']['accuracy']:.0%} vs always up {m['always_up']['accuracy']:.0%}",
                      fontsize=9, family="monospace")  # fmt: skip
    figure.autofmt_xdate()
    return _save(figure, out)


def plot_backtest(report: dict, out: Path) -> Path:
    """A PNG of a backtest: per fold, the one-step skill against persistence, the recursive RMSE against naive and
    the prediction interval's coverage; the pooled tests' verdicts as its title. A direction model's: its
    reliability diagram and each fold's Brier skill."""
    if "reliability" in report["pooled"]:
        return _plot_reliability(report, out)
    folds = report["folds"]
    labels = [f["cutoff"] for f in folds]
    figure = _figure(11, 8)
    top, middle, bottom = figure.subplots(3, 1, sharex=True)
    skills = [f["metrics"][ONE_STEP]["skill"] or 0.0 for f in folds]
    top.bar(labels, skills, color=["tab:green" if s > 0 else "tab:red" for s in skills])
    top.axhline(0, color="black", lw=0.8)
    top.set_ylabel("one-step skill\nvs persistence")
    top.set_title("above 0: the model beat tomorrow = today on the days after that cut-off", fontsize=9)
    x = range(len(folds))
    middle.plot(x, [f["metrics"][FORECAST]["rmse"] for f in folds], "o-", color="tab:red", label="model, recursive")
    middle.plot(x, [f["metrics"][NAIVE]["rmse"] for f in folds], "s--", color="0.4", label="naive (flat)")
    middle.set_ylabel("RMSE over the horizon")
    middle.legend(fontsize=9)
    bands, width = report["pooled"]["interval"], 0.4
    for offset, method, color, what in ((-0.2, FORECAST, "tab:red", "forecast from the origin"),
                                        (0.2, ONE_STEP, "tab:blue", "one step, made the evening before")):  # fmt: skip
        band = bands[method]
        if band is not None:
            covered = [c if c is not None else 0.0 for c in band["fold_coverage"]]
            bottom.bar([i + offset for i in x], covered, width, color=color, alpha=0.7,
                       label=f"{what}: pooled {band['coverage']:.0%}")  # fmt: skip
    bottom.axhline(bands["level"], color="black", lw=0.8, ls="--", label=f"stated level {bands['level']:.0%}")
    bottom.axhline(0.5, color="0.5", lw=0.6, ls=":")
    bottom.set_ylim(0, 1.3)
    bottom.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    bottom.set_ylabel("interval coverage")
    bottom.set_title("share of actual prices inside each band, per fold", fontsize=9)
    bottom.legend(fontsize=8, loc="upper center", ncols=3)
    bottom.set_xticks(list(x), labels, rotation=30, ha="right")
    bottom.set_xlabel("cut-off (last training day)")
    for ax in (top, middle, bottom):
        ax.grid(alpha=0.3)
    lines = [textwrap.fill(line.removeprefix("verdict: "), 150) for line in report["verdict"]]
    figure.suptitle("\n".join(lines), fontsize=8)
    return _save(figure, out)


def plot_track(tracked: list[tuple[Any, list, Any]], out: Path) -> Path:
    """A PNG of the track record: per symbol, the actual prices and every recorded forecast path from its origin
    (grey: not yet matured), with its interval as a light band; each version's verdicts under its panel."""
    by_symbol: dict[str, list] = {}
    for item in tracked:
        by_symbol.setdefault(item[0].symbol, []).append(item)
    figure = _figure(11, 3.6 * len(by_symbol) + 0.6)
    axes = figure.subplots(len(by_symbol), 1, squeeze=False)[:, 0]
    import pandas as pd

    for ax, (symbol, items) in zip(axes, by_symbol.items(), strict=True):
        # A symbol's whole record (track.ALL) repeats its versions' forecasts: each path is drawn once.
        entries = list({(e.version, e.fingerprint, e.origin): e for _, group, _ in items for e in group}.values())
        actual = items[0][2]
        first = pd.Timestamp(min(e.origin for e in entries)) - pd.Timedelta(days=30)
        last = pd.Timestamp(max(e.steps[-1].date for e in entries if e.steps))
        shown = actual.loc[first:last]
        ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.4, label="actual price")
        matured_until = f"{actual.index[-1]:%Y-%m-%d}"
        for e in entries:
            days = pd.DatetimeIndex([e.origin, *(s.date for s in e.steps)])
            done = bool(e.steps) and e.steps[-1].date <= matured_until
            ax.plot(days, [e.origin_price, *(s.forecast for s in e.steps)], lw=1.0,
                    color="tab:red" if done else "0.6", alpha=0.8)  # fmt: skip
            if e.steps and e.steps[0].lower is not None:
                ax.fill_between(days[1:], [s.lower for s in e.steps], [s.upper for s in e.steps],
                                color="tab:red" if done else "0.6", alpha=0.08, lw=0)  # fmt: skip
        ax.plot([], [], color="tab:red", lw=1.0, label="recorded forecast (matured)")
        ax.plot([], [], color="0.6", lw=1.0, label="recorded forecast (pending)")
        ax.set_title(f"{symbol}: {len(entries)} forecasts recorded", fontsize=10)
        ax.set_ylabel(entries[0].column_name)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        verdicts = [f"{t.version}: {c.line().removeprefix('verdict: ')}" for t, _, _ in items for c in t.comparisons]
        ax.set_xlabel("\n".join(textwrap.fill(v, 150) for v in verdicts), fontsize=7)
    return _save(figure, out)


def _plot_reliability(report: dict, out: Path) -> Path:
    """Predicted against observed frequency of a rise, pooled over the folds, with each bin's count; below, each
    fold's Brier skill against its base rate."""
    figure = _figure(11, 8)
    top, bottom = figure.subplots(2, 1, height_ratios=[3, 2])
    bins = report["pooled"]["reliability"]
    top.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--", label="perfectly calibrated")
    top.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], "o-", color="tab:blue",
             label="model: observed share of rises per bin of P(up)")  # fmt: skip
    for b in bins:
        top.annotate(str(b["count"]), (b["predicted"], b["observed"]), textcoords="offset points", xytext=(4, 6),
                     fontsize=8)  # fmt: skip
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_xlabel("predicted P(up) (mean of the bin; the number: days in the bin)")
    top.set_ylabel("observed frequency of a rise")
    top.legend(loc="upper left", fontsize=9)
    folds = report["folds"]
    labels = [f["cutoff"] for f in folds]
    skills = [f["metrics"]["p_up"]["brier_skill"] or 0.0 for f in folds]
    bottom.bar(labels, skills, color=["tab:green" if s > 0 else "tab:red" for s in skills])
    bottom.axhline(0, color="black", lw=0.8)
    bottom.set_ylabel("Brier skill\nvs base rate")
    bottom.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    bottom.set_xlabel("cut-off (last training day)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    lines = [textwrap.fill(line.removeprefix("verdict: "), 150) for line in report["verdict"]]
    figure.suptitle("\n".join(lines), fontsize=8)
    return _save(figure, out)
