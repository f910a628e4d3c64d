"""One entry point per strategy: `run_reference` (sma_cross) and `run_whole_bot` (the bot), both returning a
`BacktestResult` with the same keys, trades and equity curve."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from bigalpha.backtest.bot import BotRun, Progress, run_bot
from bigalpha.backtest.market import Market
from bigalpha.backtest.results import BacktestResult, TradeRecord, guard_table
from bigalpha.backtest.sma_cross import EXIT_REASONS, SmaCrossParams, run_sma_cross
from bigalpha.backtest.supervision import Supervision, latch_periods, latch_summary
from bigalpha.config import Settings
from bigalpha.domain import Position
from bigalpha.engine.build import only_strategy
from bigalpha.execution.portfolio import net_pnl

Clock = Callable[[], float]


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


def run_reference(market: Market, params: SmaCrossParams) -> BacktestResult:
    """sma_cross on every symbol, the cash split equally between them (one independent account each). Its rules
    trade every bar given (its averages start inside the data): a market with a warm-up is refused."""
    if market.first_tick:
        raise ValueError(f"{market.source}: sma_cross trades every bar it is given; load its market without a warm-up")
    began = time.perf_counter()
    share = SmaCrossParams(params.fast, params.slow, params.fee, params.stop_pct, params.cash / len(market.lanes))
    n = market.tick_ns.shape[0]
    equity = np.zeros(n)
    exposure = np.zeros(n, dtype=np.bool_)
    trades: list[TradeRecord] = []
    for symbol, lane in market.lanes.items():
        out = run_sma_cross(lane.open, lane.high, lane.low, lane.close, share)
        # A symbol's equity is its cash until its first bar and its last value after its last bar.
        curve = np.full(n, share.cash)
        curve[lane.tick] = out.equity
        present = np.full(n, -1)
        present[lane.tick] = lane.tick
        filled = np.maximum.accumulate(present)
        curve = np.where(filled >= 0, curve[np.maximum(filled, 0)], share.cash)
        equity += curve
        bar_ns = market.tick_ns[lane.tick] - int(market.bar_seconds * 1e9)  # each bar's open time
        for k in range(out.trades):
            entry, exit_ = int(out.entry_bar[k]), int(out.exit_bar[k])
            reason = EXIT_REASONS[int(out.reason[k])]
            exposure[lane.tick[entry] : lane.tick[exit_] + 1] = True
            trades.append(
                TradeRecord(
                    symbol=str(symbol),
                    side="LONG",
                    entry_time=_dt(int(bar_ns[entry])),
                    # a signal or open-gap exit fills at the bar's open; a stop inside the bar; "open" at the close
                    exit_time=_dt(int(bar_ns[exit_]) + (int(market.bar_seconds * 1e9) if reason == "open" else 0)),
                    entry_price=float(out.entry_price[k]),
                    exit_price=float(out.exit_price[k]),
                    quantity=float(out.quantity[k]),
                    fees=float(out.fees[k]),
                    funding=0.0,
                    pnl=float(out.pnl[k]),
                    exit_reason=reason,
                )
            )
    trades.sort(key=lambda t: (t.entry_time, t.symbol))
    return BacktestResult(
        strategy="sma_cross",
        source=market.source,
        symbols=tuple(str(s) for s in market.symbols),
        bars=market.bars,
        bar_seconds=market.bar_seconds,
        starting_equity=params.cash,
        trades=trades,
        equity_ns=market.tick_ns,
        equity=equity,
        exposure=float(exposure.mean()) if n else 0.0,
        elapsed_s=time.perf_counter() - began,
        extra={"params": {"fast": params.fast, "slow": params.slow, "fee": params.fee, "stop_pct": params.stop_pct}},
    )


def _trade(position: Position, exit_price: Decimal, reason: str, at: datetime) -> TradeRecord:
    quantity = position.initial_quantity
    sign = Decimal(position.side.sign)
    # The exits' volume-weighted price, recovered from the realized P&L the accounting booked.
    price = position.entry_price + position.realized_pnl / (sign * quantity) if reason != "open" else exit_price
    pnl = net_pnl(position)
    if reason == "open":
        pnl += sign * position.quantity * (exit_price - position.entry_price)
    return TradeRecord(
        symbol=str(position.symbol),
        side=position.side.value,
        entry_time=position.opened_at,
        exit_time=position.closed_at or at,
        entry_price=float(position.entry_price),
        exit_price=float(price),
        quantity=float(quantity),
        fees=float(position.fees_paid),
        funding=float(position.funding_paid),
        pnl=float(pnl),
        exit_reason=reason,
    )


def bot_result(
    settings: Settings,
    market: Market,
    run: BotRun,
    elapsed: float,
    strategy: str,
    supervision: Supervision | None = None,
) -> BacktestResult:
    store = run.store
    traded = market.traded_ns
    end = _dt(int(traded[-1])) if traded.size else datetime.now(UTC)
    start = _dt(int(traded[0])) if traded.size else end
    trades = [_trade(p, Decimal(0), p.exit_reason or "closed", end) for p in store.closed_positions()]
    for position in run.open_positions:
        trades.append(_trade(position, run.last_marks.get(position.symbol, position.entry_price), "open", end))
    trades.sort(key=lambda t: (t.entry_time, t.symbol))
    # Every shadow is closed by now (end of data); the guard table reads their outcomes only, and the verdicts'
    # guard outcomes are streamed: a million bars' rows as table objects would set the run's peak memory.
    shadows = store.shadow_outcomes()
    latches = latch_periods(store)
    return BacktestResult(
        strategy=strategy,
        source=market.source,
        symbols=tuple(str(s) for s in market.symbols),
        bars=market.bars,
        bar_seconds=market.bar_seconds,
        starting_equity=float(settings.execution.paper_starting_balance_usd),
        trades=trades,
        equity_ns=traded,
        equity=run.equity,
        exposure=run.exposure,
        elapsed_s=elapsed,
        guards=guard_table(shadows, store.verdict_outcomes()),
        extra={
            "signals": run.engine.summary.signals,
            # entries refused for an input the data did not give (history files have no open interest, …)
            "missing_inputs": dict(sorted(run.engine.summary.missing_inputs.items())),
            "shadows": len(shadows),
            "ticks_processed": run.ticks_processed,
            "lanes_processed": run.lanes_processed,
            "jobs": {name: run.jobs.count(name) for name in sorted(set(run.jobs))},
            # ticks before the first traded one, whose bars only the indicators read (`--warmup`)
            "warmup_ticks": market.first_tick,
            # R-M-3 and the kill switch: how often each latched and the share of the run it held
            **latch_summary(latches, start, end),
            "supervision": (supervision or Supervision()).to_dict(),
            "latches": [period.to_dict() for period in latches],
        },
    )


def run_whole_bot(
    settings: Settings,
    market: Market,
    store_path: Path,
    *,
    progress: Progress | None = None,
    dense: bool = False,
    only: str | None = None,
    supervision: Supervision | None = None,
) -> BacktestResult:
    """The bot over `market`, writing to a fresh store at `store_path` (never the live one); with `only`, the bot
    trading that one of its strategies alone (`engine.build.only_strategy`: gate, risk, exits and learning as ever);
    with `supervision`, a simulated person resumes pauses and resets the kill switch (`backtest.supervision`)."""
    chosen = None if only is None else only_strategy(settings, only)
    began = time.perf_counter()
    run = run_bot(
        settings, market, store_path, dense=dense, strategies=chosen, progress=progress, supervision=supervision
    )
    try:
        return bot_result(settings, market, run, time.perf_counter() - began, only or "bot", supervision)
    finally:
        run.store.close()
