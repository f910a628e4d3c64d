"""`plan_entry`: everything a new position needs at entry, from the signal and the market context.

- the stop (P-STOP-1): every position has one, at the signal's `stop_pct` or `positions.default_stop_pct`;
- the ladder (P-LADDER-1): the signal's `targets_pct` when a setup gives its own, else the configured ladder;
- the top target moved in front of an institutional wall (P-WALL-1, see `ladder`), one `TARGET_ADJUSTED`
  event per moved tier with the wall's price and size and the old and new target;
- the entry metadata (P-META-1): Hurst and regime, TRUE TREND (P-TREND-1), the 5-minute OI delta, max pain,
  the nearest liquidation cluster and the gate's verdict with its evidence;
- the first `HoldState` (P-HOLD-1), which the engine persists beside the position.

Call it with the entry fill's price and quantity: the stop and targets are distances from the real entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import (
    AccountName,
    Decision,
    Event,
    EventType,
    GuardName,
    LogTag,
    Position,
    PositionId,
    PositionMeta,
    Side,
    Signal,
    SignalId,
    Symbol,
    Verdict,
)
from bigalpha.indicators.context import MarketContext
from bigalpha.positions._common import position_event, require_aware, require_positive, round_toward, to_decimal
from bigalpha.positions.holds import HoldState, initial_hold_state, is_true_trend
from bigalpha.positions.ladder import TargetMove, ladder_fractions, ladder_targets, wall_adjusted_targets


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """The stop, ladder, metadata, first hold state and events of a position about to be opened."""

    signal_id: SignalId
    symbol: Symbol
    side: Side
    entry_price: Decimal
    quantity: Decimal
    stop_pct: float
    stop_price: Decimal
    ladder_targets: tuple[Decimal, ...]  # before P-WALL-1
    targets: tuple[Decimal, ...]  # what the position uses
    fractions: tuple[Decimal, ...]  # share of the initial quantity closed at each tier
    target_moves: tuple[TargetMove, ...]
    meta: PositionMeta
    hold_state: HoldState
    events: tuple[Event, ...]

    def open_position(
        self,
        position_id: PositionId,
        account: AccountName,
        opened_at: datetime,
        leverage: int,
        margin: Decimal,
        strategy: str = "",
    ) -> Position:
        """The `Position` this plan describes, as the engine records it after the entry fill."""
        require_aware(opened_at, "opened_at")
        return Position(
            id=position_id,
            symbol=self.symbol,
            side=self.side,
            account=account,
            opened_at=opened_at,
            entry_price=self.entry_price,
            quantity=self.quantity,
            initial_quantity=self.quantity,
            leverage=leverage,
            margin=margin,
            stop_price=self.stop_price,
            targets=self.targets,
            signal_id=self.signal_id,
            strategy=strategy,
            meta=self.meta,
        )


def verdict_evidence(verdict: Verdict | None) -> tuple[tuple[str, str], ...]:
    """P-META-1: the gate's verdict flattened to (key, text) pairs, guard by guard in the gate's order."""
    if verdict is None:
        return ()
    pairs: list[tuple[str, str]] = [
        ("allowed", str(verdict.allowed)),
        ("size_multiplier", repr(verdict.size_multiplier)),
    ]
    if verdict.blocked_by is not None:
        pairs.append(("blocked_by", verdict.blocked_by.value))
    if verdict.reason is not None:
        pairs.append(("reason", verdict.reason.value))
    for outcome in verdict.outcomes:
        guard = _GUARD_TEXT[outcome.guard]
        pairs.append((f"{guard}.decision", _DECISION_TEXT[outcome.decision]))
        pairs.append((f"{guard}.multiplier", repr(outcome.multiplier)))
        if outcome.reason is not None:
            pairs.append((f"{guard}.reason", outcome.reason.value))
        if outcome.data_unavailable is not None:
            pairs.append((f"{guard}.data_unavailable", outcome.data_unavailable))
        pairs += [(f"{guard}.{key}", str(value)) for key, value in outcome.evidence.items()]
    return tuple(pairs)


# Every signal's plan flattens every guard's outcome: an enum member's `.value` is a descriptor call, a dict is not.
_GUARD_TEXT: dict[GuardName, str] = {guard: guard.value for guard in GuardName}
_DECISION_TEXT: dict[Decision, str] = {decision: decision.value for decision in Decision}


def entry_meta(context: MarketContext, config: PositionsConfig, verdict: Verdict | None) -> PositionMeta:
    """P-META-1 from the context at entry; TRUE TREND judged by P-TREND-1 with the positions config."""
    cluster = context.nearest_cluster
    return PositionMeta(
        hurst=context.hurst,
        regime=context.regime,
        true_trend=is_true_trend(context.hurst, context.oi_delta_5m_usd, config),
        oi_delta_5m_at_entry=context.oi_delta_5m_usd,
        max_pain_at_entry=context.max_pain,
        nearest_cluster_price=None if cluster is None else cluster.price,
        nearest_cluster_usd=None if cluster is None else cluster.liquidation_usd,
        verdict_evidence=verdict_evidence(verdict),
    )


def _adjustment_event(signal: Signal, entry: Decimal, move: TargetMove, now: datetime) -> Event:
    why = "in front of the wall" if move.top_tier else "kept at or below the adjusted top tier"
    return position_event(
        EventType.TARGET_ADJUSTED,
        now,
        signal.symbol,
        signal.side,
        (signal.id, move.tier),
        f"Tier-{move.tier} target {move.old_target} -> {move.new_target}: {why} "
        f"(${move.wall_usd:,.0f} wall at {move.wall_price})",
        {
            "rule": "P-WALL-1",
            "tag": LogTag.WALL.value,
            "signal_id": str(signal.id),
            "tier": move.tier,
            "top_tier": move.top_tier,
            "entry_price": entry,
            "old_target": move.old_target,
            "new_target": move.new_target,
            "wall_price": move.wall_price,
            "wall_usd": move.wall_usd,
        },
    )


def plan_entry(
    signal: Signal,
    context: MarketContext,
    entry_price: Decimal,
    quantity: Decimal,
    config: PositionsConfig,
    now: datetime,
    *,
    verdict: Verdict | None = None,
    max_hold: timedelta | None = None,
) -> EntryPlan:
    """The plan of the position `signal` opens at `entry_price` for `quantity` (see the module docstring).

    `verdict` is the intelligence gate's answer for this signal (stored in the metadata); `max_hold` is a
    setup's maximum holding time (e.g. S-XRP-SQ's 45–60 s), enforced by `evaluate_exits` as MAX_HOLD.
    """
    require_aware(now, "now")
    require_positive(entry_price, "entry_price")
    require_positive(quantity, "quantity")
    if signal.symbol != context.symbol:
        raise ValueError(f"signal is for {signal.symbol} but the market context is for {context.symbol}")
    if context.ts > now:
        raise ValueError(f"market context at {context.ts.isoformat()} is later than now ({now.isoformat()})")
    if verdict is not None and verdict.signal_id != signal.id:
        raise ValueError(f"verdict is for signal {verdict.signal_id}, not {signal.id}")
    stop_pct = config.default_stop_pct if signal.stop_pct is None else signal.stop_pct
    if not 0.0 < stop_pct < 1.0:
        raise ValueError(f"stop_pct must be a fraction in (0, 1), got {stop_pct!r} (P-STOP-1)")
    digits = config.price_significant_digits
    side = signal.side
    stop_price = round_toward(entry_price * (1 - side.sign * to_decimal(stop_pct, "stop_pct")), entry_price, digits)
    if stop_price == entry_price:
        raise ValueError(f"stop_pct {stop_pct!r} rounds to the entry price {entry_price} (P-STOP-1)")
    targets_pct = config.ladder.targets if signal.targets_pct is None else signal.targets_pct
    base = ladder_targets(side, entry_price, targets_pct, config)
    walls = context.ask_walls if side is Side.LONG else context.bid_walls
    targets, moves = wall_adjusted_targets(side, entry_price, base, walls, config)
    meta = entry_meta(context, config, verdict)
    hold_state = initial_hold_state(meta.true_trend, float(entry_price), meta.max_pain_at_entry, config, max_hold)
    return EntryPlan(
        signal_id=signal.id,
        symbol=signal.symbol,
        side=side,
        entry_price=entry_price,
        quantity=quantity,
        stop_pct=stop_pct,
        stop_price=stop_price,
        ladder_targets=base,
        targets=targets,
        fractions=ladder_fractions(len(targets), config),
        target_moves=moves,
        meta=meta,
        hold_state=hold_state,
        events=tuple(_adjustment_event(signal, entry_price, move, now) for move in moves),
    )
