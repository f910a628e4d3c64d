"""A backtest's outcome: its trades, equity curve, metrics and guard table, and the files it writes.

P-PERP-1: a bot trade's `pnl` is realized P&L minus fees minus funding, exactly as the engine's accounting
(`bigalpha.execution.portfolio.net_pnl`) books it. L-GUARD-1: the guard table counts, per guard, the signals
it blocked and the sum of their shadow returns (ideal fills, L-SHADOW-1), and the signals it resized.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.metrics import Metrics, compute_metrics
from bigalpha.learning.review import ShadowResult, guard_effectiveness, profit_factor

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TRADE_COLUMNS = (
    "symbol",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "fees",
    "funding",
    "pnl",
    "exit_reason",
)


@dataclass(frozen=True, slots=True)
class TradeRecord:
    symbol: str
    side: str
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    quantity: float
    fees: float
    funding: float
    pnl: float
    exit_reason: str


@dataclass(frozen=True, slots=True)
class GuardRow:
    guard: str
    blocked: int
    resized: int
    shadow_pnl: float  # sum of the blocked shadows' returns, in percent of their entry price


@dataclass(frozen=True, slots=True)
class TradeGroup:
    """The trades that share one value of a field (a symbol, an exit reason); an open trade counts, marked at the
    last close as the trades CSV lists it."""

    name: str
    trades: int
    net_pnl: float
    win_rate: float
    profit_factor: float | None  # None without a win or a loss; infinite with wins and no loss

    def to_dict(self) -> dict[str, Any]:
        return {
            "trades": self.trades,
            "net_pnl": self.net_pnl,
            "win_rate": self.win_rate,
            "profit_factor": self.profit_factor,
        }


def trade_groups(trades: Iterable[TradeRecord], field_name: str) -> list[TradeGroup]:
    """`trades` grouped by the value of `field_name` (`symbol`, `exit_reason`), in the order of those values."""
    pnls: dict[str, list[float]] = defaultdict(list)
    for trade in trades:
        pnls[str(getattr(trade, field_name))].append(trade.pnl)
    return [
        TradeGroup(
            name=name,
            trades=len(values),
            net_pnl=sum(values),
            win_rate=sum(1 for p in values if p > 0) / len(values),
            profit_factor=profit_factor(values),
        )
        for name, values in sorted(pnls.items())
    ]


@dataclass
class BacktestResult:
    strategy: str
    source: str
    symbols: tuple[str, ...]
    bars: int
    bar_seconds: float
    starting_equity: float
    trades: list[TradeRecord]
    equity_ns: IntArray  # the instant of each equity point
    equity: FloatArray
    exposure: float
    elapsed_s: float
    guards: list[GuardRow] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(init=False)

    def __post_init__(self) -> None:
        closed = np.array([t.pnl for t in self.trades if t.exit_reason != "open"], dtype=np.float64)
        self.metrics = compute_metrics(closed, self.equity, self.starting_equity, self.exposure, self.bar_seconds)

    def period(self) -> dict[str, str] | None:
        """The time the run covered, in UTC: from its first bar's open to its last bar's close (None without bars)."""
        if not self.equity_ns.shape[0]:
            return None
        first_open = int(self.equity_ns[0]) - round(self.bar_seconds * 1e9)  # each point is a bar's close
        return {"start": _iso(first_open), "end": _iso(int(self.equity_ns[-1]))}

    def summary(self) -> dict[str, Any]:
        """The JSON document `--json` writes."""
        data: dict[str, Any] = {
            "strategy": self.strategy,
            "source": self.source,
            "symbols": list(self.symbols),
            "bars": self.bars,
            "bar_seconds": self.bar_seconds,
            "period": self.period(),
            "starting_equity": self.starting_equity,
            **self.metrics.to_dict(),
            "open_trades": sum(1 for t in self.trades if t.exit_reason == "open"),
            "elapsed_s": self.elapsed_s,
            "bars_per_s": self.bars / self.elapsed_s if self.elapsed_s > 0 else None,
            "by_symbol": {g.name: g.to_dict() for g in trade_groups(self.trades, "symbol")},
            "by_exit_reason": {g.name: g.to_dict() for g in trade_groups(self.trades, "exit_reason")},
        }
        if self.guards is not None:
            data["guards"] = {
                g.guard: {"blocked": g.blocked, "resized": g.resized, "shadow_pnl": g.shadow_pnl} for g in self.guards
            }
        data.update(self.extra)
        cleaned: dict[str, Any] = _clean(data)
        return cleaned


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).isoformat()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def guard_table(shadows: Sequence[ShadowResult], verdict_outcomes: Iterable[list[dict[str, Any]]]) -> list[GuardRow]:
    """L-GUARD-1 over a whole backtest: the engine's own `guard_effectiveness`, plus the resize counts (one list of
    guard outcomes per verdict)."""
    resized: dict[str, int] = defaultdict(int)
    for outcomes in verdict_outcomes:
        for outcome in outcomes:
            if outcome.get("decision") == "RESIZE":
                resized[str(outcome.get("guard"))] += 1
    blocked = {g.guard: g for g in guard_effectiveness(shadows)}
    names = sorted(set(blocked) | set(resized))
    return [
        GuardRow(
            guard=name,
            blocked=blocked[name].blocks if name in blocked else 0,
            resized=resized.get(name, 0),
            shadow_pnl=blocked[name].shadow_return_pct * 100.0 if name in blocked else 0.0,
        )
        for name in names
    ]


def write_json(result: BacktestResult, path: Path) -> None:
    path.write_text(json.dumps(result.summary(), indent=2, default=str) + "\n", encoding="utf-8")


def write_trades_csv(trades: Sequence[TradeRecord], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRADE_COLUMNS)
        writer.writeheader()
        for trade in trades:
            row = asdict(trade)
            row["entry_time"] = trade.entry_time.isoformat()
            row["exit_time"] = trade.exit_time.isoformat()
            writer.writerow(row)
