"""A folder's aggTrades files read one at a time (`read_bar_trades`) give what joining them into one series and
reducing it once gives: put end to end when each file goes on from the last, joined by trade id otherwise."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigalpha.backtest.history_trades import agg_trades_files, named_period, read_bar_trades
from bigalpha.backtest.market import BarTrades, MarketError, bar_trades, load_market
from bigalpha.data.history import Candles, DataFormatError, join_pieces, load, load_candles, load_trades
from bigalpha.domain import Symbol

MINUTE_MS = 60_000
T0_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
AGG_HEADER = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
Row = tuple[int, float, float, int, bool]


def _klines(folder: Path, bars: int, symbol: str = "ETH") -> Candles:
    """One-minute Binance klines, a bar missing in every 9 (trades stamped there belong to no bar)."""
    lines = [
        f"{T0_MS + k * MINUTE_MS},100,101,99,100.5,3,{T0_MS + (k + 1) * MINUTE_MS - 1},300,5,1.5,150,0"
        for k in range(bars)
        if k % 9 != 4
    ]
    path = folder / f"{symbol}USDT-1m-2025-01-01.csv"
    path.write_text("\n".join(lines) + "\n")
    return load_candles(path)


def _rows(count: int, minutes: int, seed: int) -> list[Row]:
    """Trades with rising ids over `minutes` minutes, several sharing a millisecond."""
    rng = np.random.default_rng(seed)
    ms = np.sort(rng.integers(-MINUTE_MS, (minutes + 1) * MINUTE_MS, count)) + T0_MS
    price = np.round(100 + rng.normal(0, 1, count), 2)
    quantity = np.round(rng.exponential(50.0, count), 3) + 0.001
    maker = rng.random(count) < 0.5
    ids = (np.arange(count) + 1000).tolist()
    return list(zip(ids, price.tolist(), quantity.tolist(), ms.tolist(), maker.tolist(), strict=True))


def _write(folder: Path, name: str, rows: list[Row]) -> Path:
    lines = [AGG_HEADER] + [f"{i},{p!r},{q!r},{i},{i},{t},{'true' if m else 'false'}" for i, p, q, t, m in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _same(got: BarTrades, expected: BarTrades) -> None:
    assert got.first.tolist() == expected.first.tolist()
    assert got.notional.tolist() == expected.notional.tolist()
    assert got.is_buy.tolist() == expected.is_buy.tolist()
    # A bar two files cut adds their two sums, where one series adds its trades one after the other: a rounding apart.
    np.testing.assert_allclose(got.taker_buy, expected.taker_buy, rtol=1e-13, atol=0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 599), max_size=4, unique=True), seed=st.integers(0, 2**16))
def test_files_read_one_at_a_time_equal_the_joined_series_reduced_once(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int], seed: int
) -> None:
    """The series cut into files anywhere (mid-bar, between trades of one millisecond, in a bar the klines miss)."""
    folder = tmp_path_factory.mktemp("cuts")
    candles = _klines(folder, 60)
    rows = _rows(600, 60, seed)
    edges = [0, *sorted(cuts), len(rows)]
    files = []
    for k, (a, b) in enumerate(itertools.pairwise(edges)):  # undated names: cuts are anywhere, not at midnight
        (folder / f"part{k}").mkdir()
        files.append(_write(folder / f"part{k}", "ETHUSDT-aggTrades.csv", rows[a:b]))
    (folder / "whole").mkdir()
    whole = load_trades(_write(folder / "whole", "ETHUSDT-aggTrades.csv", rows))
    got = read_bar_trades(files[::-1], {candles.symbol: candles}, "test")
    _same(got[Symbol("ETH")], bar_trades(whole, candles.ts, candles.timeframe_ns))


def test_overlapping_files_are_joined_by_trade_id(tmp_path: Path) -> None:
    """A file repeating the last trades of the one before (a download overlapping another): each trade once."""
    candles = _klines(tmp_path, 30)
    rows = _rows(300, 30, 1)
    for part in ("a", "b", "whole"):
        (tmp_path / part).mkdir()
    files = [
        _write(tmp_path / "a", "ETHUSDT-aggTrades.csv", rows[:200]),
        _write(tmp_path / "b", "ETHUSDT-aggTrades.csv", rows[150:]),
    ]
    (joined,) = join_pieces([load(f) for f in files])
    assert len(joined) == 300
    got = read_bar_trades(files, {candles.symbol: candles}, "test")
    whole = load_trades(_write(tmp_path / "whole", "ETHUSDT-aggTrades.csv", rows))
    _same(got[Symbol("ETH")], bar_trades(whole, candles.ts, candles.timeframe_ns))


def test_two_exchanges_trade_files_of_a_symbol_are_refused(tmp_path: Path) -> None:
    """Trade ids count per exchange: files of two exchanges are never put end to end, even when their ids follow."""
    candles = _klines(tmp_path, 10)
    rows = _rows(40, 10, 4)
    files = [_write(tmp_path, "ETHUSDT-aggTrades.csv", rows[:20])]
    (tmp_path / "okx").mkdir()
    files.append(_write(tmp_path / "okx", "ETHUSDT-aggTrades.csv", rows[20:]))
    assert [load_trades(f).exchange for f in files] == ["binance", "okx"]
    with pytest.raises(MarketError, match="two trade series of ETH"):
        read_bar_trades(files, {candles.symbol: candles}, "folder")


def test_trades_of_a_symbol_without_candles_are_left_out(tmp_path: Path) -> None:
    candles = _klines(tmp_path, 10)
    xrp = _write(tmp_path, "XRPUSDT-aggTrades-2025-01-01.csv", _rows(20, 10, 2))
    assert read_bar_trades([xrp], {candles.symbol: candles}, "test") == {}


def test_trade_files_without_ids_are_refused_naming_two_of_them(tmp_path: Path) -> None:
    candles = _klines(tmp_path, 10)
    loaded = []
    for day in (1, 2):
        path = tmp_path / f"ETH-trades-{day}.csv"
        path.write_text(
            f"timestamp,symbol,price,quantity,is_buyer_maker\n2025-01-01T00:0{day}:00Z,ETH,100.0,1.0,true\n"
        )
        loaded.append(load_trades(path))
    with pytest.raises(MarketError, match=r"folder: two trade series of ETH \(ETH-trades-1.csv; ETH-trades-2.csv\)"):
        read_bar_trades([], {candles.symbol: candles}, "folder", loaded)


def test_agg_trades_files_are_told_by_their_first_line(tmp_path: Path) -> None:
    _klines(tmp_path, 3)
    agg = _write(tmp_path, "ETHUSDT-aggTrades-2025-01-01.csv", _rows(5, 3, 3))
    headerless = tmp_path / "ETHUSDT-aggTrades-2025-01-02.csv"
    headerless.write_text("".join(agg.read_text().splitlines(keepends=True)[1:]))
    (tmp_path / "notes.txt").write_text("not data\n")
    assert agg_trades_files(tmp_path) == (agg, headerless)


def test_loading_a_folder_tells_of_each_trade_file_read(tmp_path: Path) -> None:
    """The CLI's progress bar while the trade files, the longest part of loading, are read."""
    _klines(tmp_path, 20)
    rows = [row for row in _rows(60, 20, 5) if row[3] >= T0_MS]  # the day the names give
    _write(tmp_path, "ETHUSDT-aggTrades-2025-01-01.csv", rows[:30])
    _write(tmp_path, "ETHUSDT-aggTrades-2025-01.csv", rows[30:])
    calls: list[tuple[int, int]] = []
    market = load_market(tmp_path, 5, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    assert market.lanes[Symbol("ETH")].arrays(1.0).flow.has_trade_sizes.any()


def test_trade_files_named_for_days_no_bar_reaches_are_not_read(tmp_path: Path) -> None:
    """Binance names each aggTrades file by its UTC day (or month): a file whose day none of its symbol's bars reaches
    is left unread (a corrupt one here, which would fail to load), and so is one of a symbol without candles."""
    candles = _klines(tmp_path, 30)  # 2025-01-01 00:00 to 00:30
    rows = [row for row in _rows(90, 30, 6) if row[3] >= T0_MS]
    needed = _write(tmp_path, "ETHUSDT-aggTrades-2025-01-01.csv", rows)
    corrupt = AGG_HEADER + "\n1,not a price,1.0,1,1,1735776000000,true\n"
    for name in ("ETHUSDT-aggTrades-2024-12-31.csv", "ETHUSDT-aggTrades-2025-01-02.csv", "ETHUSDT-aggTrades-2024-12.csv",
                 "XRPUSDT-aggTrades-2025-01-01.csv"):  # fmt: skip
        (tmp_path / name).write_text(corrupt)
    files = agg_trades_files(tmp_path)
    assert len(files) == 5
    calls: list[tuple[int, int]] = []
    got = read_bar_trades(files, {candles.symbol: candles}, "test", progress=lambda d, t: calls.append((d, t)))
    _same(got[Symbol("ETH")], bar_trades(load_trades(needed), candles.ts, candles.timeframe_ns))
    assert calls == [(k, 5) for k in range(1, 6)]  # every file counted, read or not
    with pytest.raises(DataFormatError):
        load_trades(tmp_path / "ETHUSDT-aggTrades-2025-01-02.csv")  # what reading it would have met
    assert named_period(tmp_path / "ETHUSDT-aggTrades-2024-12.csv") == (
        T0_MS * 1_000_000 - 31 * 86_400 * 10**9,
        T0_MS * 1_000_000,
        "month",
    )
    assert named_period(tmp_path / "ETHUSDT-aggTrades-2025-13-01.csv") is None
    assert named_period(tmp_path / "ETHUSDT-aggTrades.csv") is None


def test_a_trade_file_holding_trades_outside_its_named_day_is_refused(tmp_path: Path) -> None:
    """Files are left unread on what their names say, so a name that is not true is refused."""
    candles = _klines(tmp_path, 30)
    _write(tmp_path, "ETHUSDT-aggTrades-2025-01-01.csv", _rows(40, 30, 7))  # its first trades are of 2024-12-31
    with pytest.raises(
        MarketError,
        match=r"test: ETHUSDT-aggTrades-2025-01-01.csv holds trades from 2024-12-31T23:5\d:\d\d.* outside the day its "
        r"name gives \(2025-01-01T00:00:00\+00:00 to 2025-01-02T00:00:00\+00:00\): name each file by the UTC day",
    ):
        read_bar_trades(agg_trades_files(tmp_path), {candles.symbol: candles}, "test")
