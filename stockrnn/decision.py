"""Evaluate stage, today's decision: a model's forecast after its data's last day becomes a trading signal.

Input: a forecast (`Result`) made after the data's last day, the target that reads it, a resolved `strategy.Rule`,
what stands behind the forecast (`standing.Standing`: the validation verdict, the staleness) and the symbol's
signals recorded before (`RecordedSignal`).
Output: a `Signal` (LONG / FLAT / SHORT at the close of the data's last day, by strategy.py's convention: filled at
the next trading day's close or open), and `Signals`, every symbol's ranked in one table with one line per error.
Nothing here reads or writes a store: app/signals.py does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.table import Table

from . import targets
from .record import RecordedSignal
from .rules import Rule
from .strategy import positions
from .targets import Result, Target

if TYPE_CHECKING:
    from .significance import Comparison
    from .standing import Standing

WORDS = {1.0: "LONG", 0.0: "FLAT", -1.0: "SHORT"}  # a position in words


@dataclass(frozen=True)
class Signal:
    """One symbol's decision at the close of `origin`, and what stands behind it."""

    symbol: str
    version: str  # the champion model that made it
    target: str
    origin: str  # YYYY-MM-DD: the data's last day, whose close the decision is made at
    position: float  # 1 long, 0 flat, -1 short
    score: float | None  # the expected return to the next close (a fraction) or P(up)
    lower: float | None  # the score's one-step band; None: none
    upper: float | None
    rule: Rule  # resolved: its threshold filled in
    margin: float  # how far the score lies past its threshold (target.margin): the ranking
    change: str  # since the symbol's last recorded signal: "FLAT -> LONG", "unchanged since ...", "first signal"
    fill: str  # when it is filled: "at the close of 2026-12-01"
    evidence: str  # the model's validation verdict in one line (`evidence`)
    recorded: bool | None = None  # True: new in the ledger; False: recorded before; None: not recorded
    warning: str | None = None  # the data ends long before today (standing.py): the fill day has passed

    @property
    def word(self) -> str:
        return WORDS[self.position]

    def score_text(self) -> str:
        return targets.get(self.target).score_text(self.score, self.lower, self.upper)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "model_version": self.version, "target": self.target, "origin": self.origin,
            "signal": self.word, "position": self.position, "score": self.score, "lower": self.lower,
            "upper": self.upper, "score_name": targets.get(self.target).score_name,
            "rule": {**self.rule.__dict__, "name": self.rule.name}, "margin": self.margin, "change": self.change,
            "fill": self.fill, "evidence": self.evidence, "recorded": self.recorded, "warning": self.warning,
        }  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """A symbol that gave no signal: its one-line message and the exit code of its error."""

    symbol: str
    message: str
    exit_code: int
    # A member of a global model left out of its signals (said as a WARNING naming its file; exit code 1), the
    # others given, as train --panel leaves out a member whose file fails
    left_out: bool = False

    def to_json(self) -> dict[str, Any]:
        found = {"symbol": self.symbol, "error": self.message, "exit_code": self.exit_code}
        return {**found, "left_out": True} if self.left_out else found


@dataclass(frozen=True)
class Signals:
    """Every symbol's signal, strongest first, and the symbols that failed, in the order asked."""

    signals: list[Signal]
    errors: list[Failure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every symbol gave a signal, else the first error's code (as retrain exits for a watchlist)."""
        return self.errors[0].exit_code if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        return {"signals": [s.to_json() for s in self.signals], "errors": [e.to_json() for e in self.errors],
                "exit_code": self.exit_code}  # fmt: skip

    def render(self) -> list[Any]:
        """The ranked table and what its columns mean; nothing when no symbol gave a signal."""
        if not self.signals:
            return []
        table = Table("#", "symbol", "signal", "number", "change", "model")
        for column in table.columns[:4]:
            column.no_wrap = True
        for n, s in enumerate(self.signals, start=1):
            table.add_row(str(n), s.symbol, s.word, s.score_text(), s.change, s.version)
        rules = sorted({s.rule.name + f", {s.rule.cost_bps:g} bps a side" for s in self.signals})
        return [
            table,
            f"Ranked by how far the number lies past its threshold (rule: {'; '.join(rules)}); the number: E(r), the "
            "expected return to the next close with its one-step band, or P(up). Each signal is made at its data's "
            "last close and filled on the next trading day:",
            *(
                f"  {s.symbol}: made at the close of {s.origin}, filled {s.fill}; evidence: {s.evidence}"
                for s in self.signals
            ),  # fmt: skip
            *(f"warning: {s.symbol}: {s.warning.removeprefix('warning: ')}" for s in self.signals if s.warning),
        ]


def signal(
    result: Result, target: Target, rule: Rule, standing: Standing, before: list[RecordedSignal]
) -> Signal:  # fmt: skip
    """The decision `result` (a forecast after the data's last day) asks for at the close of its origin under `rule`
    (resolved for `target`); `standing`: what stands behind it (standing.py: the model's validation verdict, the
    staleness warning); `before`: the symbol's recorded signals, oldest first."""
    rows = result.signals()
    row = rows.loc[result.origin]  # the signal made at the origin's close (a direction model's: the H-day P(up))
    position = float(positions(rows.loc[[result.origin]], target, rule).iloc[0])
    origin = f"{result.origin:%Y-%m-%d}"
    assert rule.threshold is not None  # resolved (positions asks the same)
    later = result.rows.index[result.rows.index > result.origin]
    filled = f"at the {rule.fill} of {later[0]:%Y-%m-%d}" if len(later) else f"at the next trading day's {rule.fill}"
    return Signal(
        symbol=result.symbol, version=result.version, target=target.name, origin=origin, position=position,
        score=_number(row["score"]), lower=_number(row["lower"]), upper=_number(row["upper"]), rule=rule,
        margin=target.margin(float(row["score"]), rule.threshold, rule.short), change=change(before, origin, position),
        fill=filled, evidence=evidence(standing.validation), warning=standing.warning(),
    )  # fmt: skip


def _number(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def change(before: list[RecordedSignal], origin: str, position: float) -> str:
    """What changed since the last of `before` (a symbol's recorded signals, oldest first) made up to `origin`:
    "FLAT -> LONG", "unchanged since 2026-11-20" (the first of the unbroken run of the same position), or
    "first signal"."""
    earlier = [s for s in before if s.origin <= origin]
    if not earlier:
        return "first signal"
    if earlier[-1].position != position:
        return f"{WORDS[earlier[-1].position]} -> {WORDS[position]}"
    since = earlier[-1].origin
    for s in reversed(earlier):
        if s.position != position:
            break
        since = s.origin
    return f"unchanged since {since}"


def evidence(validation: Comparison | None) -> str:
    """The model's evidence in a few words, from its validation verdict against its target's first baseline
    (`standing.validation`): "BEAT persistence by 3% (validation p = 0.01)", "LOST to ...", else "no evidence of an
    edge (validation p = 0.51)"; an old manifest without scores has none."""
    if validation is None:
        return "no evidence of an edge (no validation verdict recorded)"
    c = validation
    p = "untested" if c.test.p_value is None else f"p = {c.test.p_value:.2f}"
    if c.outcome == "beat":
        return f"BEAT {c.baseline} by {c.change:.0%} (validation {p})"
    if c.outcome == "lost":
        return f"LOST to {c.baseline} (validation {p})"
    return f"no evidence of an edge (validation {p})"


def ranked(found: list[Signal]) -> list[Signal]:
    """Strongest first: the score's distance past its threshold, positions taken before flats."""
    return sorted(found, key=lambda s: -s.margin)
