"""Plot stage: results drawn into image files, written atomically; matplotlib's Agg backend, never a window.

Input: a forecast (a target's `Result`), a backtest report or a track record. Output: an image file in the format
its name asks for (x.png, x.pdf, x.svg: whatever matplotlib writes; a name without a suffix: PNG). What a forecast
or a backtest looks like is its target's (targets/*_views.py draw onto the figure made here).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CannotWriteError, UsageError
from .paths import atomic_write, check_output

if TYPE_CHECKING:
    from .targets import Result


def draw(result: Result, out: Path) -> Path:
    """Draw a forecast (any target's `Result`: it draws itself) into `out` (`image_format`) and return the path."""
    figure = _figure(*result.figure_size)
    result.draw(figure)
    return _save(figure, out)


def draw_backtest(report: Any, out: Path) -> Path:
    """A backtest report (backtest.BacktestReport: its target draws it) into `out` (`image_format`)."""
    figure = _figure(11, 8)
    report.draw(figure)
    return _save(figure, out)


def image_format(out: Path) -> str:
    """The format `out`'s suffix asks for (x.pdf: "pdf"; no suffix: "png"); a `UsageError` (exit 2) naming the
    formats matplotlib can write, for a suffix it cannot (x.docx)."""
    suffix = Path(out).suffix.lower().removeprefix(".")
    if not suffix:
        return "png"
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    formats = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if suffix not in formats:
        raise UsageError(
            f"cannot write a plot as {Path(out).name}: .{suffix} is not an image format; "
            f"use one of {', '.join('.' + f for f in sorted(formats))}"
        )
    return suffix


def check_plot(out: Path) -> Path:
    """A plot file the user asked for, checked before any work: its folder (`paths.check_output`) and its format
    (`image_format`)."""
    image_format(out)
    return check_output(out)


def draw_strategy(report: Any, out: Path) -> Path:
    """A strategy report (strategy_report.StrategyReport: it draws itself) into `out` (its suffix's format)."""
    figure = _figure(11, 8)
    report.draw(figure)
    return _save(figure, out)


def draw_report(report: Any, out: Path) -> Path:
    """Any report that draws itself (`figure_size`, `draw(figure)`: a study's) into `out` (its suffix's format)."""
    figure = _figure(*report.figure_size)
    report.draw(figure)
    return _save(figure, out)


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg backend: drawn to a file, never to a window."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(figure: Any, out: Path) -> Path:
    """Write `figure` in the format `out`'s name asks for (`image_format`), atomically; `CannotWriteError` (exit
    73) when that is impossible."""
    out = Path(out)
    kind = image_format(out)
    try:
        return atomic_write(out, lambda tmp: figure.savefig(tmp, format=kind))
    except OSError as exc:
        raise CannotWriteError(f"cannot write the plot {out}: {exc.strerror or exc}") from None


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
