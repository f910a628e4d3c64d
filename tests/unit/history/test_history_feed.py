"""`HistoryFeed`: loaded history replayed as the engine's `Feed` (D-REC-1), lazily, without look-ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from history_samples import (
    HOUR_MS,
    T0_MS,
    ohlcv,
    write_aggtrades,
    write_freqtrade_feather,
    write_funding_feather,
    write_klines,
)

from bigalpha.config.data import DataKind
from bigalpha.data.history import (
    NOT_IN_HISTORY,
    Candles,
    HistoryFeed,
    load,
    load_candles,
    load_dir,
    load_funding,
    load_trades,
)
from bigalpha.data.ports import Feed, tick_time
from bigalpha.domain import OrderSide

T0 = datetime(2023, 1, 1, tzinfo=UTC)


def _candles(tmp_path: Path, symbol: str, df, tf: str = "1h") -> Candles:
    return load_candles(write_freqtrade_feather(tmp_path / f"{symbol}_USDT_USDT-{tf}-futures.feather", df))


def test_one_symbol_replays_every_bar_in_order_with_snapshot_time_at_bar_close(tmp_path: Path) -> None:
    """D-REC-1: the replay yields exactly the file's bars; a snapshot at T holds the bar that closed at T."""
    df = ohlcv(50)
    feed: Feed = HistoryFeed([_candles(tmp_path, "BTC", df)])
    ticks = list(feed.ticks())
    assert len(ticks) == 50
    assert all(len(tick) == 1 for tick in ticks)
    times = [tick_time(t) for t in ticks]
    assert all(a < b for a, b in pairwise(times))
    first = ticks[0][0]
    assert first.ts == T0 + timedelta(hours=1)
    assert first.bar.ts == T0
    assert [t[0].bar.close for t in ticks] == df["close"].tolist()
    assert first.symbol == "BTC"


def test_misaligned_symbols_appear_only_where_they_have_a_bar(tmp_path: Path) -> None:
    btc = ohlcv(10)
    eth = ohlcv(10, seed=2, start_ms=T0_MS + 3 * HOUR_MS).drop(index=[4]).reset_index(drop=True)
    feed = HistoryFeed([_candles(tmp_path, "BTC", btc), _candles(tmp_path, "ETH", eth)])
    assert feed.symbols == ("BTC", "ETH")
    ticks = list(feed.ticks())
    assert len(ticks) == len(feed) == 13
    by_time = {tick_time(t): tuple(s.symbol for s in t) for t in ticks}
    assert by_time[T0 + timedelta(hours=1)] == ("BTC",)
    assert by_time[T0 + timedelta(hours=4)] == ("BTC", "ETH")
    assert by_time[T0 + timedelta(hours=8)] == ("BTC",)  # ETH's missing bar is not forward-filled
    assert by_time[T0 + timedelta(hours=13)] == ("ETH",)
    for tick in ticks:
        assert len({s.symbol for s in tick}) == len(tick)
        assert all(s.ts == tick_time(tick) for s in tick)


def test_mixed_timeframes_share_the_union_of_close_times(tmp_path: Path) -> None:
    fast = _candles(tmp_path, "BTC", ohlcv(8, step_ms=15 * 60_000), tf="15m")
    slow = _candles(tmp_path, "ETH", ohlcv(2, seed=3))
    ticks = list(HistoryFeed([fast, slow]).ticks())
    assert len(ticks) == 8
    assert [len(t) for t in ticks] == [1, 1, 1, 2, 1, 1, 1, 2]


def test_funding_is_attached_as_observed_with_its_funding_time(tmp_path: Path) -> None:
    candles = _candles(tmp_path, "BTC", ohlcv(20, start_ms=T0_MS - 2 * HOUR_MS))
    path = write_funding_feather(tmp_path / "BTC_USDT_USDT-8h-funding_rate.feather", [1e-4, 2e-4, 3e-4], jitter_ms=8)
    funding = load_funding(path, exchange="binance")
    ticks = list(HistoryFeed([candles], funding=[funding]).ticks())
    before = ticks[0][0]  # closes 23:00, before the first funding time
    assert before.funding is None
    assert (DataKind.FUNDING, "before the first funding time in the history file") in before.unavailable
    at_first = ticks[1][0]
    assert at_first.ts == T0
    assert at_first.funding is not None
    assert at_first.funding.value == (("binance", 1e-4),)
    assert at_first.funding.as_of == T0
    assert at_first.funding.source == path.name
    at_second = next(t[0] for t in ticks if t[0].ts == T0 + timedelta(hours=9))
    assert at_second.funding is not None
    assert at_second.funding.value == (("binance", 2e-4),)
    assert at_second.funding.as_of == T0 + timedelta(hours=8, milliseconds=8)
    assert all(DataKind.FUNDING not in dict(s.unavailable) for t in ticks[1:] for s in t)


def test_two_exchanges_funding_uses_the_older_time(tmp_path: Path) -> None:
    candles = _candles(tmp_path, "BTC", ohlcv(12))
    binance = load_funding(
        write_funding_feather(tmp_path / "a-8h-funding_rate.feather", [1e-4, 2e-4]), symbol="BTC", exchange="binance"
    )
    okx = load_funding(
        write_funding_feather(tmp_path / "b-8h-funding_rate.feather", [5e-5], start_ms=T0_MS + 4 * HOUR_MS),
        symbol="BTC",
        exchange="okx",
    )
    ticks = list(HistoryFeed([candles], funding=[binance, okx]).ticks())
    snap = next(t[0] for t in ticks if t[0].ts == T0 + timedelta(hours=9))
    assert snap.funding is not None
    assert dict(snap.funding.value) == {"binance": 2e-4, "okx": 5e-5}
    assert snap.funding.as_of == T0 + timedelta(hours=4)


def test_fields_absent_from_history_are_none_and_named_unavailable(tmp_path: Path) -> None:
    """D-FAILOPEN: guards see `None` and the reason, never a made-up value."""
    snap = next(iter(HistoryFeed([_candles(tmp_path, "BTC", ohlcv(3))]).ticks()))[0]
    assert snap.liquidation_heatmap is None
    assert snap.book is None
    assert snap.open_interest_usd is None
    assert snap.funding is None
    reasons = dict(snap.unavailable)
    assert reasons[DataKind.LIQUIDATION_HEATMAP] == NOT_IN_HISTORY
    assert reasons[DataKind.TAKER_VOLUME] == NOT_IN_HISTORY  # freqtrade files have no taker flow
    assert reasons[DataKind.FUNDING] == "no funding history loaded"
    assert np.isnan(snap.bar.taker_buy_volume)


def test_taker_flow_and_trades_from_binance_files(tmp_path: Path) -> None:
    df = ohlcv(3)
    candles = load_candles(write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", df))
    rows = [
        (1, 10.0, 1.0, T0_MS + 5, True),
        (2, 10.1, 2.0, T0_MS + HOUR_MS - 1, False),
        (3, 10.2, 3.0, T0_MS + HOUR_MS, False),
    ]
    trades = load_trades(write_aggtrades(tmp_path / "BTCUSDT-aggTrades-2023-01-01.csv", rows))
    ticks = list(HistoryFeed([candles], trades=[trades]).ticks())
    first = ticks[0][0]
    assert first.bar.taker_buy_volume == df["taker_buy_volume"][0]
    assert DataKind.TAKER_VOLUME not in dict(first.unavailable)
    assert [(t.quantity, t.side) for t in first.trades] == [(1.0, OrderSide.SELL), (2.0, OrderSide.BUY)]
    assert [t.quantity for t in ticks[1][0].trades] == [3.0]
    assert ticks[2][0].trades == ()


def test_trades_read_from_columns_elsewhere_are_not_missing_and_carry_no_prints(tmp_path: Path) -> None:
    """A backtest reads a symbol's trades from its own columns: the feed leaves the prints out of its snapshots and
    does not report the trades missing; a symbol it is not told of still is."""
    btc = load_candles(write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(3)))
    eth = load_candles(write_klines(tmp_path / "ETHUSDT-1h-2023-01-01.csv", ohlcv(3)))
    first = next(HistoryFeed([btc, eth], trades_in_columns=[btc.symbol]).ticks())
    by_symbol = {snapshot.symbol: snapshot for snapshot in first}
    assert DataKind.TRADES not in dict(by_symbol[btc.symbol].unavailable)
    assert by_symbol[btc.symbol].trades == ()
    assert dict(by_symbol[eth.symbol].unavailable)[DataKind.TRADES] == NOT_IN_HISTORY
    with pytest.raises(ValueError, match=r"trades_in_columns names \['SOL'\], which have no candles"):
        HistoryFeed([btc], trades_in_columns=["SOL"])


def test_start_end_and_close(tmp_path: Path) -> None:
    candles = _candles(tmp_path, "BTC", ohlcv(10_000))
    feed = HistoryFeed([candles], start=T0 + timedelta(hours=5), end=T0 + timedelta(hours=9))
    assert [tick_time(t) for t in feed.ticks()] == [T0 + timedelta(hours=h) for h in range(5, 10)]
    long_feed = HistoryFeed([candles])
    iterator = long_feed.ticks()
    next(iterator)
    long_feed.close()
    long_feed.close()
    assert list(iterator) == []


def test_chunk_boundaries_do_not_drop_or_repeat_bars(tmp_path: Path) -> None:
    df = ohlcv(9_000)
    closes = [t[0].bar.close for t in HistoryFeed([_candles(tmp_path, "BTC", df)]).ticks()]
    assert closes == df["close"].tolist()


def test_bad_combinations_are_refused(tmp_path: Path) -> None:
    btc = _candles(tmp_path, "BTC", ohlcv(3))
    with pytest.raises(ValueError, match="two candle series for BTC"):
        HistoryFeed([btc, btc])
    with pytest.raises(ValueError, match="at least one symbol"):
        HistoryFeed([])
    eth_funding = load_funding(write_funding_feather(tmp_path / "ETH_USDT_USDT-8h-funding_rate.feather", [1e-4]))
    with pytest.raises(ValueError, match="is for ETH, which has no candles"):
        HistoryFeed([btc], funding=[eth_funding])


def test_feed_from_a_freqtrade_folder(tmp_path: Path) -> None:
    write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(24))
    write_freqtrade_feather(tmp_path / "ETH_USDT_USDT-1h-futures.feather", ohlcv(24, seed=5))
    write_freqtrade_feather(tmp_path / "ETH_USDT_USDT-4h-futures.feather", ohlcv(6, step_ms=4 * HOUR_MS))
    write_funding_feather(tmp_path / "BTC_USDT_USDT-8h-funding_rate.feather", [1e-4, 2e-4, 3e-4])
    (tmp_path / "README.md").write_text("notes")
    folder = load_dir(tmp_path)
    assert folder.timeframes() == ("1h", "4h")
    assert folder.symbols() == ("BTC", "ETH")
    assert [p.name for p in folder.skipped] == ["README.md"]
    feed = HistoryFeed(folder.candles("1h"), funding=folder.funding())
    ticks = list(feed.ticks())
    assert len(ticks) == 24
    assert all(len(t) == 2 for t in ticks)
    assert ticks[-1][0].funding is not None
    assert ticks[-1][1].funding is None
    assert isinstance(load(tmp_path / "ETH_USDT_USDT-4h-futures.feather"), Candles)


def test_an_empty_series_beside_a_full_one_is_simply_absent(tmp_path: Path) -> None:
    btc = _candles(tmp_path, "BTC", ohlcv(4))
    path = tmp_path / "ETH_USDT_USDT-1h-futures.feather"
    write_freqtrade_feather(path, ohlcv(1).iloc[:0])
    eth = load_candles(path)
    assert len(eth) == 0
    ticks = list(HistoryFeed([btc, eth]).ticks())
    assert [tuple(s.symbol for s in t) for t in ticks] == [("BTC",)] * 4
