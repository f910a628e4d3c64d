"""Binance kline CSVs (taker buy volume included) of a simulated market's bars, Binance `metrics` CSVs of its
open interest and long/short ratio, and Binance `aggTrades` CSVs of its trades: real-layout history files whose values
the tests know, for backtests on history files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bigalpha.backtest.market import Market
from bigalpha.data.sim import SimDataset
from bigalpha.data.sim.snapshots import symbol_rows
from bigalpha.domain import Symbol

AGG_TRADES_HEADER = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
_DAY_MS = 86_400_000

METRICS_HEADER = (
    "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
    "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio"
)


def write_sim_klines(market: Market, folder: Path, bars: dict[str, int]) -> None:
    """`folder/<SYMBOL>USDT-1m-2025-01-01.csv` with the first `bars[symbol]` one-minute bars of each symbol named."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, count in bars.items():
        lane = market.lanes[Symbol(name)]
        assert lane.volume is not None
        taker = lane.arrays(1e9).flow.taker_buy
        ms = (market.tick_ns[lane.tick] // 1_000_000 - 60_000).tolist()  # open times: a bar's tick is its close
        columns = (lane.open, lane.high, lane.low, lane.close, lane.volume, taker)
        lines = [
            f"{ms[j]},{o!r},{h!r},{lo!r},{c!r},{v!r},{ms[j] + 59_999},{v * c!r},1,{t!r},{t * c!r},0"
            for j, (o, h, lo, c, v, t) in enumerate(zip(*(a[:count].tolist() for a in columns), strict=True))
        ]
        (folder / f"{name}USDT-1m-2025-01-01.csv").write_text("\n".join(lines) + "\n")


def write_sim_metrics(dataset: SimDataset, folder: Path, symbols: tuple[str, ...]) -> None:
    """`folder/<SYMBOL>USDT-metrics-2025-01-01.csv`: the simulator's open interest and long/short ratio every 5
    minutes, in Binance's `metrics` layout (the columns the bot does not read hold placeholders)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in symbols:
        code = dataset.symbols.index(name)
        oi = symbol_rows(dataset.frames["open_interest"], code)
        ls = symbol_rows(dataset.frames["long_short"], code)
        lines = [METRICS_HEADER]
        for k in np.flatnonzero(oi["ts"] % 300_000 == 0).tolist():  # Binance's 5-minute rows
            ms = int(oi["ts"][k])
            j = int(np.searchsorted(ls["ts"], ms, side="right")) - 1
            ratio = repr(float(ls["long_short_ratio"][j])) if j >= 0 else ""
            value = float(oi["open_interest_usd"][k])
            when = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
            lines.append(f"{when},{name}USDT,{value / 1000.0!r},{value!r},1.0,1.0,{ratio},1.0")
        (folder / f"{name}USDT-metrics-2025-01-01.csv").write_text("\n".join(lines) + "\n")


def write_sim_funding(dataset: SimDataset, folder: Path, symbols: tuple[str, ...], venues: dict[str, float]) -> None:
    """`folder/<SYMBOL>-USDT_<venue>_funding_history.csv` per venue (`Symbol,Date,Funding Rate`, the layout of the
    multi-venue funding histories): the simulator's Binance rate at each 8-hour settlement, plus the venue's offset."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in symbols:
        funding = symbol_rows(dataset.frames["funding"], dataset.symbols.index(name))
        settled = np.flatnonzero(funding["ts"] % (8 * 3_600_000) == 0).tolist()
        for venue, offset in venues.items():
            lines = ["Symbol,Date,Funding Rate"]
            for k in settled:
                when = datetime.fromtimestamp(int(funding["ts"][k]) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
                lines.append(f"{name}-USDT,{when},{float(funding['binanceusdm'][k]) + offset!r}")
            (folder / f"{name}-USDT_{venue}_funding_history.csv").write_text("\n".join(lines) + "\n")


def write_sim_agg_trades(dataset: SimDataset, folder: Path, symbols: tuple[str, ...]) -> dict[str, list[Path]]:
    """`folder/<SYMBOL>USDT-aggTrades-<date>.csv`, one file per UTC day as Binance publishes them: the simulator's
    trades (a taker buy is `is_buyer_maker` false), their ids counting from 1 across the days."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    for name in symbols:
        trades = symbol_rows(dataset.frames["trades"], dataset.symbols.index(name))
        ms = np.asarray(trades["ts"], dtype=np.int64)
        columns = (ms.tolist(), trades["price"].tolist(), trades["quantity"].tolist(), trades["side"].tolist())
        days: dict[int, list[str]] = {}
        for k, (when, price, quantity, taker_buy) in enumerate(zip(*columns, strict=True), start=1):
            maker = "false" if taker_buy else "true"
            days.setdefault(when // _DAY_MS, [AGG_TRADES_HEADER]).append(
                f"{k},{price!r},{quantity!r},{k},{k},{when},{maker}"
            )
        written[name] = []
        for day, lines in days.items():
            date = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")
            path = folder / f"{name}USDT-aggTrades-{date}.csv"
            path.write_text("\n".join(lines) + "\n")
            written[name].append(path)
    return written
