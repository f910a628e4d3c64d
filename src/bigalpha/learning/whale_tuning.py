"""L-OPT-1: every 12 hours, over the last 50 trades, the P&L the whale-intent guard would have allowed at
the whale threshold × 0.8, 0.9, 1.0, 1.1 and 1.2; the best is adopted only if it beats the current one by
more than $50, and every run is recorded.

The probe keeps, per symbol, the whale buy and sell notional of each of the last `whale_intent_window`
bars at every candidate threshold, so each signal carries the whale-intent CVD it would have seen at each.
A run re-asks the real G-WHALE-3 guard with those numbers and counts each signal's shadow P&L (ideal
fills, L-SHADOW-1) in dollars at the notional it was (or would have been) given.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from bigalpha.config import Settings
from bigalpha.domain import Decision, MarketSnapshot, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.whale import whale_intent
from bigalpha.indicators.columns import has_trade_sizes
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.flow import flow_direction, whale_trade_flow

CANDIDATES_KEY = "whale_candidates"


class TunedShadow(Protocol):
    """What the tuning reads of a closed shadow trade: a `Shadow`, or the store's narrower `TuningShadow`."""

    @property
    def signal_id(self) -> str: ...

    @property
    def symbol(self) -> str: ...

    @property
    def side(self) -> str: ...

    @property
    def strategy(self) -> str: ...

    @property
    def blocked_by(self) -> str | None: ...

    @property
    def taken(self) -> bool: ...

    @property
    def opened_at(self) -> datetime: ...

    @property
    def entry_price(self) -> float: ...

    @property
    def closed_at(self) -> datetime | None: ...

    @property
    def return_pct(self) -> float | None: ...

    @property
    def state(self) -> Mapping[str, Any] | None: ...


class WhaleProbe:
    """Whale-intent CVD at every candidate threshold, per symbol, over the whale-intent window."""

    def __init__(self, settings: Settings) -> None:
        self.multipliers = tuple(settings.learning.optimize_multipliers)
        self.window = settings.indicators.whale_intent_window
        self._bars: dict[str, deque[tuple[float, ...] | None]] = {}

    def observe(self, snapshot: MarketSnapshot, threshold_usd: float) -> None:
        bars = self._bars.setdefault(snapshot.symbol, deque(maxlen=self.window))
        if not has_trade_sizes(snapshot):
            bars.append(None)  # no trade sizes this bar: intent is unknown at every threshold, as in the builder
            return
        deltas = []
        for multiplier in self.multipliers:
            buy, sell = whale_trade_flow(snapshot.trades, threshold_usd * multiplier)
            deltas.append(buy - sell)
        bars.append(tuple(deltas))

    def candidates(self, symbol: Symbol) -> dict[str, float] | None:
        """{multiplier: intent CVD} once the window is full of bars with trade sizes; None otherwise."""
        bars = self._bars.get(symbol)
        if bars is None or len(bars) < self.window or any(bar is None for bar in bars):
            return None
        return {repr(m): sum(bar[k] for bar in bars if bar is not None) for k, m in enumerate(self.multipliers)}

    def state_dict(self) -> dict[str, Any]:
        return {symbol: [list(bar) if bar is not None else None for bar in bars] for symbol, bars in self._bars.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._bars = {
            symbol: deque((tuple(bar) if bar is not None else None for bar in bars), maxlen=self.window)
            for symbol, bars in state.items()
        }


@dataclass(frozen=True, slots=True)
class TuningRun:
    """One L-OPT-1 run: the P&L at each multiplier, the decision and why."""

    trades: int
    current_threshold_usd: float
    pnl_by_multiplier: dict[str, float]
    best_multiplier: float
    adopted_threshold_usd: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "trades": self.trades,
            "current_threshold_usd": self.current_threshold_usd,
            "pnl_by_multiplier": self.pnl_by_multiplier,
            "best_multiplier": self.best_multiplier,
            "adopted_threshold_usd": self.adopted_threshold_usd,
            "reason": self.reason,
        }


def _allowed_at(shadow: TunedShadow, intent_cvd: float, threshold: float, settings: Settings) -> bool:
    """Would the real G-WHALE-3 guard have let this signal through with `intent_cvd` at `threshold`?"""
    direction = flow_direction(intent_cvd, settings.indicators.whale_direction_min_usd)
    signal = Signal(
        id=SignalId(shadow.signal_id),
        ts=shadow.opened_at,
        symbol=Symbol(shadow.symbol),
        side=Side(shadow.side),
        strategy=StrategyName(shadow.strategy),
        price=shadow.entry_price,
    )
    context = MarketContext(
        symbol=Symbol(shadow.symbol),
        ts=shadow.opened_at,
        price=shadow.entry_price,
        whale_intent_cvd_usd=intent_cvd,
        whale_intent_direction=direction,
        whale_threshold_usd=threshold,
    )
    learned = GateLearnedState(whale_threshold_usd=threshold)
    return whale_intent(signal, context, settings.gate, learned).decision is not Decision.BLOCK


# (signal id, opened at, symbol, side, strategy, entry price, whale-intent CVD, threshold): everything a question
# to the guard is built from, but the settings (one `WhaleIntentAnswers` serves one `Settings`).
Question = tuple[str, datetime, str, str, str, float, float, float]


class WhaleIntentAnswers:
    """G-WHALE-3's answers to the tuning's questions, remembered from one run to the next.

    A 12-hour run judges mostly the shadows the run before judged (the look-back spans days), at the same five
    thresholds while none is adopted. The guard is a pure function of the signal, the context and the learned state
    a question is built from, so an answer is reused only for an equal question: every value it is built from is in
    the key. A run forgets the answers the run before it did not ask for, so about two runs' worth are kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._previous: dict[Question, bool] = {}
        self._current: dict[Question, bool] = {}

    def new_run(self) -> None:
        self._previous, self._current = self._current, {}

    def allowed(self, shadow: TunedShadow, intent_cvd: float, threshold: float) -> bool:
        """`_allowed_at(shadow, intent_cvd, threshold, self.settings)`, asked only for a question not yet answered."""
        question = (
            shadow.signal_id,
            shadow.opened_at,
            shadow.symbol,
            shadow.side,
            shadow.strategy,
            shadow.entry_price,
            intent_cvd,
            threshold,
        )
        answer = self._current.get(question)
        if answer is None:
            answer = self._previous.get(question)
            if answer is None:
                answer = _allowed_at(shadow, intent_cvd, threshold, self.settings)
            self._current[question] = answer
        return answer


def tune_whale_threshold(
    shadows: Sequence[TunedShadow],
    notionals: Mapping[str, Decimal],
    learned: GateLearnedState,
    settings: Settings,
    answers: WhaleIntentAnswers | None = None,
) -> TuningRun:
    """L-OPT-1 over the last `optimize_lookback_trades` closed shadows that the whale-intent guard decided
    (taken, or blocked by it). `notionals` maps a signal id to the notional it was given; signals blocked by
    the guard count at the median notional of the taken ones. `answers` carries the guard's answers from the
    previous runs (the same result, without asking the guard again what it already answered)."""
    if answers is None:
        answers = WhaleIntentAnswers(settings)
    elif answers.settings is not settings:
        raise ValueError("the guard's remembered answers were given under other settings")
    answers.new_run()
    config = settings.learning
    judged = [
        (s, candidates)
        for s in shadows
        if s.closed_at is not None
        and s.return_pct is not None
        and s.state is not None
        and (candidates := s.state.get(CANDIDATES_KEY)) is not None
        and (s.taken or s.blocked_by == "WHALE_INTENT")
    ][-config.optimize_lookback_trades :]
    known = [notionals[s.signal_id] for s, _ in judged if s.signal_id in notionals]
    typical = Decimal(str(statistics.median(known))) if known else Decimal(0)
    current = learned.whale_threshold_usd
    pnl: dict[str, float] = {}
    for multiplier in config.optimize_multipliers:
        total = Decimal(0)
        for shadow, candidates in judged:
            intent = candidates.get(repr(multiplier))
            if intent is None or not answers.allowed(shadow, float(intent), current * multiplier):
                continue
            notional = notionals.get(shadow.signal_id, typical)
            total += notional * Decimal(repr(shadow.return_pct))
        pnl[repr(multiplier)] = float(total)
    best = max(config.optimize_multipliers, key=lambda m: (pnl[repr(m)], -abs(m - 1.0)))
    gain = pnl[repr(best)] - pnl[repr(1.0)]
    if best != 1.0 and gain > config.optimize_min_improvement_usd:
        adopted: float | None = current * best
        reason = f"×{best} beats the current threshold by {gain:,.2f} USD (> {config.optimize_min_improvement_usd})"
    else:
        adopted = None
        reason = (
            f"best ×{best} beats the current by {gain:,.2f} USD, not more than {config.optimize_min_improvement_usd}"
        )
    return TuningRun(len(judged), current, pnl, best, adopted, reason)


def adopt(learned: GateLearnedState, run: TuningRun) -> GateLearnedState:
    if run.adopted_threshold_usd is None:
        return learned
    return learned.model_copy(update={"whale_threshold_usd": run.adopted_threshold_usd})
