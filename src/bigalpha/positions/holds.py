"""TRUE TREND (P-TREND-1) and the minimum hold of a TRUE TREND position (P-HOLD-1), re-evaluated every bar.

TRUE TREND is judged once, at entry, and stored in `PositionMeta.true_trend`: H strictly above 0.55 and a
strictly positive 5-minute OI delta. An unknown input (Hurst window not full, OI unavailable) is not TRUE
TREND: without the evidence, the position exits like any other.

The hold of a TRUE TREND position, by priority:

- 90 min while price is *moving toward a liquidation cluster*. Decided reading: there is a cluster ahead
  (a short-liquidation cluster above price for a long, a long-liquidation cluster below for a short)
  within `hold.cluster_max_pct` of the bar's close, and price came closer to it from the same side over
  the last `hold.toward_cluster_bars` bars: for a long, close N bars ago < close now < cluster (until N
  bars have passed, the entry price stands in for the close N bars ago). Flat is not moving.
- else 75 min if the entry was more than 2% from the max pain at entry (A-MP-1 with the entry price);
- else 45 min.

The level is recomputed on every bar, so a 90-minute hold drops to 75 (or 45) on the first bar where price
has turned away from the cluster, and rises again if it resumes. Elapsed time is `now − opened_at`. Once
the elapsed time reaches the level in force, the hold is *released* for good: a minimum hold, once served,
is not re-imposed by a later swing toward a cluster.

`HoldState` is what the engine persists per position between bars (JSON round-trip); it also carries the
setup's max hold, the max-pain hit (L-MP-1) and which blocked exits were already reported.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Bar, Position, Side
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.liquidity import Cluster, distance_pct, max_pain_distance, within
from bigalpha.indicators.positioning import true_trend

STATE_VERSION = 1


class HoldReason(StrEnum):
    """Which P-HOLD-1 level is in force."""

    TOWARD_CLUSTER = "TOWARD_CLUSTER"
    FAR_FROM_MAX_PAIN = "FAR_FROM_MAX_PAIN"
    BASE = "BASE"
    NOT_TRUE_TREND = "NOT_TRUE_TREND"


def is_true_trend(hurst: float | None, oi_delta_5m_usd: float | None, config: PositionsConfig) -> bool:
    """P-TREND-1: H > `true_trend_hurst_above` AND a positive 5-minute OI delta; unknown is not TRUE TREND."""
    return true_trend(hurst, oi_delta_5m_usd, trending_above=config.true_trend_hurst_above) is True


def far_from_max_pain(entry_price: float, max_pain: float | None, config: PositionsConfig) -> bool:
    """P-HOLD-1 with A-MP-1: the entry was more than `max_pain_far_pct` from max pain (exactly 2% is not)."""
    if max_pain is None:
        return False
    return max_pain_distance(entry_price, max_pain, config.hold.max_pain_far_pct)[1]


def cluster_ahead(side: Side, price: float, context: MarketContext, config: PositionsConfig) -> Cluster | None:
    """The nearest liquidation cluster in the position's winning direction within `cluster_max_pct` of price."""
    return cluster_ahead_of(side, price, context.short_clusters, context.long_clusters, config)


def cluster_ahead_of(
    side: Side,
    price: float,
    short_clusters: Sequence[Cluster] | None,
    long_clusters: Sequence[Cluster] | None,
    config: PositionsConfig,
) -> Cluster | None:
    """`cluster_ahead` of a context whose clusters are these (a backtest judges holds from arrays, `hold_twin`)."""
    clusters = short_clusters if side is Side.LONG else long_clusters
    if not clusters:
        return None
    ahead = [
        c
        for c in clusters
        if side.sign * (c.price - price) > 0 and within(distance_pct(c.price, price), config.hold.cluster_max_pct)
    ]
    return min(ahead, key=lambda c: abs(c.price - price), default=None)


def approaching(side: Side, reference: float, close: float, cluster_price: float) -> bool:
    """Price moved from `reference` to `close` toward `cluster_price` without reaching it."""
    sign = side.sign
    return sign * (close - reference) > 0 and sign * (cluster_price - close) > 0


def required_hold(
    true_trend_at_entry: bool, toward: bool, far: bool, config: PositionsConfig
) -> tuple[int, HoldReason]:
    """P-HOLD-1's level in minutes, priority 90 > 75 > 45; 0 for a position that was not TRUE TREND."""
    hold = config.hold
    if not true_trend_at_entry:
        return 0, HoldReason.NOT_TRUE_TREND
    if toward:
        return hold.toward_cluster_minutes, HoldReason.TOWARD_CLUSTER
    if far:
        return hold.far_from_max_pain_minutes, HoldReason.FAR_FROM_MAX_PAIN
    return hold.base_minutes, HoldReason.BASE


PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]


@dataclass(frozen=True, slots=True)
class HoldState:
    """Per-position state between bars; the engine persists `to_dict()` and restores with `from_dict`."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    closes: tuple[PositiveFloat, ...] = ()  # the last toward_cluster_bars + 1 closes, oldest first
    last_bar_ts: AwareDatetime | None = None
    required_minutes: Annotated[int, Field(ge=0)] = 0
    reason: HoldReason = HoldReason.NOT_TRUE_TREND
    released: bool = False
    released_at: AwareDatetime | None = None
    max_hold_s: PositiveFloat | None = None  # a setup's maximum hold (e.g. S-XRP-SQ), None for none
    max_pain_hit: bool = False
    max_pain_hit_at: AwareDatetime | None = None
    blocked_notices: tuple[str, ...] = ()  # "tier-1@90": blocked exits already reported at that hold level

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        data["version"] = STATE_VERSION
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HoldState:
        """Restore a state; a bad field raises ValueError naming it."""
        body = dict(data)
        version = body.pop("version", None)
        if version != STATE_VERSION:
            raise ValueError(f"hold state version {version!r} is not {STATE_VERSION}")
        try:
            return _ADAPTER.validate_python(body)
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)]
            raise ValueError("bad hold state: " + "; ".join(problems)) from None


_ADAPTER: TypeAdapter[HoldState] = TypeAdapter(HoldState)


@dataclass(frozen=True, slots=True)
class HoldStatus:
    """The hold as judged on this bar, with the numbers that decided it."""

    active: bool
    required_minutes: int
    reason: HoldReason
    elapsed_s: float
    toward_cluster: bool
    cluster_price: float | None
    reference_price: float

    @property
    def remaining_s(self) -> float:
        return max(0.0, 60.0 * self.required_minutes - self.elapsed_s) if self.active else 0.0

    def evidence(self) -> dict[str, float | str | bool | None]:
        return {
            "hold_minutes": self.required_minutes,
            "hold_reason": self.reason.value,
            "elapsed_minutes": round(self.elapsed_s / 60.0, 3),
            "remaining_minutes": round(self.remaining_s / 60.0, 3),
            "toward_cluster": self.toward_cluster,
            "cluster_price": self.cluster_price,
            "reference_price": self.reference_price,
        }


def initial_hold_state(
    true_trend_at_entry: bool,
    entry_price: float,
    max_pain: float | None,
    config: PositionsConfig,
    max_hold: timedelta | None = None,
) -> HoldState:
    """The state at entry: no bar seen yet, so not yet moving toward a cluster."""
    if max_hold is not None and max_hold <= timedelta(0):
        raise ValueError(f"max_hold must be positive, got {max_hold}")
    minutes, reason = required_hold(
        true_trend_at_entry, False, far_from_max_pain(entry_price, max_pain, config), config
    )
    return _first_state(minutes, reason, None if max_hold is None else max_hold.total_seconds())


@functools.lru_cache(maxsize=64, typed=True)
def _first_state(minutes: int, reason: HoldReason, max_hold_s: float | None) -> HoldState:
    # One shared (immutable) instance per distinct first state: every position starts from one of a few, and the
    # engine's adapters remember each one's JSON dump by identity (`bigalpha.engine.adapters`).
    return HoldState(required_minutes=minutes, reason=reason, max_hold_s=max_hold_s)


def _closes_after(state: HoldState, bar: Bar, keep: int) -> tuple[float, ...]:
    if state.last_bar_ts is not None:
        if bar.ts < state.last_bar_ts:
            raise ValueError(
                f"bar at {bar.ts.isoformat()} is older than the last bar seen ({state.last_bar_ts.isoformat()})"
            )
        if bar.ts == state.last_bar_ts and state.closes:
            # the same bar again (a replay or a re-run after a crash) replaces its close: idempotent
            return (*state.closes[:-1], bar.close)
    return (*state.closes, bar.close)[-keep:]


def update_hold(
    position: Position, context: MarketContext, bar: Bar, now: datetime, config: PositionsConfig, state: HoldState
) -> tuple[HoldState, HoldStatus]:
    """P-HOLD-1 on this bar: the new state to persist, and the hold in force."""
    meta = position.meta
    trend = meta is not None and meta.true_trend
    elapsed = (now - position.opened_at).total_seconds()
    if not trend or state.released:
        # Nothing left to judge: a position that was not TRUE TREND never holds, and a served hold is not
        # re-imposed. The state is final, so a bar that touches no level changes nothing (a backtest may skip it).
        status = HoldStatus(
            active=False,
            required_minutes=state.required_minutes,
            reason=state.reason,
            elapsed_s=elapsed,
            toward_cluster=False,
            cluster_price=None,
            reference_price=float(position.entry_price),
        )
        return state, status
    n_bars = config.hold.toward_cluster_bars
    closes = _closes_after(state, bar, n_bars + 1)
    entry = float(position.entry_price)
    reference = closes[0] if len(closes) > n_bars else entry
    cluster = cluster_ahead(position.side, bar.close, context, config)
    toward = cluster is not None and approaching(position.side, reference, bar.close, cluster.price)
    far = meta is not None and far_from_max_pain(entry, meta.max_pain_at_entry, config)
    minutes, reason = required_hold(trend, toward, far, config)
    released = elapsed >= 60.0 * minutes
    new_state = HoldState(
        closes=closes,
        last_bar_ts=bar.ts,
        required_minutes=minutes,
        reason=reason,
        released=released,
        released_at=now if released else None,
        max_hold_s=state.max_hold_s,
        max_pain_hit=state.max_pain_hit,
        max_pain_hit_at=state.max_pain_hit_at,
        blocked_notices=state.blocked_notices,
    )
    status = HoldStatus(
        active=not released,
        required_minutes=minutes,
        reason=reason,
        elapsed_s=elapsed,
        toward_cluster=toward,
        cluster_price=None if cluster is None else cluster.price,
        reference_price=reference,
    )
    return new_state, status
