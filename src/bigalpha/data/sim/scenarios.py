"""Scripted market events, injectable by name (`bigalpha sim --scenario NAME`).

A scenario is data: a list of events with times (minutes after the simulation start) and magnitudes.
Events happen between 09:00 and 16:00 UTC (the gate's golden hour, G-GOLDEN-1) so they reach the
strategies. Each named scenario is documented in docs/simulator.md; `SCENARIOS` lists them.
Levels that belong to a setup (S-BTC-L's band, S-BTC-S's upper band) are read from the settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bigalpha.config import Settings
from bigalpha.data.sim.params import MINUTES_PER_DAY, RegimeSegment, SimParams


@dataclass(frozen=True, slots=True)
class Waypoint:
    """Where one bar of a scripted path closes; minute counts from the path's start."""

    minute: int
    close: float  # a price, or a factor of the anchor price when the path is relative
    high: float | None = None  # same unit as close; None lets the simulator draw the wick
    low: float | None = None
    taker_buy_share: float | None = None  # retail taker buy share of the bar's flow
    informed: float | None = None  # informed signal: whales buy (+) or sell (−) with conviction


@dataclass(frozen=True, slots=True)
class PricePath:
    """Bars follow the waypoints (closes interpolated in log between them).

    A relative path's prices are factors of the close just before it starts. An absolute path is
    reached from the free price by a bridge over `approach_minutes` (drift that closes the gap).
    """

    symbol: str
    at_minute: int
    waypoints: tuple[Waypoint, ...]
    relative: bool = False
    approach_minutes: int = 0


@dataclass(frozen=True, slots=True)
class LiquidationCluster:
    """Leveraged positions whose liquidation price sits at price × (1 + offset)."""

    symbol: str
    at_minute: int
    side: Literal["long", "short"]  # long cohorts lie below price (offset < 0), short above
    offset: float
    notional_usd: float


@dataclass(frozen=True, slots=True)
class Wall:
    """A resting order at price × (1 ± offset), fixed from its start until eaten or pulled."""

    symbol: str
    at_minute: int
    side: Literal["ask", "bid"]
    offset: float  # positive fraction
    notional_usd: float
    duration_minutes: int


@dataclass(frozen=True, slots=True)
class ShortShare:
    """The short share of accounts moves to `level` over `ramp_minutes`, holds, then is released."""

    symbol: str
    at_minute: int
    duration_minutes: int
    level: float
    ramp_minutes: int = 30


@dataclass(frozen=True, slots=True)
class FundingSpread:
    """Binance − OKX funding spread goes linearly from start_bps to end_bps (1 bp = 0.0001)."""

    symbol: str
    at_minute: int
    duration_minutes: int
    start_bps: float
    end_bps: float


@dataclass(frozen=True, slots=True)
class FeeSpikeEvent:
    """A Solana priority-fee spike: p50 jumps to `multiple` × baseline, then decays."""

    at_minute: int
    multiple: float
    half_life_minutes: float
    jito_multiple: float


@dataclass(frozen=True, slots=True)
class Drift:
    """Extra log-return per day on one symbol during the window (a trend)."""

    symbol: str
    at_minute: int
    duration_minutes: int
    per_day: float


ScenarioEvent = PricePath | LiquidationCluster | Wall | ShortShare | FundingSpread | FeeSpikeEvent | Drift


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    events: tuple[ScenarioEvent, ...]
    start_prices: tuple[tuple[str, float], ...] = ()
    regimes: tuple[RegimeSegment, ...] | None = None
    symbols: tuple[str, ...] = field(default=())

    def last_minute(self) -> int:
        ends = [0]
        for event in self.events:
            if isinstance(event, PricePath):
                ends.append(event.at_minute + event.waypoints[-1].minute)
            elif isinstance(event, Wall | ShortShare | FundingSpread | Drift):
                ends.append(event.at_minute + event.duration_minutes)
            else:
                ends.append(event.at_minute + 10)
        return max(ends)

    def days_needed(self) -> int:
        return self.last_minute() // MINUTES_PER_DAY + 1

    def apply(self, params: SimParams) -> SimParams:
        """`params` with this scenario's start prices and regime schedule."""
        prices = dict(self.start_prices)
        symbols = tuple(
            s.model_copy(update={"start_price": prices[s.symbol]}) if s.symbol in prices else s for s in params.symbols
        )
        update: dict[str, object] = {"symbols": symbols}
        if self.regimes is not None:
            update["regimes"] = self.regimes
        return params.model_copy(update=update)


class UnknownScenarioError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown scenario {name!r}; known scenarios: {', '.join(sorted(SCENARIOS))}")


def _at(day: int, hour: int, minute: int = 0) -> int:
    return day * MINUTES_PER_DAY + hour * 60 + minute


def _path(symbol: str, at: int, rows: Sequence[tuple[float, ...]], *, relative: bool, approach: int = 0) -> PricePath:
    """rows: (close, high | nan, low | nan, taker share | nan, informed | nan), one per minute."""

    def opt(x: float) -> float | None:
        return None if math.isnan(x) else x  # NaN means "free"

    points = tuple(
        Waypoint(minute=i, close=r[0], high=opt(r[1]), low=opt(r[2]), taker_buy_share=opt(r[3]), informed=opt(r[4]))
        for i, r in enumerate(rows)
    )
    return PricePath(symbol=symbol, at_minute=at, waypoints=points, relative=relative, approach_minutes=approach)


NAN = float("nan")


def _flush_reclaim(settings: Settings, day: int) -> Scenario:
    band = settings.setups.btc_lower_band_long.band or 106_800.0
    at = _at(day, 11)
    rows = [
        (band * 1.0040, NAN, NAN, 0.50, NAN),
        (band * 1.0015, NAN, NAN, 0.35, -1.0),
        (band * 0.9990, NAN, band * 0.9975, 0.25, -1.5),
        (band * 0.9965, NAN, band * 0.9950, 0.20, -1.5),
        (band * 0.9975, NAN, NAN, 0.45, 0.0),
        (band * 0.9992, NAN, NAN, 0.62, 1.5),
        (band * 1.0012, NAN, NAN, 0.74, 2.5),
        (band * 1.0025, NAN, NAN, 0.68, 2.0),
        (band * 1.0030, NAN, NAN, 0.60, 1.0),
    ]
    return Scenario(
        name="flush_reclaim",
        description=f"BTC flushes below the lower band {band:,.0f} at 11:02 UTC, then reclaims it with "
        "positive taker delta at 11:06 (S-BTC-L).",
        events=(_path("BTC", at, rows, relative=False, approach=180),),
        start_prices=(("BTC", band * 1.012),),
        symbols=("BTC",),
    )


def _fail_break(settings: Settings, day: int) -> Scenario:
    upper = settings.setups.btc_upper_band_short
    low, high = upper.band_low or 109_700.0, upper.band_high or 110_000.0
    inside = low + 0.4 * (high - low)
    at = _at(day, 13)
    span = high - low
    # Highs are scripted on every bar (a high equal to the close leaves no upper wick) so that the one
    # wick above the band is the scripted one.
    rows = [
        (inside, inside, NAN, 0.55, NAN),
        (low + 0.7 * span, low + 0.72 * span, NAN, 0.62, NAN),
        (low + 0.8 * span, high * 1.0018, NAN, 0.55, NAN),  # wick above, close back inside
        (low + 0.6 * span, low + 0.8 * span, NAN, 0.45, -0.5),
        (low + 0.75 * span, low + 0.85 * span, NAN, 0.48, -1.0),  # lower high
        (low + 0.45 * span, low + 0.75 * span, NAN, 0.40, -1.5),
        (low + 0.1 * span, low + 0.45 * span, NAN, 0.35, -2.0),
        (low * 0.9995, low + 0.1 * span, NAN, 0.35, -2.0),
        (low * 0.9988, low * 0.9996, NAN, 0.40, -1.0),
    ]
    return Scenario(
        name="fail_break",
        description=f"BTC wicks above the upper band {low:,.0f}–{high:,.0f} at 13:02 UTC, closes back inside, "
        "prints a lower high and drops; shorts stay below 54% and the Binance−OKX funding spread narrows (S-BTC-S).",
        events=(
            _path("BTC", at, rows, relative=False, approach=240),
            ShortShare("BTC", at - 120, 300, 0.48, ramp_minutes=30),
            FundingSpread("BTC", at - 45, 60, 1.2, 0.1),
        ),
        start_prices=(("BTC", low * 0.99),),
        symbols=("BTC",),
    )


def _squeeze(settings: Settings, day: int) -> Scenario:
    del settings
    at = _at(day, 12)
    rows = [(1.0 + 0.002 * i, NAN, NAN, 0.78, 2.0) for i in range(21)]
    return Scenario(
        name="squeeze",
        description="XRP shorts crowd to 57% of accounts from 10:00 UTC (≥ 53%, S-XRP-SQ); at 12:00 a 4% rally "
        "with heavy taker buying runs through short-liquidation clusters 1.5% and 2.5% above.",
        events=(
            ShortShare("XRP", _at(day, 10), 210, 0.57, ramp_minutes=60),
            LiquidationCluster("XRP", at - 2, "short", 0.015, 40e6),
            LiquidationCluster("XRP", at - 2, "short", 0.025, 60e6),
            _path("XRP", at, rows, relative=True),
        ),
        symbols=("XRP",),
    )


def _liquidation_cascade(settings: Settings, day: int) -> Scenario:
    del settings
    at = _at(day, 11)
    rows = [(1.0, NAN, NAN, 0.4, -1.0), (0.997, NAN, NAN, 0.3, -2.0), (0.994, NAN, NAN, 0.25, -2.0),
            (0.987, NAN, 0.986, 0.2, -2.0)]  # fmt: skip
    return Scenario(
        name="liquidation_cascade",
        description="ETH long-liquidation clusters ($300M, $500M, $700M) sit 1.2%, 1.8% and 2.4% below price; at "
        "11:00 UTC a sell-off crosses the first and the liquidations push price through the next ones.",
        events=(
            LiquidationCluster("ETH", at - 2, "long", -0.012, 300e6),
            LiquidationCluster("ETH", at - 2, "long", -0.018, 500e6),
            LiquidationCluster("ETH", at - 2, "long", -0.024, 700e6),
            _path("ETH", at, rows, relative=True),
        ),
        symbols=("ETH",),
    )


def _fee_spike(settings: Settings, day: int) -> Scenario:
    del settings
    at = _at(day, 12)
    rows = [(1.0, NAN, NAN, 0.6, NAN), (1.004, NAN, NAN, 0.72, NAN), (1.008, NAN, NAN, 0.75, NAN)]
    return Scenario(
        name="fee_spike",
        description="At 12:00 UTC Solana's p50 priority fee jumps to 6× baseline and decays with a 40 s half-life "
        "(> 40% lower within 2 minutes) while Jito tips stay elevated; SOL pops 0.8% above VWAP (S-SOL-FADE).",
        events=(FeeSpikeEvent(at, 6.0, 0.66, 3.0), _path("SOL", at, rows, relative=True)),
        symbols=("SOL",),
    )


def _trend_with_cluster_above(settings: Settings, day: int) -> Scenario:
    del settings
    return Scenario(
        name="trend_with_cluster_above",
        description="A trending day (H = 0.7) with BTC drifting up from 09:00 UTC toward a $600M short-liquidation "
        "cluster placed 1.8% above price at 09:30 (P-HOLD-1's magnet case).",
        events=(
            Drift("BTC", _at(day, 9), 420, 0.05),
            LiquidationCluster("BTC", _at(day, 9, 30), "short", 0.018, 600e6),
        ),
        regimes=(RegimeSegment(hurst=0.7, drift_per_day=0.0),),
        symbols=("BTC",),
    )


def _wall_below_target(settings: Settings, day: int) -> Scenario:
    del settings
    return Scenario(
        name="wall_below_target",
        description="A $40M BTC ask wall appears 1.5% above price at 10:00 UTC for 6 hours (P-WALL-1: a long's "
        "Tier-4 target moves below it).",
        events=(Wall("BTC", _at(day, 10), "ask", 0.015, 40e6, 360),),
        symbols=("BTC",),
    )


SCENARIOS: dict[str, Callable[[Settings, int], Scenario]] = {
    "flush_reclaim": _flush_reclaim,
    "fail_break": _fail_break,
    "squeeze": _squeeze,
    "liquidation_cascade": _liquidation_cascade,
    "fee_spike": _fee_spike,
    "trend_with_cluster_above": _trend_with_cluster_above,
    "wall_below_target": _wall_below_target,
}


def build_scenario(name: str, settings: Settings | None = None, day: int = 0) -> Scenario:
    """The named scenario, on simulation day `day` (0 = the first day)."""
    try:
        factory = SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(name) from None
    return factory(settings or Settings(), day)
