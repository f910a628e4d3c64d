"""`Window`: the bars opening in [start, end) of a history (`bigalpha backtest --start/--end`), and what
`load_market` refuses when asked for a part of a history it does not hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.backtest.market import MarketError, load_market
from bigalpha.backtest.window import Window
from bigalpha.data.history import Candles, QualityReport, SourceFormat
from bigalpha.domain import Symbol

_T0 = datetime(2025, 1, 1, tzinfo=UTC)
_MINUTE_NS = 60_000_000_000
_T0_NS = int(_T0.timestamp()) * 1_000_000_000


def _candles(n: int, *, taker: bool = True) -> Candles:
    values = np.arange(n, dtype=np.float64) + 100.0
    return Candles(
        symbol=Symbol("ETH"),
        ts=_T0_NS + np.arange(n, dtype=np.int64) * _MINUTE_NS,
        source="ETHUSDT-1m.csv",
        format=SourceFormat.BINANCE_KLINES_CSV,
        quality=QualityReport(rows_read=n, rows=n, time_encoding="epoch_ms"),
        exchange="binance",
        timeframe="1m",
        open=values,
        high=values + 1,
        low=values - 1,
        close=values + 0.5,
        volume=values * 2,
        taker_buy_volume=values if taker else None,
    )


_MINUTES = st.integers(-5, 70)


@given(start=st.none() | _MINUTES, end=st.none() | _MINUTES, taker=st.booleans())
def test_a_window_keeps_the_bars_opening_at_or_after_start_and_before_end(
    start: int | None, end: int | None, taker: bool
) -> None:
    if start is not None and end is not None and start >= end:
        with pytest.raises(ValueError, match="is not before --end"):
            Window(_T0 + timedelta(minutes=start), _T0 + timedelta(minutes=end))
        return
    series = _candles(60, taker=taker)
    window = Window(
        None if start is None else _T0 + timedelta(minutes=start), None if end is None else _T0 + timedelta(minutes=end)
    )
    cut = window.candles(series)
    kept = [k for k in range(60) if (start is None or k >= start) and (end is None or k < end)]
    if not kept:
        assert cut is None
        return
    assert cut is not None
    np.testing.assert_array_equal(cut.ts, series.ts[kept])
    for name in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(series, name)[kept])
    assert (cut.taker_buy_volume is None) == (not taker)
    if taker:
        np.testing.assert_array_equal(cut.taker_buy_volume, series.taker_buy_volume[kept])
    assert (cut.symbol, cut.timeframe, cut.source) == (series.symbol, series.timeframe, series.source)
    assert not cut.close.flags.writeable  # a cut history is as read-only as the whole


def test_a_whole_window_leaves_the_series_as_it_is() -> None:
    series = _candles(10)
    assert Window().whole
    assert Window().candles(series) is series
    assert Window(_T0 - timedelta(days=1), _T0 + timedelta(days=1)).candles(series) is series


def test_a_window_is_recorded_in_utc_and_needs_aware_moments() -> None:
    paris = timezone(timedelta(hours=1))
    window = Window(datetime(2025, 1, 1, 1, tzinfo=paris), None)
    assert window.to_dict() == {"start": "2025-01-01T00:00:00+00:00", "end": None}
    assert window.describe() == "[2025-01-01T00:00:00+00:00, …)"
    with pytest.raises(ValueError, match="carry their time zone"):
        Window(datetime(2025, 1, 1), None)  # noqa: DTZ001 - the naive moment refused


def _klines(folder: Path, name: str, minutes: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    first_ms = _T0_NS // 1_000_000
    rows = [
        f"{first_ms + m * 60_000},100,101,99,100.5,3,{first_ms + m * 60_000 + 59_999},300,1,1,100,0"
        for m in range(minutes)
    ]
    (folder / f"{name}USDT-1m-2025-01-01.csv").write_text("\n".join(rows) + "\n")


def test_a_symbol_without_a_bar_in_the_window_is_left_out(tmp_path: Path) -> None:
    _klines(tmp_path, "ETH", 120)
    _klines(tmp_path, "XRP", 30)
    market = load_market(tmp_path, 5, window=Window(_T0 + timedelta(minutes=30), _T0 + timedelta(minutes=90)))
    assert market.symbols == (Symbol("ETH"),)
    assert market.bars == 60


def test_a_window_without_any_bar_is_refused_with_the_span_the_files_hold(tmp_path: Path) -> None:
    _klines(tmp_path, "ETH", 120)
    with pytest.raises(MarketError, match=r"has no bar opening in \[2025-01-02T00:00:00\+00:00, …\) \(ETH 1m "
                       r"2025-01-01T00:00:00\+00:00 → 2025-01-01T01:59:00\+00:00\)"):  # fmt: skip
        load_market(tmp_path, 5, window=Window(_T0 + timedelta(days=1)))
    single = tmp_path / "ETHUSDT-1m-2025-01-01.csv"
    with pytest.raises(MarketError, match="has no bar opening in"):
        load_market(single, 5, window=Window(None, _T0))
    assert load_market(single, 5, "1m", window=Window(None, _T0 + timedelta(minutes=1))).bars == 1
    with pytest.raises(MarketError, match=r"--timeframe 5m: .* holds 1m candles only"):
        load_market(single, 5, "5m")


def test_a_simulator_dataset_is_backtested_whole(tmp_path: Path) -> None:
    from bigalpha.data.sim import SimParams, generate
    from bigalpha.data.sim.dataset import write_dataset
    from bigalpha.data.sim.params import default_symbols

    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    write_dataset(generate(SimParams(seed=1, start=_T0, symbols=symbols), 1), tmp_path / "ds")
    with pytest.raises(MarketError, match="is a simulator dataset, backtested whole"):
        load_market(tmp_path / "ds", 5, window=Window(_T0 + timedelta(hours=1)))
    with pytest.raises(MarketError, match="is a simulator dataset"):
        load_market(tmp_path / "ds", 5, "1m")
    with pytest.raises(MarketError, match="is a simulator dataset"):
        load_market(tmp_path / "ds", 5, symbols=("ETH",))


def test_symbols_choose_among_a_historys_and_other_symbols_files_are_not_read(tmp_path: Path) -> None:
    """`--symbols` as the loaders name symbols; files whose names name another symbol (its trades, say) are never
    read, and a symbol the history lacks is refused with those it has."""
    _klines(tmp_path, "ETH", 30)
    _klines(tmp_path, "XRP", 20)
    (tmp_path / "ETHUSDT-aggTrades-2025-01-01.csv").write_text(
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
        f"1,100.0,1.0,1,1,{_T0_NS // 1_000_000 + 5},false\n"
    )
    read: list[tuple[int, int]] = []
    market = load_market(tmp_path, 5, symbols=("xrpusdt",), progress=lambda done, total: read.append((done, total)))
    assert market.symbols == (Symbol("XRP"),)
    assert market.bars == 20
    assert read == []  # ETH's trade file was not read
    both = load_market(tmp_path, 5, symbols=("XRP/USDT:USDT", "eth"), progress=lambda d, t: read.append((d, t)))
    assert both.symbols == (Symbol("ETH"), Symbol("XRP"))  # the history's order
    assert read == [(1, 1)]
    with pytest.raises(MarketError, match=r"--symbols: .* holds no 1m candles of SOL \(its symbols: ETH, XRP\)"):
        load_market(tmp_path, 5, symbols=("ETH", "SOL"))
    (tmp_path / "SOLUSDT-metrics-2025-01-01.csv").write_text(
        "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
        "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
        "2025-01-01 00:05:00,SOLUSDT,10.0,2000.0,1.0,1.0,1.5,1.0\n"
    )
    with pytest.raises(MarketError, match=r"holds no candles of SOL \(its symbols: ETH, XRP\)"):
        load_market(tmp_path, 5, symbols=("SOL",))
    with pytest.raises(MarketError, match=r"holds no 1m candles of XRP \(its symbols: ETH\)"):
        load_market(tmp_path / "ETHUSDT-1m-2025-01-01.csv", 5, symbols=("XRP",))
