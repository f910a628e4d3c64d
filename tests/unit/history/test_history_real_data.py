"""Loaders against real exchange output in ../shared/fixtures/market (skipped when absent).

Row counts and ranges are those the fixtures' README states.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bigalpha.data.history import (
    AggTrades,
    Candles,
    FundingRates,
    HistoryFeed,
    IssueCode,
    MarkPrices,
    SourceFormat,
    load,
    load_dir,
)

pytestmark = pytest.mark.shared


def test_btc_15m_feather_matches_the_readme(market_fixtures: Path) -> None:
    candles = load(market_fixtures / "binance_perp_15m_2023_2025" / "BTC_USDT_USDT-15m-futures.feather")
    assert isinstance(candles, Candles)
    assert candles.format is SourceFormat.FREQTRADE_FEATHER
    assert (candles.symbol, candles.timeframe, len(candles)) == ("BTC", "15m", 102_784)
    assert candles.start == datetime(2023, 1, 1, tzinfo=UTC)
    assert candles.end is not None
    assert candles.end.date() == date(2025, 12, 6)
    assert candles.quality.clean
    assert candles.quality.gap_count == 0


def test_btc_1h_parquet_with_datetime_index_matches_the_readme(market_fixtures: Path) -> None:
    candles = load(market_fixtures / "binance_perp_1h_2023_2026" / "BTCUSDT_1h.parquet")
    assert isinstance(candles, Candles)
    assert candles.format is SourceFormat.PLAIN_PARQUET
    assert (candles.symbol, candles.timeframe, len(candles)) == ("BTC", "1h", 28_310)
    assert candles.start == datetime(2023, 1, 1, tzinfo=UTC)
    assert candles.end == datetime(2026, 3, 25, 13, tzinfo=UTC)


def test_funding_and_mark_feathers_match_the_readme(market_fixtures: Path) -> None:
    folder = market_fixtures / "binance_perp_15m_2023_2025"
    funding = load(folder / "BTC_USDT_USDT-8h-funding_rate.feather")
    assert isinstance(funding, FundingRates)
    assert (funding.interval, len(funding)) == ("8h", 3_212)
    assert funding.start == datetime(2023, 1, 1, tzinfo=UTC)
    assert funding.quality.clean  # Binance stamps funding a few ms late; that is not a grid error
    assert -0.01 < float(funding.rate.min()) < float(funding.rate.max()) < 0.01
    mark = load(folder / "BTC_USDT_USDT-8h-mark.feather")
    assert isinstance(mark, MarkPrices)
    assert len(mark) == 3_212


def test_nautilus_trades_parquet_loads_as_trades(market_fixtures: Path) -> None:
    trades = load(market_fixtures / "orderbook_trades" / "binance" / "btcusdt-trades.parquet")
    assert isinstance(trades, AggTrades)
    assert (trades.symbol, len(trades)) == ("BTC", 2_001)
    assert trades.start is not None
    assert trades.start.date() == date(2021, 1, 8)


def test_local_time_funding_export_is_caught(market_fixtures: Path) -> None:
    """The Binance funding history in the multi-venue set is naive local time (UTC+3): 03:00, 11:00, 19:00."""
    path = (
        market_fixtures
        / "funding_multi_venue_2020_2023"
        / "BTC-USDT"
        / "BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"
    )
    funding = load(path)
    assert isinstance(funding, FundingRates)
    assert (funding.symbol, funding.exchange, len(funding)) == ("BTC", "binance", 4_383)
    assert funding.quality.count(IssueCode.NAIVE_TIMESTAMPS) == 4_383
    offset = funding.quality.issue(IssueCode.GRID_OFFSET)
    assert offset is not None
    assert "+3h off the 8h grid" in offset.message


def test_freqtrade_folder_replays_as_a_feed(market_fixtures: Path) -> None:
    folder = load_dir(market_fixtures / "binance_perp_15m_2023_2025")
    assert folder.symbols() == ("BTC", "ETH")
    assert folder.timeframes() == ("15m", "1h", "4h")
    assert not folder.failures
    feed = HistoryFeed(folder.candles("4h"), funding=folder.funding())
    ticks = list(feed.ticks())
    assert len(ticks) == 6_404
    assert all(len(t) == 2 for t in ticks)
    assert ticks[-1][0].funding is not None
