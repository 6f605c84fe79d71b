"""Application layer, retraining a global model: the nightly contest of app/nightly.py, pooled over the members.

Input: a global model's name (its champion records its panel's source: the folder or watchlist, adjusted, strict, and
the --market it was given), the watchlist's training options for it, and retrain's options. Output: one
`contest.Outcome`, as a symbol's retrain gives (the command's table and log, the retrain log).

The panel is read again from its recorded source. When its data is the champion's (its fingerprint, `Panel.sha256`)
and not forced: up to date. Else a challenger is trained (panel_train.fit_panel) up to the day before the holdout
(the last `holdout` days of the common calendar: one cut-off for every member), and both contestants forecast every
member they share on the holdout, one step ahead: each member-day's loss in units free of the price level
(`Target.day_losses`), and one Diebold-Mariano test of each day's mean loss difference over the members
(`panel_backtest.pooled_test`, as `backtest --panel` and train's validation test). The rule, pooled over members: the
newer challenger is promoted unless the champion is significantly better on the pooled days; a champion older than
`max_age` trading days always gives way; with `margin`, the challenger's pooled score must beat the champion's by more
than that fraction. Each member's own verdict (`Target.versus`, on its days) is counted in the reason's words, and
decides as before (more members significantly better) where no pooled test can be made. The new champion's next
forecast of every member goes into the ledger (`track` scores them).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import backend, ledger, registry, targets
from ..config import HORIZON
from ..contest import Outcome, rule
from ..errors import DataError, StockRNNError
from ..forecast import forecast_model, load_model, reach
from ..manifest import Manifest
from ..panel import Membership, Panel, Skipped
from ..panel_backtest import member_losses, pooled_test, wide
from ..panel_train import Member, fit_panel
from ..price_source import PanelSource
from ..significance import Comparison
from ..targets import Result
from .panel import read_panel


def recorded_source(manifest: Manifest, offline: bool, strict: bool) -> PanelSource:
    """The panel source a global model's manifest recorded, read `offline` and `strict` as this run asks (strict if
    either asks)."""
    source = (manifest.data.panel or {}).get("source") or {}
    path = Path(source.get("path", ""))
    folder, watchlist = (path, None) if source.get("kind") == "folder" else (None, path)
    strict = strict or bool(source.get("strict"))
    return PanelSource(folder, watchlist, bool(source.get("adjusted", True)), offline, strict)


def retrain_global(
    stored: registry.StoredModel, options: dict, force: bool, keep: int, holdout: int, margin: float | None,
    offline: bool, max_age: int, strict: bool,
) -> Outcome:  # fmt: skip
    """Retrain the global model `stored` (see the module's docstring); call it holding its lock. Raises
    `StockRNNError` on failure (the panel cannot be read, no member can train)."""
    started = time.perf_counter()
    m = stored.manifest
    name, record = m.symbol, m.data.panel or {}
    config = dataclasses.replace(m.config, **options)
    source = recorded_source(m, offline, strict)
    panel, market, _ = read_panel(source, dataclasses.replace(config, train_end=None), m.data.market)
    days = panel.calendar
    champions = record.get("members", {})
    # Up to date as a symbol's retrain judges it (nightly.prepare): the data is the last attempt's (champion or not:
    # a kept challenger is not trained again on the same days), and it was trained up to the day a challenger would.
    last = registry.last_attempt(name, m)
    through = f"{days[-holdout - 1]:%Y-%m-%d}" if len(days) > holdout else None
    covered = through is not None and last.data.train_end >= through
    if panel.sha256 == last.data.sha256 and covered and not force:
        said = f"no new data in {source.where} since {last.data.last_day}"
        if last.version != m.version:
            said += f": {last.version} was trained on it and kept out"
        attempt = last.data.panel or {}
        membership = Membership.of(champions, list(attempt.get("members", {})), _left_out(attempt))
        return Outcome(
            name, "up to date", said, exit_code=int(membership.lost), champion=m.version, membership=membership
        )
    if len(days) <= holdout:
        raise DataError(f"{source.where}: {len(days)} trading days; retraining needs more than --holdout {holdout}")
    holdout_start, cut = days[-holdout], days[-holdout - 1]
    config = dataclasses.replace(config, train_end=f"{cut:%Y-%m-%d}")
    fitted = fit_panel(panel, config, market)
    kept_record = {**(fitted.manifest.data.panel or {}), "source": record.get("source")}
    data = dataclasses.replace(fitted.manifest.data, panel=kept_record, market=m.data.market)
    challenger = dataclasses.replace(fitted.manifest, data=data)
    champion_model = load_model(m, stored.model_path)
    contestants = (fitted.model, fitted.scaler, challenger), (champion_model, stored.scaler, m)
    versus = _holdout(panel, *contestants, holdout, market)
    pooled, baseline = _pooled(panel, *contestants, holdout, market)
    age = int((days > pd.Timestamp(m.data.train_end)).sum())  # trading days the champion has not seen
    promote, reason = _decide(versus, margin, age, max_age, targets.get(config.target).promotion_metric, pooled)
    folder = registry.save_version(name, backend.model_to_bytes(fitted.model), fitted.scaler, challenger, promote=False)
    if promote:
        registry.promote_version(name, folder.name, reason)
    kept = registry.load_current(name)
    _remember(panel, load_model(kept.manifest, kept.model_path) if promote else champion_model, kept, market)
    membership = Membership.of(champions, list((fitted.manifest.data.panel or {}).get("members", {})), fitted.skipped)
    left = f"; left out: {', '.join(s.symbol for s in fitted.skipped)}" if fitted.skipped else ""
    return Outcome(
        symbol=name, status="promoted" if promote else "kept champion", message=f"{reason}{left}",
        exit_code=int(membership.lost), champion=registry.champion(name), challenger=folder.name,
        holdout={"start": f"{holdout_start:%Y-%m-%d}", "end": f"{days[-1]:%Y-%m-%d}", "days": holdout},
        pruned=registry.prune(name, keep), seconds=round(time.perf_counter() - started, 1), target=config.target,
        membership=membership, comparison=pooled, pooled_baseline=baseline,
    )  # fmt: skip


def _left_out(record: dict) -> tuple[Skipped, ...]:
    """The members a version's manifest recorded as left out (`data.panel["left_out"]`)."""
    return tuple(Skipped(one["symbol"], one["where"], one["why"]) for one in record.get("left_out", []))


def _holdout(
    panel: Panel, challenger: tuple, champion: tuple, holdout: int, market: pd.Series | None
) -> dict[str, Comparison]:  # fmt: skip
    """Each member both contestants know: the challenger against the champion on the holdout, one step ahead."""
    found = {}
    start = f"{panel.calendar[-holdout]:%Y-%m-%d}"
    for symbol, prices in panel.members.items():
        results: list[Result] = []
        for model, scaler, manifest in (challenger, champion):
            members = (manifest.data.panel or {}).get("members", {})
            if symbol not in members or prices.frame.index[-1] < panel.calendar[-1]:
                break  # not a member of both, or its data ends before the holdout does
            index = members[symbol]["index"] if manifest.config.symbol_embedding else None
            results.append(
                forecast_model(
                    Member(model, index),
                    scaler["members"][symbol],
                    manifest.config,
                    prices,
                    start,
                    holdout,
                    ("", ""),
                    market=market,
                    whole_path=False,  # scored one step ahead: a covariates model's path stops at its head's outputs
                )  # fmt: skip
            )
        if len(results) == 2:
            found[symbol] = targets.get(challenger[2].config.target).versus(*results)
    return found


def _pooled(
    panel: Panel, challenger: tuple, champion: tuple, holdout: int, market: pd.Series | None
) -> tuple[Comparison | None, float | None]:  # fmt: skip
    """The challenger against the champion over every member both know, on all the holdout's member-days at once:
    each member-day's one-step loss (`Target.day_losses`: units free of the price level), then
    `panel_backtest.pooled_test` (each day's cross-sectional mean loss difference, DM/HLN), as `backtest --panel`
    and train's validation test; beside it, the score's first baseline (persistence, the base rate) pooled over
    the same member-days (None without one). (None, None) when the two share no member or no score (another
    target), or for a panel-only target (rank), whose outcome one member's losses do not hold."""
    if targets.get(challenger[2].config.target).panel_only:  # rank: one member's losses miss its outcome
        return None, None
    days = panel.calendar[-holdout:]
    losses: tuple[list[pd.DataFrame], list[pd.DataFrame]] = ([], [])
    for symbol, prices in panel.members.items():
        if not all(symbol in (c[2].data.panel or {}).get("members", {}) for c in (challenger, champion)):
            continue
        for found, (model, scaler, manifest) in zip(losses, (challenger, champion), strict=True):
            index = manifest.data.panel["members"][symbol]["index"] if manifest.config.symbol_embedding else None
            found.append(member_losses(Member(model, index), scaler["members"][symbol], manifest.config, symbol,
                                       prices.frame, prices.source, days, 0, market))  # fmt: skip
    if not losses[0]:
        return None, None
    new, old = (pd.concat(found, ignore_index=True) for found in losses)
    shared = [score for score in dict.fromkeys(new["score"]) if score in set(old["score"])]
    if not shared:
        return None, None
    score, config = shared[0], challenger[2].config  # the challenger's target's own score first
    mine, theirs = wide(new, score, "model"), wide(old, score, "model")
    theirs = theirs.reindex(index=mine.index, columns=mine.columns)
    both = mine.notna() & theirs.notna()
    if not both.to_numpy().any():
        return None, None
    target = targets.get(config.target)
    values = [target.pooled_score(score, float(np.nanmean(x.where(both).to_numpy()))) for x in (mine, theirs)]
    window = (f"the holdout {days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d} of {mine.shape[1]} members, pooled: "
              f"{int(both.to_numpy().sum())} member-days")  # fmt: skip
    test = pooled_test(mine.where(both), theirs.where(both), config.horizon).recorded()
    # the score's first baseline (persistence, the base rate) on the same member-days, for retrain's table
    methods = [m for m in dict.fromkeys(new.loc[new["score"] == score, "method"]) if m != "model"]
    baseline = None
    if methods:
        base = wide(new, score, methods[0]).reindex(index=mine.index, columns=mine.columns).where(both).to_numpy()
        baseline = target.pooled_score(score, float(np.nanmean(base))) if np.isfinite(base).any() else None
    return Comparison("the champion", window, values[0], values[1], test, model="the challenger",
                      score=score), baseline  # fmt: skip


def _decide(
    versus: dict[str, Comparison], margin: float | None, age: int, max_age: int, metric: str,
    pooled: Comparison | None = None,
) -> tuple[bool, str]:  # fmt: skip
    """The pooled rule (see the module's docstring): (promote?, the reason in words, with the rule). With `pooled`
    (one test over every member's holdout days): the challenger is kept out only when the champion is
    significantly better there, and --margin compares the pooled scores; the members' own verdicts are counted in
    the words. Without it: the members' verdicts counted decide."""
    beat = sum(c.significant and c.outcome == "beat" for c in versus.values())
    lost = sum(c.significant and c.outcome == "lost" for c in versus.values())
    ratios = [c.model_rmse / c.baseline_rmse for c in versus.values() if c.baseline_rmse]
    median = statistics.median(ratios) if ratios else None
    said = (
        f"on {len(versus)} members' holdouts the challenger was significantly better on {beat}, the champion on "
        f"{lost}" + (f"; the challenger's {metric.upper()} / the champion's, median {median:.3f}" if median else "")
    )
    if pooled is not None:
        said = f"pooled over the members' holdout days, the challenger: {pooled.summary()} ({said})"
        words = f"rule: {rule(margin, max_age)}, on the members' holdout days pooled (one test of the days' mean)"
    else:
        words = f"rule: {rule(margin, max_age)}, pooled over members (more members significantly better)"
    if not versus and pooled is None:
        return True, f"no member to compare on the holdout; {words}"
    if max_age and age > max_age:
        return True, f"the champion is {age} trading days old, over {max_age} ({said}); {words}"
    if margin is not None:
        ratio = pooled.model_rmse / pooled.baseline_rmse if pooled is not None and pooled.baseline_rmse else median
        promote = ratio is not None and ratio < 1 - margin
        return promote, f"{said}: {'beats' if promote else 'does not beat'} the champion by {margin:.0%}; {words}"
    if pooled is not None:
        if pooled.significant and pooled.outcome == "lost":
            return False, f"the champion is significantly better ({said}); {words}"
        return True, f"{said}: the newer data decides; {words}"
    if lost > beat:
        return False, f"the champion is significantly better on more members ({said}); {words}"
    return True, f"{said}: the newer data decides; {words}"


def _remember(panel: Panel, model: object, stored: registry.StoredModel, market: pd.Series | None) -> None:
    """The champion's next forecast of every member into the ledger, as predict records one (its own data)."""
    from ..panel_train import member_manifest

    m = stored.manifest
    days = min(HORIZON, reach(m.config) or HORIZON)  # a covariates model's: as many as its head outputs
    for symbol, prices in panel.members.items():
        if symbol not in (m.data.panel or {}).get("members", {}):
            continue
        view = member_manifest(m, symbol)
        index = (m.data.panel or {})["members"][symbol]["index"] if m.config.symbol_embedding else None
        try:
            result = forecast_model(
                Member(model, index), stored.scaler["members"][symbol], m.config, prices, None, days,
                (symbol, view.version), view.interval, market=market,
            )  # fmt: skip
        except StockRNNError:  # a member that cannot forecast (its data ends early) records nothing
            continue
        ledger.remember(result, m.config, prices, "retrain")
