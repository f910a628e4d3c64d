"""A symbol's history in pieces (Binance's daily and monthly archives) joined into one series: rows in time order,
a row two files hold kept once or refused when they differ, the gaps between files reported."""

from __future__ import annotations

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

from bigalpha.data.history import (
    AggTrades,
    Candles,
    DataFormatError,
    FundingRates,
    IssueCode,
    join_pieces,
    load,
    load_dir,
)

DAY = 24  # hourly bars a day


def _days(folder: Path, frame_rows: list[tuple[int, int]], *, seed: int = 3) -> Path:
    """Binance daily kline files of one hourly series, each named by the day of its first row: (first row, end row)
    of the series per file, written in the order given."""
    folder.mkdir(exist_ok=True)
    frame = ohlcv(5 * DAY, seed=seed)
    for lo, hi in frame_rows:
        write_klines(folder / f"ETHUSDT-1h-2023-01-0{lo // DAY + 1}.csv", frame.iloc[lo:hi])
    return folder


def test_daily_files_join_into_the_series_one_file_would_hold(tmp_path: Path) -> None:
    pieces = _days(tmp_path / "days", [(2 * DAY, 3 * DAY), (0, DAY), (DAY, 2 * DAY)])  # listed out of order
    whole = load(write_klines(tmp_path / "ETHUSDT-1h-2023-01.csv", ohlcv(5 * DAY, seed=3).iloc[: 3 * DAY]))
    assert isinstance(whole, Candles)
    [joined] = load_dir(pieces).joined().candles()
    for name in ("ts", "open", "high", "low", "close", "volume", "taker_buy_volume"):
        assert np.array_equal(getattr(joined, name), getattr(whole, name)), name
    assert joined.source == "ETHUSDT-1h-2023-01-01.csv … ETHUSDT-1h-2023-01-03.csv (3 files)"
    assert joined.quality.rows == 3 * DAY
    assert joined.quality.clean
    assert "joined from 3 files" in joined.quality.notes[-1]
    assert not joined.ts.flags.writeable  # as read-only as a loaded series


def test_rows_two_files_hold_alike_are_kept_once(tmp_path: Path) -> None:
    pieces = _days(tmp_path / "days", [(0, DAY + 3), (DAY, 2 * DAY)])
    [joined] = load_dir(pieces).joined().candles()
    assert joined.quality.rows == 2 * DAY
    assert np.all(np.diff(joined.ts) == HOUR_MS * 1_000_000)
    assert joined.quality.count(IssueCode.EXACT_DUPLICATES_DROPPED) == 3


def test_rows_two_files_hold_differently_are_refused_naming_both(tmp_path: Path) -> None:
    folder = _days(tmp_path / "days", [(0, DAY + 1)])
    other = ohlcv(5 * DAY, seed=4)  # another market: its row at the first file's last time differs
    write_klines(folder / "ETHUSDT-1h-2023-01-02.csv", other.iloc[DAY : 2 * DAY])
    with pytest.raises(DataFormatError, match=r"ETHUSDT-1h-2023-01-01.csv and ETHUSDT-1h-2023-01-02.csv both hold"):
        load_dir(folder).joined()


def test_a_day_missing_between_files_is_a_gap_of_the_joined_series(tmp_path: Path) -> None:
    pieces = _days(tmp_path / "days", [(0, DAY), (2 * DAY, 3 * DAY)])
    [joined] = load_dir(pieces).joined().candles()
    assert (joined.quality.gap_count, joined.quality.missing_bars) == (1, DAY)
    gaps = joined.quality.issue(IssueCode.GAPS)
    assert gaps is not None
    assert "1 gap(s) between files, 24 missing bar(s) at 1h" in gaps.message
    assert joined.quality.largest_gap is not None
    assert joined.quality.largest_gap.missing == DAY


def test_taker_volume_is_kept_only_when_every_file_has_it(tmp_path: Path) -> None:
    frame = ohlcv(2 * DAY, seed=5)
    with_taker = load(write_klines(tmp_path / "ETHUSDT-1h-2023-01-01.csv", frame.iloc[:DAY]))
    without = load(write_freqtrade_feather(tmp_path / "ETH_USDT-1h.feather", frame.iloc[DAY:]), exchange="binance")
    [joined] = join_pieces([with_taker, without])
    assert isinstance(joined, Candles)
    assert joined.taker_buy_volume is None
    assert len(joined) == 2 * DAY
    assert "taker_buy_volume left out: ETH_USDT-1h.feather has none" in joined.quality.notes


def test_funding_joins_per_exchange_and_trades_and_other_timeframes_stay_apart(tmp_path: Path) -> None:
    jan = load(write_funding_feather(tmp_path / "ETH_USDT_USDT-8h-funding_rate.feather", [1e-4] * 3), exchange="x")
    feb = load(
        write_funding_feather(tmp_path / "b-8h-funding_rate.feather", [2e-4] * 3, start_ms=T0_MS + 24 * HOUR_MS),
        symbol="ETH",
        exchange="x",
    )
    elsewhere = load(write_funding_feather(tmp_path / "c-8h-funding_rate.feather", [3e-4]), symbol="ETH", exchange="y")
    trades = load(write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", [(1, 10.0, 1.0, T0_MS, True)]))
    hourly = load(write_klines(tmp_path / "ETHUSDT-1h-2023-01-01.csv", ohlcv(DAY)))
    four_hourly = load(write_klines(tmp_path / "ETHUSDT-4h-2023-01-01.csv", ohlcv(6), step_ms=4 * HOUR_MS))
    joined = join_pieces([jan, trades, hourly, elsewhere, feb, four_hourly])
    assert [type(item) for item in joined] == [FundingRates, AggTrades, Candles, FundingRates, Candles]
    first = joined[0]
    assert isinstance(first, FundingRates)
    assert first.rate.tolist() == [1e-4] * 3 + [2e-4] * 3
    assert joined[1] is trades
    assert joined[2] is hourly
    assert joined[3] is elsewhere
    assert joined[4] is four_hourly


def _trade_rows(first_id: int, count: int, start_ms: int) -> list[tuple[int, float, float, int, bool]]:
    """Aggregate trades with consecutive ids, two per millisecond stamp (trades share timestamps)."""
    return [
        (first_id + k, 100.0 + k / 8, 0.25 * (k % 5 + 1), start_ms + (k // 2) * 1000, k % 3 == 0) for k in range(count)
    ]


def _columns(trades: AggTrades) -> list[list[object]]:
    assert trades.trade_id is not None
    return [a.tolist() for a in (trades.ts, trades.trade_id, trades.price, trades.quantity, trades.is_buyer_maker)]


@pytest.mark.parametrize("overlap", [2, 0])
def test_daily_trade_files_join_by_trade_id_into_the_one_file_series(tmp_path: Path, overlap: int) -> None:
    """Three days of aggTrades given out of order, the second day repeating the first's last two trades (a download
    overlapping the one before) or not (the files as published, only concatenated): one series, each trade once,
    equal to one file of all."""
    rows = _trade_rows(1, 30, T0_MS)
    (tmp_path / "whole").mkdir()
    whole = load(write_aggtrades(tmp_path / "whole" / "ETHUSDT-aggTrades-2023-01.csv", rows, header=True))
    days = tmp_path / "days"
    days.mkdir()
    for day, (lo, hi) in ((3, (20, 30)), (1, (0, 10)), (2, (10 - overlap, 20))):
        write_aggtrades(days / f"ETHUSDT-aggTrades-2023-01-0{day}.csv", rows[lo:hi], header=True)
    (joined,) = load_dir(days).joined().items
    assert isinstance(joined, AggTrades)
    assert _columns(joined) == _columns(whole)
    assert joined.quality.count(IssueCode.EXACT_DUPLICATES_DROPPED) == overlap
    assert joined.quality.clean
    assert "(3 files)" in joined.source


def test_trades_two_files_disagree_on_are_refused_naming_both(tmp_path: Path) -> None:
    rows = _trade_rows(1, 10, T0_MS)
    write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", rows[:6], header=True)
    changed = [(*rows[5][:2], 9.0, *rows[5][3:]), *rows[6:]]  # trade 6 again, with another quantity
    write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-02.csv", changed, header=True)
    with pytest.raises(
        DataFormatError, match=r"2023-01-01.csv and .*2023-01-02.csv both hold trade id 6 and differ in 'quantity'"
    ):
        load_dir(tmp_path).joined()


def test_a_trade_id_at_two_times_is_refused(tmp_path: Path) -> None:
    rows = _trade_rows(1, 10, T0_MS)
    write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", rows[:6], header=True)
    moved = [(6, *rows[5][1:3], rows[5][3] + 7000, rows[5][4]), *rows[6:]]
    write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-02.csv", moved, header=True)
    with pytest.raises(
        DataFormatError, match=r"trade id 6 is at 2023-01-01T00:00:02\+00:00 in .*01-01.csv and at .*01-02.csv"
    ):
        load_dir(tmp_path).joined()


def test_trade_ids_missing_between_files_are_reported(tmp_path: Path) -> None:
    write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", _trade_rows(1, 10, T0_MS), header=True)
    write_aggtrades(
        tmp_path / "ETHUSDT-aggTrades-2023-01-03.csv", _trade_rows(41, 10, T0_MS + 48 * HOUR_MS), header=True
    )
    (joined,) = load_dir(tmp_path).joined().items
    issue = joined.quality.issue(IssueCode.TRADE_ID_GAPS)
    assert issue is not None
    assert issue.count == 1
    assert issue.message.startswith("30 trade id(s) missing between files in 1 place(s) (10 then 41)")
    assert len(joined) == 20


def test_trade_files_without_ids_are_not_joined(tmp_path: Path) -> None:
    """A plain trades file has no ids: a repeat cannot be told from a new trade, so the files stay apart."""
    for day in (1, 2):
        stamp = f"2023-01-0{day}T00:00:00Z"
        (tmp_path / f"ETH-trades-{day}.csv").write_text(
            f"timestamp,symbol,price,quantity,is_buyer_maker\n{stamp},ETH,100.0,1.0,true\n{stamp},ETH,100.0,1.0,true\n"
        )
    items = load_dir(tmp_path).joined().items
    assert [type(item) for item in items] == [AggTrades, AggTrades]
