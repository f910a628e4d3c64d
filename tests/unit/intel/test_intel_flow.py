"""Pure computations on exchange data: max pain, taker flow, CVD (D-SRC-1, A-MP-1 input, A-TAKER-1 input)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bigalpha.data.exchange.flow import (
    OptionOpenInterest,
    cvd_from_trades,
    fill_taker_from_trades,
    max_pain,
    nearest_expiry,
    parse_deribit_option,
    taker_flow,
)
from bigalpha.domain import Bar, OrderSide, Trade

EXPIRY = date(2025, 12, 26)
T0 = datetime(2025, 11, 14, 6, 0, tzinfo=UTC)


def test_max_pain_worked_example() -> None:
    """D-SRC-1: payout(K) = Σcalls OI·max(0,K−s) + Σputs OI·max(0,s−K); max pain minimizes it.
    Calls 10@90, 10@100; puts 10@110, 30@100 → payouts 90:400+…; the minimum is at 100."""
    options = [
        OptionOpenInterest(EXPIRY, 90.0, True, 10.0),
        OptionOpenInterest(EXPIRY, 100.0, True, 10.0),
        OptionOpenInterest(EXPIRY, 110.0, False, 10.0),
        OptionOpenInterest(EXPIRY, 100.0, False, 30.0),
    ]
    # K=90: puts 10·20 + 30·10 = 500; K=100: calls 10·10 + puts 10·10 = 200; K=110: calls 200+100 = 300
    assert max_pain(options) == 100.0


def test_max_pain_without_open_interest_is_none() -> None:
    assert max_pain([]) is None
    assert max_pain([OptionOpenInterest(EXPIRY, 100.0, True, 0.0)]) is None


option_st = st.builds(
    OptionOpenInterest,
    st.just(EXPIRY),
    st.sampled_from([80.0, 90.0, 95.0, 100.0, 105.0, 110.0, 120.0]),
    st.booleans(),
    st.floats(min_value=0.0, max_value=1e4),
)


@given(st.lists(option_st, min_size=1, max_size=30))
def test_max_pain_is_the_payout_minimizing_strike(options: list[OptionOpenInterest]) -> None:
    """D-SRC-1 (property): no listed strike pays holders less than the max-pain strike."""
    result = max_pain(options)
    if all(o.open_interest <= 0 for o in options):
        assert result is None
        return
    assert result is not None

    def payout(k: float) -> float:
        return sum(o.open_interest * (max(0.0, k - o.strike) if o.is_call else max(0.0, o.strike - k)) for o in options)

    best = min(payout(o.strike) for o in options if o.open_interest > 0)
    assert payout(result) <= best + 1e-6 * max(1.0, best)


def test_deribit_instrument_names() -> None:
    assert parse_deribit_option("BTC-27DEC24-100000-C") == (date(2024, 12, 27), 100000.0, True)
    assert parse_deribit_option("ETH-6JUN25-3500-P") == (date(2025, 6, 6), 3500.0, False)
    assert parse_deribit_option("XRP_USDC-28NOV25-2d5-C") == (date(2025, 11, 28), 2.5, True)
    assert parse_deribit_option("BTC-PERPETUAL") is None
    assert parse_deribit_option("BTC-32FOO24-1-C") is None


def test_nearest_expiry_skips_past_expiries() -> None:
    past = OptionOpenInterest(date(2025, 1, 1), 1.0, True, 1.0)
    near = OptionOpenInterest(date(2025, 11, 21), 2.0, True, 1.0)
    far = OptionOpenInterest(date(2025, 12, 26), 3.0, True, 1.0)
    assert nearest_expiry([far, past, near], date(2025, 11, 14)) == [near]
    assert nearest_expiry([past], date(2025, 11, 14)) == []


def _bar(minute: int, volume: float, taker_buy: float = math.nan) -> Bar:
    return Bar(T0 + timedelta(minutes=minute), 100.0, 101.0, 99.0, 100.0, volume, taker_buy)


def test_taker_split_from_trades_exact_where_covered_estimated_before() -> None:
    trades = [
        Trade(T0 + timedelta(minutes=1, seconds=5), 100.0, 3.0, OrderSide.BUY),
        Trade(T0 + timedelta(minutes=1, seconds=30), 100.0, 1.0, OrderSide.SELL),
    ]
    bars = fill_taker_from_trades([_bar(0, 10.0), _bar(1, 4.0), _bar(2, 5.0, 2.0)], trades)
    assert bars[0].taker_buy_volume == 10.0 * 0.75  # before the sample: its buy share
    assert bars[1].taker_buy_volume == 3.0  # covered: exact
    assert bars[2].taker_buy_volume == 2.0  # given by the exchange: kept
    assert fill_taker_from_trades([_bar(0, 8.0)], [])[0].taker_buy_volume == 4.0


def test_taker_flow_over_the_window() -> None:
    """A-TAKER-1 input: buy and sell USD over the newest window bars."""
    bars = [_bar(i, 10.0, 6.0) for i in range(8)]
    flow, as_of = taker_flow(bars, 5) or (None, None)
    assert flow is not None
    assert flow.buy_usd == 5 * 6.0 * 100.0
    assert flow.sell_usd == 5 * 4.0 * 100.0
    assert flow.ratio == 1.5
    assert flow.window_s == 300.0
    assert as_of == bars[-1].ts
    assert taker_flow([], 5) is None


def test_cvd_from_real_trade_sizes() -> None:
    """A-CVD-1 / A-WHALE-1 input: buckets of taker buy and sell notional."""
    trades = [
        Trade(T0 + timedelta(seconds=1), 100.0, 2.0, OrderSide.BUY),
        Trade(T0 + timedelta(seconds=2), 100.0, 1.0, OrderSide.SELL),
        Trade(T0 + timedelta(seconds=61), 100.0, 1.0, OrderSide.SELL),
    ]
    points = cvd_from_trades(trades)
    assert [(p.ts, p.buy_usd, p.sell_usd) for p in points] == [
        (T0, 200.0, 100.0),
        (T0 + timedelta(minutes=1), 0.0, 100.0),
    ]
    assert points[0].delta == 100.0
