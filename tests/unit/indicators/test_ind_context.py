"""`ContextBuilder` and `MarketContext`: the live path equals the backtest path, state and JSON round-trips,
A-HURST-1's strict window, fail-open inputs, and bad input named (I-PERSIST-1, A-*, P-TREND-1)."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ind_streams import make_stream

from bigalpha.config import Settings
from bigalpha.config.data import DataKind
from bigalpha.domain import Bar, Regime
from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.columns import arrays_from_snapshots, indicator_columns
from bigalpha.indicators.context import (
    ContextError,
    MarketContext,
    context_from_dict,
    context_to_dict,
    replace_context,
)
from bigalpha.indicators.positioning import true_trend
from bigalpha.json_text import dumps

CFG = Settings().indicators
WHALE = 100_000.0


def run(snapshots, builder=None):
    builder = builder or ContextBuilder(CFG)
    return builder, [builder.update(s, whale_threshold_usd=WHALE) for s in snapshots]


def same(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.fixture(scope="module")
def mixed_stream():
    """Trade sizes missing on every 3rd early bar and in a block of 12, a book every other bar, OI missing every
    7th bar, volume spikes every 9th bar."""
    snaps = make_stream(230, seed=5, trades_every=1, book_every=2, oi_every=1, spike_every=9)
    out = []
    for i, snap in enumerate(snaps):
        changed = snap
        if (i < 40 and i % 3 == 2) or 100 <= i < 112:
            changed = dataclasses.replace(changed, trades=())
        if i % 7 == 3:
            changed = dataclasses.replace(changed, open_interest_usd=None)
        out.append(changed)
    return out


def test_builder_matches_the_vectorized_columns_tick_by_tick(mixed_stream):
    """A-CVD-1, A-WHALE-1, A-WHALE-2, A-OFI-1, A-TAKER-1, A-OI-1, A-HURST-1/2, P-TREND-1: the live builder and
    the backtester's whole-array columns give the same value at every bar."""
    _, contexts = run(mixed_stream)
    cols = indicator_columns(
        arrays_from_snapshots(mixed_stream, whale_threshold_usd=WHALE, book_levels=CFG.ofi_book_levels), CFG
    )
    pairs = {
        "cvd_usd": cols.cvd_usd,
        "whale_cvd_usd": cols.whale_cvd_usd,
        "whale_intent_cvd_usd": cols.whale_intent_cvd_usd,
        "retail_cvd_usd": cols.retail_cvd_usd,
        "whale_intensity": cols.whale_intensity,
        "ofi": cols.ofi,
        "taker_ratio_5m": cols.taker_ratio,
        "oi_delta_5m_usd": cols.oi_delta_5m_usd,
        "oi_change_pct": cols.oi_change_pct,
        "open_interest_usd": cols.open_interest_usd,
        "hurst": cols.hurst,
        "hurst_stderr": cols.hurst_stderr,
    }
    known = dict.fromkeys(pairs, 0)
    for i, ctx in enumerate(contexts):
        for name, column in pairs.items():
            assert same(getattr(ctx, name), column[i]), (i, name, getattr(ctx, name), column[i])
            known[name] += getattr(ctx, name) is not None
        assert ctx.regime is cols.regime[i]
        assert ctx.true_trend is cols.true_trend[i]
    # every column is exercised with known values, not only NaN = None
    assert all(count > 20 for count in known.values()), known


def test_regime_is_unknown_until_100_closes():
    """A-HURST-1: fewer than 100 points → 'unknown' (no estimate from a shorter window)."""
    _, contexts = run(make_stream(101, seed=2))
    for ctx in contexts[:99]:
        assert ctx.hurst is None
        assert ctx.regime is Regime.UNKNOWN
        assert "hurst" in ctx.unavailable
    assert contexts[98].unavailable["hurst"] == "needs 100 closes, has 99"
    assert contexts[99].hurst is not None
    assert contexts[99].regime is not Regime.UNKNOWN
    assert "hurst" not in contexts[99].unavailable


def test_regime_follows_a_hurst_2_bands():
    """A-HURST-2 in the builder: the regime is classify_regime(H) with the config's bands."""
    _, contexts = run(make_stream(130, seed=3))
    for ctx in contexts[99:]:
        assert ctx.hurst is not None
        expected = Regime.TRENDING if ctx.hurst > 0.55 else Regime.NOISE if ctx.hurst < 0.45 else Regime.RANDOM_WALK
        assert ctx.regime is expected


def test_true_trend_in_the_context_is_the_p_trend_1_predicate(mixed_stream):
    """P-TREND-1: the context's TRUE TREND flag = Hurst trending AND positive 5-minute OI delta."""
    _, contexts = run(mixed_stream)
    for ctx in contexts:
        assert ctx.true_trend is true_trend(ctx.hurst, ctx.oi_delta_5m_usd, trending_above=0.55)


def test_state_round_trip_gives_identical_subsequent_contexts(mixed_stream):
    """I-PERSIST-1: Hurst and whale-flow state survive a restart: a builder restored from JSON continues exactly."""
    first, _ = run(mixed_stream[:150])
    saved = json.loads(json.dumps(first.state_dict()))
    restored = ContextBuilder.from_state_dict(saved, CFG)
    _, expected = run(mixed_stream[150:], first)
    _, actual = run(mixed_stream[150:], restored)
    assert actual == expected


def test_state_text_is_the_text_of_the_state(mixed_stream):
    """I-PERSIST-1: the engine saves the builder after every tick as `state_text`, assembled from each bar's text
    written once: it is the text `dumps` writes of `state_dict()` over two symbols, asked after every bar for ten
    bars and after every third bar elsewhere (before the buffer is full, once it has wrapped round, twice in a
    row), and after a restore from the saved JSON, whose bars have no text yet."""
    eth = make_stream(len(mixed_stream), symbol="ETH", seed=3)
    builder = ContextBuilder(CFG)
    assert builder.state_text().text == dumps(builder.state_dict())
    for n, (btc_bar, eth_bar) in enumerate(zip(mixed_stream, eth, strict=True)):
        builder.update(btc_bar, whale_threshold_usd=WHALE)
        if n == 120:  # a restart: the restored builder has written no bar's text
            builder = ContextBuilder.from_state_dict(json.loads(dumps(builder.state_dict())), CFG)
        builder.update(eth_bar, whale_threshold_usd=WHALE)
        if n % 3 == 2 or 100 <= n < 110:  # saved after every bar here, every third bar elsewhere
            assert builder.state_text().text == dumps(builder.state_dict())
    assert builder.state_text().text == builder.state_text().text == dumps(builder.state_dict())
    assert len(builder.state_dict()["symbols"]["BTC"]["bars"]) == builder.capacity < len(mixed_stream)


def test_state_is_bounded_by_the_configured_windows(mixed_stream):
    """Ring buffers: memory does not grow with the stream."""
    builder, _ = run(mixed_stream)
    state = builder.state_dict()["symbols"]["BTC"]
    assert len(state["bars"]) == builder.capacity == max(100, 60 + 20)
    assert len(state["oi"]) <= 8


def test_context_round_trips_through_json(mixed_stream):
    """MarketContext JSON both ways (explain, API, store): every context of a rich stream comes back equal."""
    _, contexts = run(mixed_stream[:130])
    for ctx in contexts:
        data = json.loads(json.dumps(context_to_dict(ctx)))
        assert context_from_dict(data) == ctx
    last = context_to_dict(contexts[-2])
    assert last["short_clusters"]
    assert last["ask_walls"]
    assert last["regime"] in {"trending", "noise", "random_walk"}


@settings(max_examples=40)
@given(
    fear_greed=st.none() | st.floats(0, 100),
    ofi=st.none() | st.floats(-1, 1),
    hurst=st.none() | st.floats(0, 1),
    regime=st.sampled_from(Regime),
    funding=st.none() | st.dictionaries(st.sampled_from(["binanceusdm", "okx"]), st.floats(-0.01, 0.01)),
)
def test_any_context_round_trips_through_json(fear_greed, ofi, hurst, regime, funding):
    ctx = MarketContext(
        symbol="SOL",
        ts=make_stream(1)[0].ts,
        price=150.0,
        fear_greed=fear_greed,
        ofi=ofi,
        hurst=hurst,
        regime=regime,
        funding=funding,
    )
    assert context_from_dict(json.loads(json.dumps(context_to_dict(ctx)))) == ctx


def test_a_bad_context_names_the_field():
    data = context_to_dict(MarketContext(symbol="BTC", ts=make_stream(1)[0].ts, price=1.0))
    with pytest.raises(ContextError, match=r"context\.fear_greed: Input should be less than or equal to 100"):
        context_from_dict({**data, "fear_greed": 120})
    with pytest.raises(ContextError, match=r"context\.whale_direction"):
        context_from_dict({**data, "whale_direction": "UP"})


def test_missing_inputs_are_none_with_a_reason_never_a_default():
    """D-FAILOPEN input side: an unavailable part is None and `unavailable` says why."""
    snap = make_stream(1)[0]
    snap = dataclasses.replace(
        snap, fear_greed=None, long_short=None, unavailable=((DataKind.FEAR_GREED, "alternative.me timed out"),)
    )
    _, [ctx] = run([snap])
    assert ctx.fear_greed is None
    assert ctx.unavailable["fear_greed"] == "alternative.me timed out"
    assert ctx.long_short_ratio is None
    assert ctx.short_share is None
    assert ctx.unavailable["long_short_ratio"] == "not in snapshot"
    assert ctx.cvd_usd is None
    assert ctx.taker_ratio_5m is None


def test_per_snapshot_indicators_reach_the_context():
    """A-LSR-1, A-FG-1, A-MP-1, A-LIQ-1, A-OB-1 and funding divergence, from one snapshot, with input ages."""
    snap = make_stream(1)[0]
    _, [ctx] = run([snap])
    assert (ctx.long_short_ratio, ctx.short_share, ctx.fear_greed) == (1.5, 0.4, 55.0)
    assert ctx.max_pain == pytest.approx(snap.price * 0.97)
    assert ctx.max_pain_distance_pct == pytest.approx(0.03)
    assert ctx.max_pain_far is True
    assert ctx.funding_divergence_bps == pytest.approx(3.6)
    assert ctx.short_clusters
    assert all(c.price >= ctx.price for c in ctx.short_clusters)
    assert ctx.long_clusters
    assert all(c.price < ctx.price for c in ctx.long_clusters)
    assert ctx.nearest_cluster is not None
    assert ctx.top_clusters is not None
    assert len(ctx.top_clusters) <= 2
    assert ctx.ask_walls is not None
    assert len(ctx.ask_walls) == 3
    assert ctx.ages_s["fear_greed"] == 60.0


def test_whale_threshold_is_recorded_and_changes_whale_flow():
    """A-WHALE-1 / L-OPT-1: the trade threshold passed with each snapshot is used and recorded."""
    snaps = make_stream(70, seed=4)
    low = ContextBuilder(CFG)
    high = ContextBuilder(CFG)
    for s in snaps:
        a = low.update(s, whale_threshold_usd=50_000.0)
        b = high.update(s, whale_threshold_usd=1e9)
    assert a.whale_threshold_usd == 50_000.0
    assert b.whale_intent_cvd_usd == 0.0
    assert a.whale_intent_cvd_usd != 0.0


def test_bad_snapshots_are_refused_with_a_clear_message():
    snaps = make_stream(2)
    builder = ContextBuilder(CFG)
    builder.update(snaps[1], whale_threshold_usd=WHALE)
    with pytest.raises(ValueError, match="is not after the previous snapshot"):
        builder.update(snaps[0], whale_threshold_usd=WHALE)
    bad_bar = dataclasses.replace(
        snaps[1], ts=snaps[1].ts + timedelta(minutes=5), bar=Bar(snaps[1].ts, 1, 1, 1, 1, 5, 6)
    )
    with pytest.raises(ValueError, match=r"bar\.taker_buy_volume \(6\) exceeds bar\.volume \(5\)"):
        builder.update(bad_bar, whale_threshold_usd=WHALE)
    with pytest.raises(ValueError, match="whale_threshold_usd must be a positive number"):
        builder.update(snaps[1], whale_threshold_usd=0.0)


def test_a_malformed_state_names_the_field():
    with pytest.raises(ContextError, match=r"state\.symbols\.BTC\.bars"):
        ContextBuilder.from_state_dict(
            {"version": 1, "symbols": {"BTC": {"last_ts": None, "bars": "x", "oi": []}}}, CFG
        )
    with pytest.raises(ContextError, match=r"state\.version"):
        ContextBuilder.from_state_dict({"version": 99, "symbols": {}}, CFG)


def test_symbols_are_independent():
    builder = ContextBuilder(CFG)
    for btc, eth in zip(make_stream(101, symbol="BTC"), make_stream(50, symbol="ETH"), strict=False):
        builder.update(btc, whale_threshold_usd=WHALE)
        builder.update(eth, whale_threshold_usd=WHALE)
    assert set(builder.state_dict()["symbols"]) == {"BTC", "ETH"}
    assert len(builder.state_dict()["symbols"]["ETH"]["bars"]) == 50


def test_columns_cover_whole_histories():
    """The backtester's path over a long history returns one value per bar."""
    snaps = make_stream(300, seed=9, trades_every=0)
    cols = indicator_columns(arrays_from_snapshots(snaps, whale_threshold_usd=WHALE, book_levels=1), CFG)
    assert cols.cvd_usd.shape == (300,)
    assert np.isnan(cols.whale_intent_cvd_usd).all()  # no trade sizes anywhere
    assert np.isfinite(cols.whale_cvd_usd[80:]).all()  # the volume-spike proxy serves instead


_CONTEXT_FIELDS = [f.name for f in dataclasses.fields(MarketContext)]


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, 229), names=st.lists(st.sampled_from(_CONTEXT_FIELDS), unique=True, max_size=6))
def test_replace_context_is_dataclasses_replace(mixed_stream, index, names):
    """`replace_context` (the backtest's cheap completion of a context) makes the very context `dataclasses.replace`
    makes: equal, field for field, with the same objects in its fields and the same reason order."""
    _, contexts = run(mixed_stream[: index + 1])
    context = contexts[-1]
    donor = contexts[len(contexts) // 2]
    changes = {name: getattr(donor, name) for name in names}
    got = replace_context(context, **changes)
    expected = dataclasses.replace(context, **changes)
    assert got == expected
    assert all(getattr(got, name) is getattr(expected, name) for name in _CONTEXT_FIELDS)
    assert list(got.unavailable) == list(expected.unavailable)
    with pytest.raises(TypeError):
        replace_context(context, no_such_field=1)
