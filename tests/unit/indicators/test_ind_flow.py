"""Flow indicators: CVD (A-CVD-1), whale CVD (A-WHALE-1), whale intensity (A-WHALE-2), OFI (A-OFI-1), taker ratio (A-TAKER-1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import OrderSide, Trade
from bigalpha.indicators.flow import (
    FlowColumns,
    FlowDirection,
    FlowInputs,
    IntensityBand,
    _ratio,
    aggregate_whale_trades,
    flow_columns,
    flow_direction,
    intensity_band,
    rolling_sum,
    whale_trade_flow,
)

T0 = datetime(2025, 12, 26, tzinfo=UTC)
SMALL = IndicatorsConfig(
    cvd_window=3,
    whale_volume_lookback=2,
    whale_intent_window=2,
    whale_intensity_recent_bars=1,
    ofi_window_minutes=2,
    taker_window_minutes=2,
)


def make_inputs(volume, taker_buy, *, close=None, sizes=None, wbuy=None, wsell=None, bid=None, ask=None) -> FlowInputs:
    volume = np.asarray(volume, dtype=np.float64)
    n = volume.shape[0]
    full = np.full(n, 1.0)
    return FlowInputs(
        close=full if close is None else np.asarray(close, dtype=np.float64),
        volume=volume,
        taker_buy=np.asarray(taker_buy, dtype=np.float64),
        has_trade_sizes=np.zeros(n, dtype=np.bool_) if sizes is None else np.asarray(sizes, dtype=np.bool_),
        trade_whale_buy_usd=np.zeros(n) if wbuy is None else np.asarray(wbuy, dtype=np.float64),
        trade_whale_sell_usd=np.zeros(n) if wsell is None else np.asarray(wsell, dtype=np.float64),
        book_bid_qty=full if bid is None else np.asarray(bid, dtype=np.float64),
        book_ask_qty=full if ask is None else np.asarray(ask, dtype=np.float64),
    )


def trade(price: float, qty: float, side: OrderSide) -> Trade:
    return Trade(ts=T0, price=price, quantity=qty, side=side)


# --- A-CVD-1 -----------------------------------------------------------------------------------------


def test_cvd_is_the_rolling_sum_of_buy_minus_sell_over_the_window():
    """A-CVD-1: CVD = Σ(buy − sell) over the configured window; unknown before the window is full."""
    volume = [10.0, 10.0, 10.0, 10.0, 10.0]
    buy = [6.0, 7.0, 2.0, 5.0, 9.0]  # deltas 2, 4, -6, 0, 8
    cvd = flow_columns(make_inputs(volume, buy, close=[2.0] * 5), SMALL).cvd_usd
    assert np.isnan(cvd[:2]).all()
    np.testing.assert_allclose(cvd[2:], [2 * (2 + 4 - 6), 2 * (4 - 6 + 0), 2 * (-6 + 0 + 8)])


@given(values=arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e6, 1e6)), window=st.integers(1, 10))
def test_rolling_sum_matches_a_plain_sum_of_each_window(values, window):
    """A-CVD-1: the rolling sum is each window's own sum (no drift from a running total)."""
    out = rolling_sum(values, window)
    for i in range(values.shape[0]):
        if i + 1 < window:
            assert math.isnan(out[i])
        else:
            assert out[i] == pytest.approx(values[i + 1 - window : i + 1].sum(), abs=1e-6)


def _all_columns_at_once(x: np.ndarray, window: int, last: int | None) -> np.ndarray:
    """The former reduction: every column's windows in one strided view (twice the input's memory)."""
    n = x.shape[0]
    out = np.full(x.shape, np.nan)
    rows = n - window + 1 if last is None else min(last, n - window + 1)
    if rows <= 0:
        return out
    columns = np.ascontiguousarray(x[n - rows - window + 1 :].T)
    stride = columns.strides[-1]
    windows = np.lib.stride_tricks.as_strided(
        columns, shape=(*columns.shape[:-1], rows, window), strides=(*columns.strides[:-1], stride, stride)
    )
    out[n - rows :] = windows.sum(axis=-1).T
    return out


@settings(max_examples=80, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.tuples(st.integers(0, 300), st.integers(1, 6)),
        elements=st.floats(-1e12, 1e12) | st.just(math.nan),
    ),
    window=st.integers(1, 200),
    last=st.none() | st.integers(1, 50),
)
def test_rolling_sum_a_column_at_a_time_is_bit_equal_to_all_columns_at_once(values, window, last):
    """A-CVD-1: reducing each column alone (less memory) gives the very same floats, NaN included."""
    np.testing.assert_array_equal(rolling_sum(values, window, last=last), _all_columns_at_once(values, window, last))
    column = np.ascontiguousarray(values[:, 0])
    np.testing.assert_array_equal(rolling_sum(column, window, last=last), _all_columns_at_once(column, window, last))


def _stacked_flow_columns(inputs: FlowInputs, cfg: IndicatorsConfig, last: int | None) -> FlowColumns:
    """The former `flow_columns`: the columns sharing a window stacked and summed together (more memory)."""
    n = len(inputs)
    close = inputs.close
    buy_usd = inputs.taker_buy * close
    sell_usd = (inputs.volume - inputs.taker_buy) * close
    volume_usd = inputs.volume * close
    prior = np.full(n, np.nan)
    prior[1:] = rolling_sum(inputs.volume[:-1], cfg.whale_volume_lookback) / cfg.whale_volume_lookback
    with np.errstate(invalid="ignore"):
        spike = inputs.volume > cfg.whale_volume_multiple * prior
    sizes = inputs.has_trade_sizes
    judged = sizes | (np.arange(n) >= cfg.whale_volume_lookback)
    proxy = judged & ~sizes & spike
    whale_buy = np.where(sizes, inputs.trade_whale_buy_usd, np.where(proxy, buy_usd, 0.0))
    whale_sell = np.where(sizes, inputs.trade_whale_sell_usd, np.where(proxy, sell_usd, 0.0))
    retail_buy = np.maximum(buy_usd - whale_buy, 0.0)
    retail_sell = np.maximum(sell_usd - whale_sell, 0.0)
    window = cfg.cvd_window
    stacked = [buy_usd - sell_usd, whale_buy - whale_sell, retail_buy - retail_sell, judged, whale_buy + whale_sell]
    per_window = rolling_sum(np.column_stack([*stacked, volume_usd]), window, last=last)
    judged_full = per_window[:, 3] == window
    whale_cvd = np.where(judged_full, per_window[:, 1], np.nan)
    intent_delta = np.where(sizes, inputs.trade_whale_buy_usd - inputs.trade_whale_sell_usd, 0.0)
    per_intent = rolling_sum(np.column_stack([intent_delta, sizes]), cfg.whale_intent_window, last=last)
    gross = per_window[:, 5]
    share = np.where(gross > 0, _ratio(per_window[:, 4], gross), 0.0)
    average = gross / window
    recent = rolling_sum(volume_usd, cfg.whale_intensity_recent_bars, last=last) / cfg.whale_intensity_recent_bars
    volume_ratio = np.where(average > 0, _ratio(recent, average), 0.0)
    spike_score = np.clip((volume_ratio - 1.0) / (cfg.whale_volume_multiple - 1.0), 0.0, 1.0)
    share_score = np.minimum(share / cfg.whale_share_full_scale, 1.0)
    weight = cfg.whale_intensity_share_weight
    intensity = 100.0 * (weight * share_score + (1.0 - weight) * spike_score)
    per_ofi = rolling_sum(np.column_stack([retail_buy, retail_sell, judged]), cfg.ofi_window_minutes, last=last)
    r_buy, r_sell = per_ofi[:, 0], per_ofi[:, 1]
    ofi = np.where(per_ofi[:, 2] == cfg.ofi_window_minutes, _ratio(r_buy - r_sell, r_buy + r_sell), np.nan)
    w = cfg.ofi_taker_weight
    if w < 1.0:
        book = _ratio(inputs.book_bid_qty - inputs.book_ask_qty, inputs.book_bid_qty + inputs.book_ask_qty)
        ofi = w * ofi + (1.0 - w) * book
    per_taker = rolling_sum(
        np.column_stack([inputs.taker_buy, inputs.volume - inputs.taker_buy]), cfg.taker_window_minutes, last=last
    )
    return FlowColumns(
        cvd_usd=per_window[:, 0].copy(),
        whale_cvd_usd=whale_cvd,
        whale_intent_cvd_usd=np.where(per_intent[:, 1] == cfg.whale_intent_window, per_intent[:, 0], np.nan),
        retail_cvd_usd=np.where(judged_full, per_window[:, 2], np.nan),
        whale_intensity=np.where(np.isnan(whale_cvd), np.nan, np.clip(intensity, 0.0, 100.0)),
        ofi=np.clip(ofi, -1.0, 1.0),
        taker_ratio=_ratio(per_taker[:, 0], per_taker[:, 1]),
    )


_amounts = st.floats(0.0, 1e9) | st.just(math.nan)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 120),
    windows=st.tuples(st.integers(1, 30), st.integers(2, 30), *(st.integers(1, 30) for _ in range(3))),
    taker_weight=st.sampled_from([1.0, 0.6]),
    last=st.none() | st.integers(1, 20),
)
def test_flow_columns_a_window_sum_at_a_time_are_the_stacked_floats(data, n, windows, taker_weight, last):
    """A-CVD-1 … A-TAKER-1: each window summed on its own (a few history-long columns alive at once instead of
    a dozen) gives the very floats of the stacked sums, NaN included, over a whole history or its `last` bars."""
    column = arrays(np.float64, n, elements=_amounts)
    inputs = FlowInputs(
        close=data.draw(arrays(np.float64, n, elements=st.floats(0.0, 1e5))),
        volume=data.draw(column),
        taker_buy=data.draw(column),
        has_trade_sizes=data.draw(arrays(np.bool_, n)),
        trade_whale_buy_usd=data.draw(column),
        trade_whale_sell_usd=data.draw(column),
        book_bid_qty=data.draw(column),
        book_ask_qty=data.draw(column),
    )
    cvd, lookback, intent, ofi, taker = windows
    recent = data.draw(st.integers(1, cvd))  # the recent bars lie within the CVD window (the config checks it)
    cfg = IndicatorsConfig(
        cvd_window=cvd,
        whale_volume_lookback=lookback,
        whale_intent_window=intent,
        whale_intensity_recent_bars=recent,
        ofi_window_minutes=ofi,
        taker_window_minutes=taker,
        ofi_taker_weight=taker_weight,
    )
    with np.errstate(all="ignore"):
        expected = _stacked_flow_columns(inputs, cfg, last)
        got = flow_columns(inputs, cfg, last=last)
    for name in FlowColumns.__slots__:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


# --- A-WHALE-1 ---------------------------------------------------------------------------------------


def test_whale_trades_are_those_at_or_above_the_threshold():
    """A-WHALE-1: a trade of exactly the threshold is whale flow; one dollar less is not."""
    trades = [
        trade(100_000.0, 1.0, OrderSide.BUY),  # 100,000: whale
        trade(99_999.0, 1.0, OrderSide.BUY),  # 99,999: retail
        trade(50_000.0, 3.0, OrderSide.SELL),  # 150,000: whale
        trade(10.0, 5.0, OrderSide.SELL),
    ]
    assert whale_trade_flow(trades, 100_000.0) == (100_000.0, 150_000.0)


@settings(max_examples=50)
@given(
    trades=st.lists(
        st.tuples(st.floats(1.0, 1e5), st.floats(0.001, 10.0), st.booleans(), st.integers(0, 4)), max_size=40
    ),
    threshold=st.floats(1.0, 2e5),
)
def test_vectorized_whale_aggregation_matches_the_per_bar_one(trades, threshold):
    """A-WHALE-1: the backtester's bincount aggregation equals the live per-snapshot sum."""
    buy, sell = aggregate_whale_trades(
        [p * q for p, q, _, _ in trades], [b for *_, b, _ in trades], [i for *_, i in trades], 5, threshold
    )
    for bar in range(5):
        live = whale_trade_flow(
            [trade(p, q, OrderSide.BUY if b else OrderSide.SELL) for p, q, b, i in trades if i == bar], threshold
        )
        assert (buy[bar], sell[bar]) == pytest.approx(live)


def test_without_trade_sizes_a_bar_above_three_times_average_volume_is_whale_flow():
    """A-WHALE-1: no sizes → bars whose volume exceeds 3× the rolling average (prior bars) are whale flow;
    exactly 3× is not "exceeds"."""
    volume = [10.0, 10.0, 31.0, 10.0, 30.0, 10.0]
    buy = [5.0, 5.0, 31.0, 5.0, 30.0, 5.0]  # spikes are all buying
    cols = flow_columns(make_inputs(volume, buy), SMALL)
    # window of 3 bars; bars 0-1 lack the 2-bar look-back, so the first full judged window ends at bar 4
    assert np.isnan(cols.whale_cvd_usd[:4]).all()
    # bar 2 (31 > 3 × 10) is whale; bar 4 (30 = 3 × average(10, 10)... average of bars 2-3 is 20.5) is not
    assert cols.whale_cvd_usd[4] == pytest.approx(31.0)
    assert cols.whale_cvd_usd[5] == pytest.approx(0.0)


def test_exactly_three_times_average_is_not_a_spike():
    """A-WHALE-1: 'exceeds 3×' is strict."""
    cols = flow_columns(make_inputs([10.0, 10.0, 10.0, 30.0, 10.0], [5.0, 5.0, 5.0, 30.0, 5.0]), SMALL)
    assert cols.whale_cvd_usd[4] == pytest.approx(0.0)


def test_trade_sizes_take_precedence_over_the_volume_proxy():
    """A-WHALE-1: where sizes exist, only trades count, even on a volume spike."""
    volume = [10.0, 10.0, 100.0]
    cols = flow_columns(
        make_inputs(volume, [5.0, 5.0, 100.0], sizes=[True] * 3, wbuy=[0.0, 0.0, 7.0], wsell=[1.0, 0.0, 0.0]),
        SMALL,
    )
    assert cols.whale_cvd_usd[2] == pytest.approx(6.0)
    assert cols.whale_intent_cvd_usd[2] == pytest.approx(7.0)


def test_whale_intent_needs_trade_sizes_in_every_bar_of_its_window():
    """G-WHALE-3 input: the intent CVD never falls back to the volume proxy."""
    cols = flow_columns(
        make_inputs([10.0] * 4, [5.0] * 4, sizes=[True, True, False, True], wbuy=[3.0, 4.0, 0.0, 5.0]), SMALL
    )
    assert cols.whale_intent_cvd_usd[1] == pytest.approx(7.0)
    assert np.isnan(cols.whale_intent_cvd_usd[2:]).all()


def test_retail_flow_is_taker_flow_minus_whale_flow():
    """A-WHALE-1: retail CVD = the non-whale part of the flow."""
    cols = flow_columns(
        make_inputs([10.0] * 3, [8.0] * 3, sizes=[True] * 3, wbuy=[5.0, 0.0, 0.0], wsell=[0.0, 1.0, 0.0]), SMALL
    )
    # bar buys 8, sells 2; retail: (3, 2), (8, 1), (8, 2) → deltas 1, 7, 6
    assert cols.retail_cvd_usd[2] == pytest.approx(14.0)
    assert cols.whale_cvd_usd[2] + cols.retail_cvd_usd[2] == pytest.approx(cols.cvd_usd[2])


@pytest.mark.parametrize(
    ("cvd", "expected"),
    [
        (1.0, FlowDirection.BUY),
        (-1.0, FlowDirection.SELL),
        (0.0, FlowDirection.NEUTRAL),
        (None, None),
        (math.nan, None),
    ],
)
def test_flow_direction(cvd, expected):
    """A-WHALE-1: the whale CVD's sign is its direction; zero is neutral; unknown stays unknown."""
    assert flow_direction(cvd, 0.0) is expected


def test_flow_direction_dead_band():
    assert flow_direction(5_000.0, 10_000.0) is FlowDirection.NEUTRAL
    assert flow_direction(-10_001.0, 10_000.0) is FlowDirection.SELL


# --- A-WHALE-2 ---------------------------------------------------------------------------------------


@settings(max_examples=60)
@given(
    volume=arrays(np.float64, 12, elements=st.floats(0.0, 1e4)),
    buy_share=arrays(np.float64, 12, elements=st.floats(0.0, 1.0)),
    sizes=arrays(np.bool_, 12),
    whale_share=arrays(np.float64, 12, elements=st.floats(0.0, 1.0)),
)
def test_whale_intensity_is_between_0_and_100(volume, buy_share, sizes, whale_share):
    """A-WHALE-2: intensity is 0–100 whatever the flow."""
    buy = volume * buy_share
    cols = flow_columns(
        make_inputs(volume, buy, sizes=sizes, wbuy=buy * whale_share, wsell=(volume - buy) * whale_share), SMALL
    )
    known = cols.whale_intensity[~np.isnan(cols.whale_intensity)]
    assert ((known >= 0) & (known <= 100)).all()
    assert (np.isnan(cols.whale_intensity) == np.isnan(cols.whale_cvd_usd)).all()


def test_whale_intensity_formula():
    """A-WHALE-2: 100 × (w × min(1, share / full) + (1 − w) × spike score)."""
    cfg = SMALL.model_copy(update={"whale_intensity_share_weight": 0.6, "whale_share_full_scale": 0.5})
    # flat volume (no spike), whale share 25% of gross → share part 0.5 → 100 × 0.6 × 0.5 = 30
    flat = make_inputs([10.0] * 3, [5.0] * 3, sizes=[True] * 3, wbuy=[2.5] * 3, wsell=[0.0] * 3)
    assert flow_columns(flat, cfg).whale_intensity[2] == pytest.approx(30.0)
    # all flow whale and the last bar at 3× the window's average → both parts saturate → 100
    spike = make_inputs([0.0, 0.0, 7.0], [0.0, 0.0, 7.0], sizes=[True] * 3, wbuy=[0.0, 0.0, 7.0])
    assert flow_columns(spike, cfg).whale_intensity[2] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (70.0, IntensityBand.HIGH),
        (99.0, IntensityBand.HIGH),
        (69.99, IntensityBand.MODERATE),
        (40.0, IntensityBand.MODERATE),
        (39.99, IntensityBand.LOW),
        (0.0, IntensityBand.LOW),
        (None, None),
    ],
)
def test_whale_intensity_bands(value, band):
    """A-WHALE-2: high (green) ≥ 70, moderate (yellow) ≥ 40, else low (red)."""
    assert intensity_band(value, high=70.0, moderate=40.0) is band


# --- A-OFI-1 -----------------------------------------------------------------------------------------


@settings(max_examples=60)
@given(
    volume=arrays(np.float64, 8, elements=st.floats(0.0, 1e4)),
    buy_share=arrays(np.float64, 8, elements=st.floats(0.0, 1.0)),
    bid=arrays(np.float64, 8, elements=st.floats(0.0, 1e4)),
    ask=arrays(np.float64, 8, elements=st.floats(0.0, 1e4)),
)
def test_ofi_is_signed_within_minus_one_and_one(volume, buy_share, bid, ask):
    """A-OFI-1: OFI ∈ [−1, 1]."""
    ofi = flow_columns(make_inputs(volume, volume * buy_share, sizes=[True] * 8, bid=bid, ask=ask), SMALL).ofi
    known = ofi[~np.isnan(ofi)]
    assert ((known >= -1) & (known <= 1)).all()


def test_ofi_blends_retail_taker_flow_and_top_of_book():
    """A-OFI-1: w × taker imbalance + (1 − w) × book imbalance (w = 0.6 by default)."""
    cfg = SMALL.model_copy(update={"ofi_taker_weight": 0.6})
    # retail taker flow: buys 8+8, sells 2+2 → +0.6; book 3 bid vs 1 ask → +0.5
    inputs = make_inputs([10.0] * 2, [8.0] * 2, sizes=[True] * 2, bid=[3.0] * 2, ask=[1.0] * 2)
    assert flow_columns(inputs, cfg).ofi[1] == pytest.approx(0.6 * 0.6 + 0.4 * 0.5)


def test_ofi_excludes_whale_flow():
    """A-OFI-1: retail OFI: whale buying does not make retail OFI positive."""
    cfg = SMALL.model_copy(update={"ofi_taker_weight": 1.0})
    inputs = make_inputs([10.0] * 2, [8.0] * 2, sizes=[True] * 2, wbuy=[8.0] * 2)
    assert flow_columns(inputs, cfg).ofi[1] == pytest.approx(-1.0)


def test_ofi_is_unknown_without_a_book():
    """A-OFI-1: no top of book → no OFI (never a made-up book)."""
    inputs = make_inputs([10.0] * 2, [8.0] * 2, sizes=[True] * 2, bid=[math.nan] * 2, ask=[math.nan] * 2)
    assert math.isnan(flow_columns(inputs, SMALL).ofi[1])


# --- A-TAKER-1 ---------------------------------------------------------------------------------------


def test_taker_ratio_is_buy_over_sell_volume_over_the_window():
    """A-TAKER-1: taker buy / taker sell over the last 5 minutes (here 2 bars); unknown before."""
    cols = flow_columns(make_inputs([10.0, 10.0, 10.0], [6.0, 5.0, 8.0]), SMALL)
    assert math.isnan(cols.taker_ratio[0])
    assert cols.taker_ratio[1] == pytest.approx(11.0 / 9.0)
    assert cols.taker_ratio[2] == pytest.approx(13.0 / 7.0)


def test_taker_ratio_over_five_minutes_by_default():
    """A-TAKER-1: default window is 5 one-minute bars."""
    cols = flow_columns(make_inputs([10.0] * 6, [6.0, 6.0, 6.0, 6.0, 6.0, 10.0]), IndicatorsConfig())
    assert np.isnan(cols.taker_ratio[:4]).all()
    assert cols.taker_ratio[4] == pytest.approx(1.5)
    assert cols.taker_ratio[5] == pytest.approx(34.0 / 16.0)


def test_taker_ratio_is_unknown_when_nobody_sold():
    """A-TAKER-1: a ratio over zero sell volume is undefined, not infinite."""
    assert math.isnan(flow_columns(make_inputs([10.0, 10.0], [10.0, 10.0]), SMALL).taker_ratio[1])


def test_inputs_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match=r"FlowInputs\.volume"):
        FlowInputs(
            close=np.ones(3),
            volume=np.ones(2),
            taker_buy=np.ones(3),
            has_trade_sizes=np.ones(3, dtype=bool),
            trade_whale_buy_usd=np.ones(3),
            trade_whale_sell_usd=np.ones(3),
            book_bid_qty=np.ones(3),
            book_ask_qty=np.ones(3),
        )
