"""Evaluate stage, a traded panel split by era: a portfolio's daily returns and its scores' accuracy cut at given
days (Fischer and Krauss's 1992-2009 vs 2010-2015 reading: profits around zero after costs from 2010 on).

Input: a `portfolio.PortfolioReport` (its daily frame), the scores it traded (days, members), the members' closes
(days, members) and the days the eras start at. Output: one `Era` per non-empty span: the mean daily return before
and after costs, the Sharpe ratio after costs, the scores' accuracy and the bootstrap test of the mean against zero
(bootstrap.MeanTest, the portfolio's own verdict restricted to the era's days). No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .bootstrap import MeanTest
from .crosssection import Accuracy, accuracy, next_returns, rank_labels
from .errors import UsageError
from .portfolio import PortfolioReport
from .strategy import Performance


@dataclass(frozen=True)
class Era:
    """One era of a traded portfolio: its return days `start`..`end`, their mean return a day before costs
    (`gross`) and after (`net`), fractions; the Sharpe ratio after costs (annualised; None: no variation); the
    accuracy of the scores made on its days; the test of `net` against zero."""

    start: pd.Timestamp
    end: pd.Timestamp
    gross: float
    net: float
    sharpe: float | None
    accuracy: Accuracy
    mean_test: MeanTest

    @property
    def days(self) -> int:
        return self.mean_test.n

    def to_json(self) -> dict[str, Any]:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}", "days": self.days,
                "mean_before_costs": self.gross, "mean_after_costs": self.net, "sharpe": self.sharpe,
                "ranked_accuracy": self.accuracy.to_dict(), "mean_test": self.mean_test.to_dict()}  # fmt: skip


def parse(texts: Sequence[str]) -> tuple[pd.Timestamp, ...]:
    """`--eras` days (YYYY-MM-DD, each an era's first day), sorted and unique; a `UsageError` naming the value that
    is not a date."""
    found = set()
    for text in texts:
        try:
            found.add(pd.Timestamp(text))
        except ValueError:
            raise UsageError(f"--eras {text!r} is not a date; use YYYY-MM-DD (the first day of an era)") from None
    return tuple(sorted(found))


def split(report: PortfolioReport, scores: pd.DataFrame, closes: pd.DataFrame, at: Sequence[pd.Timestamp]) -> list[Era]:
    """`report`'s days cut at the days `at` (each the first day of an era; sorted): one `Era` per span holding at
    least one return day, in order. A return day d belongs to the era holding d; the accuracy of an era is that of
    the scores made on its days (`scores`: days, members; classes from `closes`' next-day returns, as
    `portfolio.trade` counts them). With no `at`: one era, the whole report."""
    day = report.day  # (return days, columns gross, ret, exposed, ...)
    bounds = [day.index[0], *[d for d in at if day.index[0] < d <= day.index[-1]]]
    said = rank_labels(next_returns(closes)).reindex(index=scores.index, columns=scores.columns)
    name = f"the {report.rule.name} portfolio"
    found = []
    for start, stop in zip(bounds, [*bounds[1:], None], strict=True):
        part = day.loc[start:] if stop is None else day.loc[(day.index >= start) & (day.index < stop)]
        if part.empty:
            continue
        made = (scores.index >= start) & (True if stop is None else scores.index < stop)
        before = day.index[day.index.get_loc(part.index[0]) - 1] if part.index[0] != day.index[0] else part.index[0]
        found.append(
            Era(part.index[0], part.index[-1], float(part["gross"].mean()), float(part["ret"].mean()),
                Performance.of(part, before).sharpe, accuracy(scores[made], said[made]),
                MeanTest.run(part["ret"], model=name, exposed=int(part["exposed"].sum())))
        )  # fmt: skip
    return found
