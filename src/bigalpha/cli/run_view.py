"""The live terminal view of `bigalpha run`: prices, regime, signals and verdicts, positions, P&L."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text

from bigalpha.domain import Event, EventType
from bigalpha.engine.core import Engine
from bigalpha.execution.accounting import unrealized_pnl

SHOWN_EVENTS = (
    EventType.VERDICT,
    EventType.POSITION_OPENED,
    EventType.POSITION_CLOSED,
    EventType.EXIT_BLOCKED_BY_HOLD,
    EventType.TARGET_ADJUSTED,
    EventType.KILL_SWITCH_TRIPPED,
    EventType.STAND_DOWN,
    EventType.TRADING_PAUSED,
    EventType.LEARNING_REVIEW,
    EventType.THRESHOLD_CHANGED,
)


class RunView:
    """Keeps the last events and renders the engine's state as one Rich renderable."""

    def __init__(self, max_events: int = 10) -> None:
        self.events: deque[Event] = deque(maxlen=max_events)

    def on_event(self, event: Event) -> None:
        if event.type in SHOWN_EVENTS:
            self.events.append(event)

    def render(self, engine: Engine) -> Group:
        now = engine.last_tick
        header = Text(
            f"bigalpha {engine.parts.mode.value}  market time {now:%Y-%m-%d %H:%M} UTC  "
            f"equity {engine.equity():,.2f}  trades {engine.summary.entries} opened / {engine.summary.closed} closed  "
            f"signals {engine.summary.signals}  {'HALTED' if engine.is_halted else 'active'}"
            if now
            else "bigalpha: warming up",
            style="bold",
        )
        market = Table(title="market", expand=True)
        for column in ("symbol", "price", "H", "regime", "OFI", "whale CVD", "taker 5m", "L/S"):
            market.add_column(column)
        for symbol, context in sorted(engine.contexts.items()):
            market.add_row(
                symbol,
                f"{context.price:,.4f}",
                "-" if context.hurst is None else f"{context.hurst:.2f}±{context.hurst_stderr or 0:.2f}",
                ("TRUE TREND" if context.true_trend else context.regime.value),
                "-" if context.ofi is None else f"{context.ofi:+.2f}",
                "-" if context.whale_cvd_usd is None else f"{context.whale_cvd_usd / 1e6:+.2f}M",
                "-" if context.taker_ratio_5m is None else f"{context.taker_ratio_5m:.2f}",
                "-" if context.long_short_ratio is None else f"{context.long_short_ratio:.2f}",
            )
        positions = Table(title="positions", expand=True)
        for column in ("symbol", "side", "qty", "entry", "stop", "next target", "uPnL"):
            positions.add_column(column)
        for position in engine.book.positions.values():
            current = engine.contexts.get(position.symbol)
            mark = Decimal(repr(current.price)) if current else position.entry_price
            upnl = unrealized_pnl(position.side, position.quantity, position.entry_price, mark)
            target = position.targets[position.tiers_done] if position.tiers_done < len(position.targets) else None
            positions.add_row(
                position.symbol,
                position.side.value,
                f"{position.quantity}",
                f"{position.entry_price:,.4f}",
                f"{position.stop_price:,.4f}",
                "-" if target is None else f"{target:,.4f}",
                f"{upnl:+,.2f}",
            )
        events = Table(title="signals, verdicts and exits", expand=True)
        events.add_column("time")
        events.add_column("event")
        for event in self.events:
            events.add_row(f"{event.ts:%H:%M}", event.message)
        return Group(header, market, positions, events)
