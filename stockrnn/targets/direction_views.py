"""How the direction target's results look: tables and lines for the terminal, and plots onto a given figure.

Input: a `DirectionForecast` (or its JSON), a backtest report's JSON. Output: printable items (a `str` is one line of
plain text, anything else a rich renderable) and drawings. Rich and matplotlib are imported when something is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import trend
from ..formatting import fmt, price, significant
from .panels import backtest_title, draw_skill

if TYPE_CHECKING:
    from ..standing import Standing
    from .direction import DirectionForecast


def scores_view(title: str, metrics: Mapping[str, trend.Chances]) -> list[Any]:
    """One row per method of a direction model's scores (trend.report), then what each method is."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for name in ("method", "Brier", "skill", "log loss", "accuracy", "DM p"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for name, m in metrics.items():
        table.add_row(
            name, fmt(m.brier, ".4f"), significant(m.brier_skill, sign=True), fmt(m.log_loss, ".4f"),
            fmt(m.accuracy, ".0%"), fmt(m.test.p_value if m.test else None),  # against the base rate
        )  # fmt: skip
    return [title, table, *(Text(f"  {name}: {trend.PROBABILITY_METHODS[name]}") for name in metrics)]


def forecast_view(
    data: dict[str, Any], metrics: Mapping[str, trend.Chances], standing: Standing | None = None
) -> list[Any]:
    """Per date, P(price higher than on the day `horizon_days` before), then the scores where outcomes are known,
    then what stands behind it (`standing`: the in-sample note, the evidence line, the staleness warning)."""
    from rich.table import Table

    h = data["horizon_days"]
    label = standing.label if standing else None
    title = f"{data['symbol']} {data['column']}: P(higher than {h} trading days before) (model {data['model_version']})"
    table = Table(title=title if label is None else f"{title}\n{label.upper()}: inside the model's training data")
    for name in ("date", "from", "P(up)", "base rate", "actual", "outcome"):
        table.add_column(name, justify="left" if name in ("date", "from") else "right")
    for row in data["rows"]:
        outcome = {None: "", 1.0: "up", 0.0: "down"}[row["outcome"]]
        table.add_row(row["date"], row["origin"], f"{row['p_up']:.1%}", f"{data['base_rate']:.1%}",
                      "" if row["actual"] is None else price(row["actual"]), outcome)  # fmt: skip
    after = standing.lines() if standing else []
    if not metrics:
        return [table, f"no outcomes known for these days yet: a pure forecast (a date's P(up) is made {h} trading "
                       f"days before it, so a forecast after the last day reaches {h} days)", *after]  # fmt: skip
    scored = "Against the outcomes" + ("" if label is None else f" ({label}: not evidence)")
    return [table, *scores_view(scored, metrics), *data["verdict"], *after]


def draw_forecast(forecast: DirectionForecast, figure: Any) -> None:
    """The price history and actual prices above, each date's P(up) below (green: the price did rise, red: it did
    not, grey: not known yet), beside the base rate."""
    from .value_views import HISTORY_DAYS, shade_in_sample, subtitle_lines

    rows, history = forecast.rows, forecast.history.iloc[-HISTORY_DAYS:]
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    top.plot(history.index, history.to_numpy(), color="0.35", lw=1.2, label=f"history ({forecast.column})")
    actual = rows["actual"].dropna()
    if len(actual):
        top.plot(actual.index, actual.to_numpy(), color="black", lw=1.8, marker=".", label="actual price")
    top.set_ylabel(forecast.column)
    colors = ["0.6" if o != o else ("tab:green" if o == 1 else "tab:red") for o in rows["outcome"]]
    bottom.bar(rows.index, rows["p_up"], width=0.8, color=colors, alpha=0.8)
    bottom.axhline(forecast.base_rate, color="black", lw=1.0, ls="--", label=f"base rate {forecast.base_rate:.1%}")
    bottom.axhline(0.5, color="0.5", lw=0.6, ls=":")
    bottom.set_ylim(0, 1)
    bottom.set_ylabel(f"P(higher than\n{forecast.horizon} days before)")
    bottom.legend(loc="upper left", fontsize=9)
    standing = forecast.standing
    label = standing.label if standing else None
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        shade_in_sample(ax, standing)
    top.legend(loc="upper left", fontsize=9)
    title = f"{forecast.symbol}: P(up over {forecast.horizon} trading days), model {forecast.version}"
    figure.suptitle(title if label is None else f"{title}, {label.upper()}")
    subtitle = []
    if forecast.metrics:
        m = forecast.metrics
        subtitle.append(f"Brier {m[trend.MODEL].brier:.4f} vs base rate {m[trend.BASE_RATE].brier:.4f}; accuracy "
                        f"{m[trend.MODEL].accuracy:.0%} vs always up {m[trend.ALWAYS_UP].accuracy:.0%}")  # fmt: skip
    top.set_title("\n".join([*subtitle, *subtitle_lines(standing)]), fontsize=8, family="monospace")
    figure.autofmt_xdate()


def backtest_view(report: dict[str, Any]) -> list[Any]:
    """Per fold its Brier score beside the base rate's and accuracy beside always-up; the pooled scores, their
    reliability and the verdicts."""
    from rich.table import Table

    items: list[Any] = ["Per fold: Brier score of P(up) vs the base rate's, and accuracy vs always up"]
    table = Table("fold", "cut-off", "Brier", "base rate", "skill", "hits", "always up", "rises")
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], fmt(m["p_up"]["brier"], ".4f"), fmt(m["base_rate"]["brier"], ".4f"),
            significant(m["p_up"]["brier_skill"], sign=True), fmt(m["p_up"]["accuracy"], ".0%"),
            fmt(m["always_up"]["accuracy"], ".0%"), fmt(m["p_up"]["ups"], ".0%"),
        )  # fmt: skip
    items.append(table)
    s, pooled = report["summary"]["p_up"], report["pooled"]
    median, q25, q75 = (significant(s["brier_skill"][k], sign=True) for k in ("median", "q25", "q75"))
    items.append(
        f"median (quartiles) across folds: Brier skill {median} ({q25} to {q75}); accuracy "
        f"{fmt(s['accuracy']['median'], '.0%')}, always up "
        f"{fmt(report['summary']['always_up']['accuracy']['median'], '.0%')}"
    )
    bins = ", ".join(f"{b['predicted']:.2f} -> {b['observed']:.2f} ({b['count']})" for b in pooled["reliability"])
    items.append(
        f"reliability, pooled over {pooled['days']} days (mean P(up) -> observed share of rises (days)): {bins}"
    )
    return [*items, *report["verdict"]]


def draw_reliability(figure: Any, report: dict[str, Any]) -> None:
    """Predicted against observed frequency of a rise, pooled over the folds, with each bin's count; below, each
    fold's Brier skill against its base rate."""
    import textwrap

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
    p_up = [f["metrics"]["p_up"] for f in folds]
    draw_skill(bottom, labels, [m["brier_skill"] for m in p_up], [(m.get("test") or {}).get("p_value") for m in p_up],
               "the base rate")  # fmt: skip
    bottom.set_ylabel("Brier skill\nvs base rate")
    bottom.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    bottom.set_xlabel("cut-off (last training day)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    lines = [textwrap.fill(line.removeprefix("verdict: "), 150) for line in report["verdict"]]
    figure.suptitle("\n".join([backtest_title(report, "P(up)"), *lines]), fontsize=8)
