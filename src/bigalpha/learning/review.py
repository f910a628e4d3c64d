"""The 4-hour review (L-SHADOW-1, L-GUARD-1, L-PROB-1): pure functions over shadows and closed trades."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bigalpha.config import Settings
from bigalpha.domain import Position
from bigalpha.execution.portfolio import net_pnl
from bigalpha.gate.learned import GateLearnedState


class ShadowResult(Protocol):
    """What the review reads of a closed shadow trade: a `ShadowOutcome` (the engine's review) or a whole
    `ShadowTradeRow` (a backtest's summary) both qualify."""

    @property
    def strategy(self) -> str: ...

    @property
    def symbol(self) -> str: ...

    @property
    def taken(self) -> bool: ...

    @property
    def blocked_by(self) -> str | None: ...

    @property
    def return_pct(self) -> float | None: ...


class PairedShadowResult(ShadowResult, Protocol):
    """A closed shadow as L-SHADOW-1 reads it: also the live trade it became (taken signals) and when it closed."""

    @property
    def position_id(self) -> str | None: ...

    @property
    def closed_at(self) -> datetime | None: ...


def profit_factor(returns: Iterable[float]) -> float | None:
    """Gross gains / gross losses; infinity with gains and no loss; None with neither."""
    values = list(returns)
    gains = sum(r for r in values if r > 0)
    losses = -sum(r for r in values if r < 0)
    if losses == 0:
        return None if gains == 0 else float("inf")
    return gains / losses


@dataclass(frozen=True, slots=True)
class SlippageChange:
    strategy: str
    symbol: str
    shadow_pf: float
    live_pf: float
    old_bps: float
    new_bps: float


def slippage_review(
    shadows: Sequence[PairedShadowResult],
    trades: Sequence[Position],
    learned: GateLearnedState,
    settings: Settings,
    *,
    window_start: datetime | None = None,
) -> tuple[GateLearnedState, list[SlippageChange]]:
    """L-SHADOW-1: per strategy and symbol, the shadows of the taken signals (ideal fills) against the live trades
    they became; when shadow PF > 1.15 × live PF, the symbol's slippage buffer rises by 2 bps (capped).

    Like is compared with like, once: each shadow with its own live trade (matched by position id, both closed),
    the live trade's return taken from its fills before fees and funding (what fills cost is what the buffer
    stands for; G-FEE-1 counts the fees itself), and each pair judged by one review only, the first whose window
    (after `window_start`) holds the later of the two closes. None judges every pair given."""
    live: dict[str, Position] = {position.id: position for position in trades if position.closed_at is not None}
    shadow_returns: dict[tuple[str, str], list[float]] = defaultdict(list)
    live_returns: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in shadows:
        if not row.taken or row.return_pct is None or row.position_id is None or row.closed_at is None:
            continue
        position = live.get(row.position_id)
        if position is None or position.closed_at is None:
            continue  # still open: judged once it has closed
        if window_start is not None and max(row.closed_at, position.closed_at) <= window_start:
            continue  # judged by an earlier review
        notional = position.entry_price * position.initial_quantity
        if notional <= 0:
            continue
        key = (row.strategy, row.symbol)
        shadow_returns[key].append(row.return_pct)
        live_returns[key].append(float(position.realized_pnl / notional))
    config = settings.learning
    buffers = dict(learned.slippage_bps)
    changes = []
    for key, returns in sorted(shadow_returns.items()):
        shadow_pf, live_pf = profit_factor(returns), profit_factor(live_returns[key])
        if shadow_pf is None or live_pf is None or not shadow_pf > config.shadow_pf_ratio * live_pf:
            continue
        strategy, symbol = key
        old = buffers.get(symbol, settings.gate.default_slippage_bps)
        new = min(old + config.slippage_step_bps, config.max_slippage_bps)
        if new != old:
            buffers[symbol] = new
            changes.append(SlippageChange(strategy, symbol, shadow_pf, live_pf, old, new))
    return learned.model_copy(update={"slippage_bps": buffers}), changes


@dataclass(frozen=True, slots=True)
class GuardStats:
    guard: str
    blocks: int
    shadow_return_pct: float  # summed return of the blocked shadows: > 0 an opportunity cost, < 0 a loss avoided


def guard_effectiveness(shadows: Sequence[ShadowResult]) -> list[GuardStats]:
    """L-GUARD-1: per guard (or risk reason), how many signals it blocked and what their shadows earned."""
    blocks: dict[str, list[float]] = defaultdict(list)
    for row in shadows:
        if row.blocked_by:
            blocks[row.blocked_by].append(row.return_pct or 0.0)
    return [GuardStats(guard, len(values), sum(values)) for guard, values in sorted(blocks.items())]


def _in_golden_hour(position: Position, settings: Settings) -> bool:
    hour = position.opened_at.hour
    return settings.gate.golden_hour_start_utc <= hour < settings.gate.golden_hour_end_utc


@dataclass(frozen=True, slots=True)
class SymbolResults:
    """One symbol's closed trades as L-PROB-1 reads them: each trade's net P&L in closing order, and those of the
    trades opened in golden hour."""

    pnls: Sequence[float]
    golden: Sequence[float]


def symbol_results(trades: Sequence[Position], settings: Settings) -> dict[str, SymbolResults]:
    """`trades`' results per symbol, the symbols in the order their first trade closed."""
    pnls: dict[str, list[float]] = defaultdict(list)
    golden: dict[str, list[float]] = defaultdict(list)
    for position in sorted(trades, key=lambda p: p.closed_at or p.opened_at):
        add_result(position, settings, pnls[position.symbol], golden[position.symbol])
    return {symbol: SymbolResults(values, golden[symbol]) for symbol, values in pnls.items()}


def add_result(position: Position, settings: Settings, pnls: list[float], golden: list[float]) -> None:
    """Append a closed trade's net P&L to its symbol's results (and to the golden-hour ones if it opened then)."""
    pnl = float(net_pnl(position))
    pnls.append(pnl)
    if _in_golden_hour(position, settings):
        golden.append(pnl)


def probation_review(
    trades: Sequence[Position], learned: GateLearnedState, settings: Settings
) -> tuple[GateLearnedState, dict[str, str]]:
    """L-PROB-1: a symbol whose golden-hour PF is below 0.8 goes on probation (once it has enough trades);
    it is released when the PF of its last 20 trades is at least 1.0. Returns the changes with reasons."""
    return probation_changes(symbol_results(trades, settings), learned, settings)


def probation_changes(
    results: Mapping[str, SymbolResults], learned: GateLearnedState, settings: Settings
) -> tuple[GateLearnedState, dict[str, str]]:
    """`probation_review` over the trades' results per symbol (`symbol_results`)."""
    config = settings.learning
    probation = set(learned.probation)
    changes: dict[str, str] = {}
    for symbol, result in results.items():
        if symbol in probation:
            recent = result.pnls[-config.probation_release_trades :]
            pf = profit_factor(recent)
            if len(recent) >= config.probation_release_trades and pf is not None and pf >= config.probation_release_pf:
                probation.discard(symbol)
                changes[symbol] = f"released: PF {pf:.2f} over its last {len(recent)} trades"
        elif len(result.golden) >= config.probation_min_trades:
            pf = profit_factor(result.golden)
            if pf is not None and pf < config.probation_pf_below:
                probation.add(symbol)
                changes[symbol] = f"probation: golden-hour PF {pf:.2f} < {config.probation_pf_below}"
    return learned.model_copy(update={"probation": frozenset(probation)}), changes


def decimal_sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
