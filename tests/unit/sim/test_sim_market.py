"""D-SIM-1: every data kind is present and coherent with the others."""

from __future__ import annotations

import numpy as np
import pytest

from bigalpha.data.sim import SimDataset, SimParams, generate
from bigalpha.data.sim.feed import SimFeed
from bigalpha.data.sim.params import MINUTES_PER_DAY
from bigalpha.data.sim.schema import SCHEMAS
from bigalpha.domain import MarketSnapshot, OrderSide


def _symbol(frame: dict[str, np.ndarray], code: int) -> dict[str, np.ndarray]:
    keep = frame["symbol"] == code
    return {k: v[keep] for k, v in frame.items()}


def test_every_table_has_rows(two_days: SimDataset) -> None:
    """D-SIM-1: prices, trades, OI, heatmap, long/short, max pain, book, walls, F&G, funding, fees, HF."""
    counts = two_days.row_counts()
    assert set(counts) == set(SCHEMAS)
    assert all(n > 0 for n in counts.values()), counts
    assert counts["bars"] == 4 * 2 * MINUTES_PER_DAY


def test_bars_are_coherent(five_days: SimDataset) -> None:
    """D-SIM-1: high ≥ max(open, close), low ≤ min, 0 ≤ taker buy ≤ volume, open = previous close."""
    b = five_days.frames["bars"]
    assert np.all(b["high"] >= np.maximum(b["open"], b["close"]))
    assert np.all(b["low"] <= np.minimum(b["open"], b["close"]))
    assert np.all(b["low"] > 0)
    assert np.all((b["taker_buy_volume"] >= 0) & (b["taker_buy_volume"] <= b["volume"]))
    for code in range(4):
        s = _symbol(b, code)
        assert np.allclose(s["open"][1:], s["close"][:-1], rtol=1e-12)


def test_price_levels_are_realistic(two_days: SimDataset) -> None:
    """D-SIM-1: BTC ~100k, ETH ~3.5k, SOL ~180, XRP ~2.5 (within 25% over two days)."""
    b = two_days.frames["bars"]
    for code, level in enumerate((100_000.0, 3_500.0, 180.0, 2.5)):
        closes = _symbol(b, code)["close"]
        assert np.all(np.abs(closes / level - 1.0) < 0.25)


def test_symbols_are_mildly_correlated(five_days: SimDataset) -> None:
    """D-SIM-1: a common factor links the symbols' returns, but not tightly."""
    b = five_days.frames["bars"]
    returns = [np.diff(np.log(_symbol(b, c)["close"])) for c in range(4)]
    corr = np.corrcoef(np.vstack(returns))
    off_diagonal = corr[~np.eye(4, dtype=bool)]
    assert np.all((off_diagonal > 0.2) & (off_diagonal < 0.8))


def test_long_short_ratio_matches_short_share(two_days: SimDataset) -> None:
    """A-LSR-1: ratio = (1 − short share) / short share, every refresh."""
    ls = two_days.frames["long_short"]
    assert np.allclose(ls["long_short_ratio"], (1 - ls["short_share"]) / ls["short_share"])
    assert np.all((ls["short_share"] > 0.2) & (ls["short_share"] < 0.8))


def test_whale_trades_exist_and_match_the_aggregates(two_days: SimDataset) -> None:
    """A-WHALE-1: trades ≥ $100k exist; per-minute whale aggregates equal the sum of the stored trades."""
    t, b = two_days.frames["trades"], two_days.frames["bars"]
    notional = t["price"] * t["quantity"]
    whale = notional >= 100_000.0
    assert whale.sum() > 1000
    btc = _symbol(b, 0)
    minute = (t["ts"] - btc["ts"][0]) // 60_000
    btc_whale_buys = whale & (t["symbol"] == 0) & (t["side"] == 1)
    by_minute = np.bincount(minute[btc_whale_buys], weights=notional[btc_whale_buys], minlength=btc["ts"].size)
    assert np.allclose(by_minute, btc["whale_buy_usd"], rtol=1e-9, atol=1e-3)
    assert np.array_equal(np.bincount(minute[btc_whale_buys], minlength=btc["ts"].size), btc["whale_buy_count"])


def test_trades_lie_inside_their_bar(two_days: SimDataset) -> None:
    t, b = two_days.frames["trades"], two_days.frames["bars"]
    for code in range(4):
        bars, trades = _symbol(b, code), _symbol(t, code)
        idx = (trades["ts"] - bars["ts"][0]) // 60_000
        assert np.all(trades["price"] <= bars["high"][idx] * (1 + 1e-12))
        assert np.all(trades["price"] >= bars["low"][idx] * (1 - 1e-12))


def test_whale_flow_leads_price() -> None:
    """D-SIM-1: whale net flow correlates positively with the next minutes' returns (it carries information)."""
    dataset = generate(SimParams(seed=21), 4)
    b = dataset.frames["bars"]
    correlations = []
    for code in range(4):
        s = _symbol(b, code)
        net = s["whale_buy_usd"] - s["whale_sell_usd"]
        r = np.log(s["close"] / s["open"])
        following = r[1:-2] + r[2:-1] + r[3:]  # r[t+1] + r[t+2] + r[t+3]
        correlations.append(float(np.corrcoef(net[:-3], following)[0, 1]))
    assert min(correlations) > 0.03
    assert float(np.mean(correlations)) > 0.05


def test_book_walls_over_25m_exist_on_btc() -> None:
    """A-OB-1: some BTC walls exceed $25M, and the snapshot's book shows them on their side of mid."""
    dataset = generate(SimParams(seed=7), 5)
    walls = dataset.frames["book_walls"]
    btc_walls = walls["notional_usd"][walls["symbol"] == 0]
    assert np.any(btc_walls > 25e6)
    found = 0
    for tick in SimFeed(dataset).ticks():
        book = tick[0].book
        assert book is not None
        mid = book.value.mid
        assert mid is not None
        assert all(a.price > b.price for a, b in zip(book.value.asks, book.value.bids, strict=False))
        found += any(level.notional > 25e6 for level in book.value.asks + book.value.bids)
        if found > 10:
            break
    assert found > 10


def test_funding_diverges_between_venues_at_times(five_days: SimDataset) -> None:
    """R-T-2: the Binance − OKX spread exceeds 0.25 bps at times, and not always."""
    f = five_days.frames["funding"]
    spread = np.abs(f["binanceusdm"] - f["okx"])
    share = float((spread > 0.25e-4).mean())
    assert 0.05 < share < 0.95
    assert np.all(np.abs(f["binanceusdm"]) <= 0.003)


def test_funding_feed_stalls_sometimes(five_days: SimDataset) -> None:
    """R-STALE-1 has something to see: during an outage funding's as_of falls behind the tick."""
    f = five_days.frames["funding"]
    lag_minutes = (f["ts"] - f["as_of"]) / 60_000
    assert lag_minutes.min() == 0
    assert lag_minutes.max() >= 3
    assert float((lag_minutes > 0).mean()) < 0.1


def test_fee_spikes_decay(five_days: SimDataset) -> None:
    """D-SOL-1, S-SOL-FADE: p50 spikes above 3× its baseline and falls ≥ 40% within 2 minutes."""
    p50 = five_days.frames["priority_fees"]["p50_micro_lamports"]
    baseline = np.median(p50)
    spikes = np.flatnonzero((p50[:-2] > 3 * baseline) & (p50[:-2] >= np.maximum(p50[1:-1], 0)))
    assert spikes.size > 0
    assert any(p50[i + 2] <= 0.6 * p50[i] for i in spikes)


def test_health_factor_drifts_and_stays_positive(five_days: SimDataset) -> None:
    """D-AAVE-1: a health factor around its mean, never below 1."""
    hf = five_days.frames["health_factor"]["health_factor"]
    assert np.all(hf >= 1.0)
    assert 1.8 < float(np.median(hf)) < 3.5


def test_fear_greed_is_daily_and_bounded(five_days: SimDataset) -> None:
    """A-FG-1: one integer value per day in 0-100."""
    fg = five_days.frames["fear_greed"]
    assert fg["ts"].size == 5
    assert np.all((fg["value"] >= 0) & (fg["value"] <= 100))
    assert np.all(fg["value"] == np.round(fg["value"]))


def test_open_interest_moves(five_days: SimDataset) -> None:
    """A-OI-1: the 5-minute OI delta is sometimes positive, sometimes negative."""
    oi = _symbol(five_days.frames["open_interest"], 0)["open_interest_usd"]
    delta = oi[5:] - oi[:-5]
    assert (delta > 0).mean() > 0.1
    assert (delta < 0).mean() > 0.1


@pytest.fixture(scope="module")
def snapshot(two_days: SimDataset) -> MarketSnapshot:
    for i, tick in enumerate(SimFeed(two_days).ticks()):
        if i == 700:
            return tick[2]  # SOL, mid-morning of day one
    raise AssertionError("feed ended early")


def test_snapshot_carries_every_data_kind(snapshot: MarketSnapshot) -> None:
    """D-SIM-1: a SOL snapshot has every part, each with `as_of` ≤ ts and source "sim"."""
    observed = (
        snapshot.book, snapshot.open_interest_usd, snapshot.long_short, snapshot.liquidation_heatmap,
        snapshot.max_pain, snapshot.fear_greed, snapshot.funding, snapshot.priority_fees, snapshot.health_factor,
    )  # fmt: skip
    for part in observed:
        assert part is not None
        assert part.source == "sim"
        assert part.as_of <= snapshot.ts
    assert snapshot.unavailable == ()
    assert snapshot.trades
    assert {t.side for t in snapshot.trades} <= {OrderSide.BUY, OrderSide.SELL}
    assert snapshot.funding is not None
    assert [venue for venue, _ in snapshot.funding.value] == ["binanceusdm", "okx"]


def test_refresh_cadences_show_in_as_of(snapshot: MarketSnapshot) -> None:
    """Heatmap and max pain refresh every 5 minutes, fear & greed daily, the book and OI every tick."""
    assert snapshot.liquidation_heatmap is not None
    assert snapshot.max_pain is not None
    assert snapshot.fear_greed is not None
    assert snapshot.book is not None
    assert 0 <= snapshot.liquidation_heatmap.age_s(snapshot.ts) < 300
    assert snapshot.liquidation_heatmap.as_of == snapshot.max_pain.as_of
    assert (snapshot.fear_greed.as_of.hour, snapshot.fear_greed.as_of.minute) == (0, 0)
    assert snapshot.book.as_of == snapshot.ts
