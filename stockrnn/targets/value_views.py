"""How a value target's results look: tables and lines for the terminal, and plots, from their JSON or their rows.

Input: a `ValueForecast` (or its JSON), a backtest report's JSON, a track record's scores. Output: printable items
(a `str` is one line of plain text, anything else a rich renderable) and drawings onto a given matplotlib figure.
Rich and matplotlib are imported here, when something is shown: not by the stages that compute.
"""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..formatting import band, fmt, price, significant
from ..metrics import ALWAYS_UP, FORECAST, NAIVE, ONE_STEP, PERSISTENCE, PRICE_METHODS, Scores
from .panels import DEFAULT_SHAPE, backtest_title, draw_skill

if TYPE_CHECKING:
    from ..significance import Comparison
    from ..standing import Standing
    from .value import ValueForecast

HISTORY_DAYS = 120  # trading days of history shown before the origin


def shape_words(described: str) -> str:
    """A title's words for a model's shape (`Shape.describe()`): ", direct, 5 days"; nothing for the default."""
    return "" if described == DEFAULT_SHAPE else f", {described}"


def scores_view(title: str, metrics: Mapping[str, Scores], methods: Mapping[str, str] = PRICE_METHODS) -> list[Any]:
    """One row per method; what each method is (`methods`) follows the table, so that the table fits 80 columns."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for name in ("method", "RMSE", "MAE", "MAPE %", "direction", "skill", "DM p", "in band"):
        # Numbers are never cut: where 80 columns are too few (a coin's 1.23e-08), the words give way, not the digits.
        words = name in ("method", "direction")
        table.add_column(name, justify="left" if name == "method" else "right", no_wrap=not words)
    for name, m in metrics.items():
        table.add_row(
            name,
            price(m.rmse),
            price(m.mae),
            fmt(m.mape),
            fmt(m.direction_accuracy, ".0%"),
            significant(m.skill, sign=True),
            fmt(m.test.p_value if m.test else None),  # against the method's baseline (significance.py)
            fmt(m.interval_coverage, ".0%"),  # share of actual prices inside the method's band
        )
    return [title, table, *(Text(f"  {name}: {methods.get(name, PRICE_METHODS[name])}") for name in metrics)]


def forecast_view(data: dict[str, Any], metrics: Mapping[str, Scores], standing: Standing | None = None) -> list[Any]:
    """A forecast's table (from its JSON: the numbers as a script sees them), then its scores (`metrics`) and
    verdicts where actual prices are known, then what stands behind it (`standing`: the in-sample note, the
    evidence line, the staleness warning)."""
    from rich.table import Table

    label = standing.label if standing else None
    shape = shape_words(data.get("shape", DEFAULT_SHAPE))
    title = f"{data['symbol']} {data['column']}: from {data['origin']} (model {data['model_version']}{shape})"
    table = Table(title=title if label is None else f"{title}\n{label.upper()}: inside the model's training data")
    # Where 80 columns are too few, the long headers wrap; the prices, never cut, keep their digits.
    table.add_column("date", no_wrap=True)
    path = data.get("path", "recursive") + (", then continued" if data.get("path_note") else "")  # past the head
    table.add_column(f"forecast\n(real, {path})" if label is None else f"forecast\n({path}, in-sample)",
                     justify="right")  # fmt: skip
    if data["interval"]:
        table.add_column(f"{data['interval']['level']:.0%}\ninterval", justify="right", no_wrap=True)
    table.add_column("one step\n(used actual prices)", justify="right")
    table.add_column("actual", justify="right", no_wrap=True)
    for row in data["rows"]:
        cells = [row["date"], price(row["forecast"])]
        if data["interval"]:
            cells.append(band(row["lower"], row["upper"]))
        cells += ["" if row[k] is None else price(row[k]) for k in ("one_step", "actual")]
        table.add_row(*cells)
    after = standing.lines() if standing else []
    if data.get("path_note"):
        after = [data["path_note"], *after]
    if not metrics:
        return [table, "no actual prices for these days yet: a pure forecast, nothing to score", *after]
    scored = "Against the actual prices" + ("" if label is None else f" ({label}: not evidence)")
    return [table, *scores_view(scored, metrics, data["methods"]), *data["verdict"], *after]


def draw_forecast(forecast: ValueForecast, figure: Any) -> None:
    """Recent history, the actual prices, the forecast's path from the origin with its band, the one-step line
    with its bands; the headline scores under the title."""
    rows, history = forecast.rows, forecast.history.iloc[-HISTORY_DAYS:]
    ax = figure.add_subplot()
    ax.plot(history.index, history.to_numpy(), color="0.35", lw=1.2, label=f"history ({forecast.column})")
    actual = rows["actual"].dropna()
    if len(actual):
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.8, marker=".", label="actual price")
    one_step = rows["one_step"].dropna()
    if len(one_step):
        ax.plot(one_step.index, one_step.to_numpy(), color="tab:blue", lw=1.5, marker=".",
                label="one step ahead, from actual previous prices")  # fmt: skip
    if "one_step_lower" in rows:
        known = rows["one_step_lower"].notna()
        ax.fill_between(rows.index[known], rows["one_step_lower"][known], rows["one_step_upper"][known],
                        color="tab:blue", alpha=0.12, lw=0,
                        label=f"{forecast.level:.0%} band of each one-step prediction")  # fmt: skip
    if "lower" in rows:
        ax.fill_between(rows.index, rows["lower"], rows["upper"], color="tab:red", alpha=0.12, lw=0,
                        label=f"{forecast.level:.0%} prediction interval of the forecast")  # fmt: skip
    standing = forecast.standing
    label = standing.label if standing else None
    # The path starts at the origin's price, so that the line joins the history.
    what = "real forecast" if label is None else f"{label}; not a real forecast"
    ax.plot(rows.index.insert(0, forecast.origin), [history.iloc[-1], *rows["forecast"]], color="tab:red", lw=1.8,
            ls="--", label=f"forecast: {forecast.shape.made(len(rows))} ({what})")  # fmt: skip
    ax.axvline(forecast.origin, color="0.6", lw=0.8, ls=":")
    head = forecast.shape.head_end(len(rows))
    if head is not None:  # the path goes on past what the network output at once: where its own outputs end
        last = rows.index[head - 1]
        words = f"the network's last output, day {head} ({last:%Y-%m-%d}); later days continue from it"
        ax.axvline(last, color="tab:red", lw=0.8, ls="-.", label=words)
    shade_in_sample(ax, standing)
    shape = shape_words(forecast.shape.describe())
    title = f"{forecast.symbol}: {len(rows)} trading days after {forecast.origin:%Y-%m-%d} (model {forecast.version}"
    title += f"{shape})"
    figure.suptitle(title if label is None else f"{title}, {label.upper()}")
    ax.set_ylabel(forecast.column)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    subtitle = []
    if forecast.metrics:
        # Headline metrics under the title, never over the data.
        m = forecast.metrics
        subtitle.append(
            f"RMSE: forecast {price(m[FORECAST].rmse)} vs naive {price(m[NAIVE].rmse)};  one-step "
            f"{price(m[ONE_STEP].rmse)} vs persistence {price(m[PERSISTENCE].rmse)} "
            f"(skill {significant(m[ONE_STEP].skill, sign=True)})"
        )
    ax.set_title("\n".join([*subtitle, *subtitle_lines(standing)]), fontsize=8, family="monospace")
    figure.autofmt_xdate()


def shade_in_sample(ax: Any, standing: Standing | None) -> None:
    """Shade the forecast's days that lie inside the model's training period (a matplotlib axes `ax`)."""
    if standing is None or standing.in_sample_span is None:
        return
    first, last = standing.in_sample_span
    ax.axvspan(first, last, color="tab:orange", alpha=0.12, lw=0,
               label=f"in the model's training data ({standing.in_sample_days} days): scores not evidence")  # fmt: skip


def subtitle_lines(standing: Standing | None, width: int = 130) -> list[str]:
    """What stands behind a forecast (the evidence line, the staleness warning), wrapped for a plot's subtitle."""
    if standing is None:
        return []
    found = [standing.line(), *([standing.warning()] if standing.warning() else [])]
    return [wrapped for line in found for wrapped in textwrap.wrap(str(line), width)]


def backtest_view(report: dict[str, Any]) -> list[Any]:
    """Per fold, the one-step RMSE beside persistence and the path's (recursive, direct, ...) beside naive; the
    medians across folds, the pooled bands' coverage (the forecast's also per step) and the verdicts."""
    from rich.table import Table

    path = report["pooled"].get("path", "recursive")
    items: list[Any] = [f"RMSE per fold: one step ahead vs persistence, and the {path} path vs naive (flat)"]
    table = Table("fold", "cut-off", "1-step", "persist.", "skill", "path", "naive", "echo")
    for column in table.columns[2:4] + table.columns[5:7]:
        column.no_wrap = True  # errors in price units: never cut (see forecast_view)
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], price(m[ONE_STEP]["rmse"]), price(m[PERSISTENCE]["rmse"]),
            significant(m[ONE_STEP]["skill"], sign=True), price(m[FORECAST]["rmse"]), price(m[NAIVE]["rmse"]),
            fmt(f["closer_to_yesterday"], ".0%"),
        )  # fmt: skip
    items.append(table)
    if report.get("path_note"):  # a path longer than a multi-day head: said as predict says it
        items.append(report["path_note"])
    s = report["summary"]
    skill = s[ONE_STEP]["skill"]
    items.append(
        f"median (quartiles) across folds: one-step skill {significant(skill['median'], sign=True)} "
        f"({significant(skill['q25'], sign=True)} to {significant(skill['q75'], sign=True)}); "
        f"direction: model {fmt(s[ONE_STEP]['direction_accuracy']['median'], '.0%')}, always-up "
        f"{fmt(s[ALWAYS_UP]['direction_accuracy']['median'], '.0%')}; echo (closer to yesterday's price than to "
        f"today's) {fmt(s['closer_to_yesterday']['median'], '.0%')}"
    )
    bands = report["pooled"]["interval"]
    for method, what in ((FORECAST, "forecast fixed at the origin"), (ONE_STEP, "one step, made the evening before")):
        band = bands[method]
        if band is not None:
            found = [c for c in band["fold_coverage"] if c is not None]
            items.append(
                f"{bands['level']:.0%} band of the {what}: pooled coverage {band['coverage']:.0%} of "
                f"{report['pooled']['days']} days; per fold median {statistics.median(found):.0%}, worst "
                f"{min(found):.0%}; interval score {band['winkler']:.4g}"
            )
            if band.get("step_coverage"):
                steps = " ".join("-" if c is None else f"{c:.0%}" for c in band["step_coverage"])
                items.append(f"  coverage per step after the cut-off (h = 1..{len(band['step_coverage'])}): {steps}")
    return [*items, *report["verdict"]]


def draw_backtest(figure: Any, report: dict[str, Any]) -> None:
    """Per fold, the one-step skill against persistence, the path's RMSE against naive and the prediction
    intervals' coverage; the pooled tests' verdicts as the title."""
    folds = report["folds"]
    labels = [f["cutoff"] for f in folds]
    top, middle, bottom = figure.subplots(3, 1, sharex=True)
    one_step = [f["metrics"][ONE_STEP] for f in folds]
    draw_skill(top, labels, [m["skill"] for m in one_step], [(m.get("test") or {}).get("p_value") for m in one_step],
               "persistence")  # fmt: skip
    top.set_ylabel("one-step skill\nvs persistence")
    top.set_title("above 0: the model beat tomorrow = today on the days after that cut-off", fontsize=9)
    x = range(len(folds))
    path = report["pooled"].get("path", "recursive")
    middle.plot(x, [f["metrics"][FORECAST]["rmse"] for f in folds], "o-", color="tab:red", label=f"model, {path}")
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
    figure.suptitle("\n".join([backtest_title(report, "the forecasts"), *lines]), fontsize=8)


def track_row(metrics: Mapping[str, Scores | None], level: float | None, comparisons: list[Comparison]) -> list[str]:
    """Track's cells: RMSE vs naive, the first day vs persistence, in band, hit rate vs always up, DM p."""
    none = Scores()
    path, naive, up = (metrics[name] or none for name in (FORECAST, NAIVE, ALWAYS_UP))
    first, persist = metrics[ONE_STEP] or none, metrics[PERSISTENCE] or none
    return [
        f"{fmt(path.rmse, '.4g')}\n{fmt(naive.rmse, '.4g')}",
        f"{fmt(first.rmse, '.4g')}\n{fmt(persist.rmse, '.4g')}",
        fmt(path.interval_coverage, ".0%") + (f"\nof {level:.0%}" if level else ""),
        f"{fmt(path.direction_accuracy, '.0%')}\n{fmt(up.direction_accuracy, '.0%')}",
        fmt(comparisons[0].test.p_value),
    ]
