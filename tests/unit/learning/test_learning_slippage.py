"""L-SHADOW-1's slippage buffer: each taken signal's shadow (ideal fills) against the live trade it became, the
live return from its fills before fees and funding, each pair judged by one review only."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from bigalpha.config import load_settings
from bigalpha.domain import Position, PositionId, Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.learning.review import slippage_review
from bigalpha.store.records import ShadowOutcome
from store_cases import T0, make_position

SETTINGS = load_settings(env={})
LEARNED = GateLearnedState.initial(SETTINGS)
DEFAULT = SETTINGS.gate.default_slippage_bps
STEP = SETTINGS.learning.slippage_step_bps
NOTIONAL = Decimal("10000")  # entry 100 × 100 units


def _trade(n: int, live_return: float, *, fees: str = "0", closed: datetime | None = T0) -> Position:
    """Live trade `pos-n` on ETH whose fills returned `live_return` of its notional, before `fees`."""
    return dataclasses.replace(
        make_position(),
        id=PositionId(f"pos-{n}"),
        symbol=Symbol("ETH"),
        entry_price=Decimal(100),
        quantity=Decimal(0),
        initial_quantity=Decimal(100),
        realized_pnl=NOTIONAL * Decimal(str(live_return)),
        fees_paid=Decimal(fees),
        closed_at=closed,
    )


def _shadow(n: int, shadow_return: float, *, closed: datetime = T0, taken: bool = True) -> ShadowOutcome:
    return ShadowOutcome("alpha_ofi", "ETH", taken, None, shadow_return, f"pos-{n}" if taken else None, closed)


def _buffer(learned: GateLearnedState) -> float:
    return learned.slippage_bps.get("ETH", DEFAULT)


def test_fills_that_cost_more_than_the_shadows_raise_the_buffer_by_a_step() -> None:
    """L-SHADOW-1: shadow PF 2.0 > 1.15 × live PF 1.0 (a worse fill on the losing trade): +2 bps."""
    shadows = [_shadow(0, 0.02), _shadow(1, -0.01)]
    trades = [_trade(0, 0.02), _trade(1, -0.02)]
    learned, changes = slippage_review(shadows, trades, LEARNED, SETTINGS)
    assert _buffer(learned) == DEFAULT + STEP
    [change] = changes
    assert (change.symbol, change.shadow_pf, change.live_pf) == ("ETH", 2.0, 1.0)


def test_fees_alone_never_raise_the_buffer() -> None:
    """L-SHADOW-1 and G-FEE-1: fills as good as the shadows' leave the buffer where it is, however much the live
    trades paid in fees (G-FEE-1 counts round-trip fees itself; the buffer stands for what fills cost)."""
    shadows = [_shadow(0, 0.004), _shadow(1, -0.003)]
    trades = [_trade(0, 0.004, fees="20"), _trade(1, -0.003, fees="20")]  # net: 0.2 % and -0.5 %
    learned, changes = slippage_review(shadows, trades, LEARNED, SETTINGS)
    assert changes == []
    assert _buffer(learned) == DEFAULT


def test_each_pair_is_judged_by_the_one_review_after_its_later_close() -> None:
    """L-SHADOW-1: a review judges the pairs whose later close falls after its window opened; the reviews after
    it leave them alone (the same trades used to raise the buffer in up to seven reviews in a row)."""
    late = T0 + timedelta(hours=3)
    shadows = [_shadow(0, 0.02), _shadow(1, -0.01, closed=late)]  # pair 1 closes later as a shadow
    trades = [_trade(0, 0.02), _trade(1, -0.02)]
    window = timedelta(hours=SETTINGS.learning.review_interval_hours)
    first, _ = slippage_review(shadows, trades, LEARNED, SETTINGS, window_start=late - window)
    assert _buffer(first) == DEFAULT + STEP
    for later in (late, late + window, late + 6 * window):
        again, changes = slippage_review(shadows, trades, first, SETTINGS, window_start=later)
        assert changes == []
        assert again == first
    # A window opened between the two pairs' closes judges pair 1 alone: both profit factors 0, no change.
    _, changes = slippage_review(shadows, trades, LEARNED, SETTINGS, window_start=T0 + timedelta(hours=1))
    assert changes == []


def test_a_pair_is_judged_only_once_both_have_closed_and_only_with_its_own_trade() -> None:
    """L-SHADOW-1: a taken shadow whose live trade is still open waits; a live trade without a shadow here, and a
    blocked signal's shadow, count for nothing."""
    shadows = [_shadow(0, 0.02), _shadow(1, -0.01), _shadow(2, 0.05, taken=False)]
    open_trade = _trade(1, -0.02, closed=None)
    unpaired = _trade(7, -0.05)
    learned, changes = slippage_review(shadows, [_trade(0, 0.02), open_trade, unpaired], LEARNED, SETTINGS)
    assert changes == []  # only pair 0 is judged: PF infinite on both sides
    assert learned == LEARNED
    learned, changes = slippage_review(shadows, [_trade(0, 0.02), _trade(1, -0.02), unpaired], LEARNED, SETTINGS)
    assert [c.live_pf for c in changes] == [1.0]  # pair 1 has closed: judged, and trade 7 never counted


def test_the_buffer_stops_at_its_ceiling() -> None:
    """L-SHADOW-1 (decided): the buffer never rises above `learning.max_slippage_bps`."""
    ceiling = SETTINGS.learning.max_slippage_bps
    at_ceiling = LEARNED.model_copy(update={"slippage_bps": {"ETH": ceiling}})
    learned, changes = slippage_review(
        [_shadow(0, 0.02), _shadow(1, -0.01)], [_trade(0, 0.02), _trade(1, -0.02)], at_ceiling, SETTINGS
    )
    assert changes == []
    assert _buffer(learned) == ceiling
