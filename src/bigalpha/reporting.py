"""What `bigalpha report` shows: trades, P&L and events, read from the store."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.domain import Position
from bigalpha.execution.portfolio import net_pnl
from bigalpha.learning.review import profit_factor as returns_profit_factor
from bigalpha.store import Store
from bigalpha.store.mapping import json_ready

WALLET_KEY = "wallet"


@dataclass(frozen=True, slots=True)
class TradeLine:
    position: Position
    exit_price: Decimal | None
    net_pnl: Decimal


def trade_lines(store: Store, since: datetime | None = None) -> list[TradeLine]:
    lines = []
    for position in store.closed_positions(since):
        exits = [fill for fill in store.fills_for_position(position.id) if not fill.client_order_id.endswith("-entry")]
        quantity = sum((fill.quantity for fill in exits), Decimal(0))
        exit_price = sum((fill.price * fill.quantity for fill in exits), Decimal(0)) / quantity if quantity else None
        lines.append(TradeLine(position, exit_price, net_pnl(position)))
    return lines


def profit_factor(pnls: list[Decimal]) -> float | None:
    """Gross profit / gross loss; None without a loss to divide by."""
    factor = returns_profit_factor(float(p) for p in pnls)
    return None if factor is None or math.isinf(factor) else factor


def summary(store: Store, since: datetime | None = None) -> dict[str, Any]:
    lines = trade_lines(store, since)
    pnls = [line.net_pnl for line in lines]
    wallet = store.get_state(WALLET_KEY)
    verdicts = store.verdict_rows(limit=100_000)
    blocked = Counter(row.blocked_by or (row.risk or {}).get("reason") or "risk" for row in verdicts if not _taken(row))
    return {
        "trades": len(lines),
        "wins": sum(1 for p in pnls if p > 0),
        "win_rate": (sum(1 for p in pnls if p > 0) / len(pnls)) if pnls else None,
        "net_pnl": sum(pnls, Decimal(0)),
        "profit_factor": profit_factor(pnls),
        "fees": sum((line.position.fees_paid for line in lines), Decimal(0)),
        "funding": sum((line.position.funding_paid for line in lines), Decimal(0)),
        "wallet": wallet,
        "open_positions": len(store.open_positions()),
        "signals": len(verdicts),
        "taken": sum(1 for row in verdicts if _taken(row)),
        "refused_by": dict(blocked.most_common()),
    }


def _taken(row: Any) -> bool:
    return bool(row.allowed) and bool((row.risk or {}).get("approved", False))


def report_data(store: Store, *, events: int = 20, since: datetime | None = None) -> dict[str, Any]:
    """Everything the report shows, as JSON-ready data."""
    trades = [
        {
            "position_id": line.position.id,
            "symbol": line.position.symbol,
            "side": line.position.side.value,
            "strategy": line.position.strategy,
            "opened_at": line.position.opened_at,
            "closed_at": line.position.closed_at,
            "entry_price": line.position.entry_price,
            "exit_price": line.exit_price,
            "quantity": line.position.initial_quantity,
            "fees": line.position.fees_paid,
            "funding": line.position.funding_paid,
            "net_pnl": line.net_pnl,
            "exit_reason": line.position.exit_reason,
            "true_trend": line.position.meta.true_trend if line.position.meta else None,
        }
        for line in trade_lines(store, since)
    ]
    open_positions = [
        {
            "position_id": p.id,
            "symbol": p.symbol,
            "side": p.side.value,
            "opened_at": p.opened_at,
            "entry_price": p.entry_price,
            "quantity": p.quantity,
            "stop_price": p.stop_price,
            "targets": list(p.targets),
            "tiers_done": p.tiers_done,
        }
        for p in store.open_positions()
    ]
    recent = store.last_events(events) if events else []
    data: dict[str, Any] = json_ready(
        {
            "summary": summary(store, since),
            "trades": trades,
            "open_positions": open_positions,
            "events": [
                {
                    "seq": seq,
                    "ts": e.ts,
                    "type": e.type.value,
                    "source": e.source,
                    "symbol": e.symbol,
                    "guard": e.guard,
                    "message": e.message,
                    "data": e.data,
                }
                for seq, e in recent
            ],
        }
    )
    return data
