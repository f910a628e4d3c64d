"""Binance kline CSVs (taker buy volume included) of a simulated market's bars: real-layout history files whose
bars the tests know, for backtests on history files."""

from __future__ import annotations

from pathlib import Path

from bigalpha.backtest.market import Market
from bigalpha.domain import Symbol


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
