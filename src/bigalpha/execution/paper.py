"""The paper broker: a simulated exchange that fills against the observed order book.

- Market orders walk the book's depth from the best level; what the book cannot fill now keeps working
  and fills against the next snapshots' books (a partial fill, then the rest).
- Liquidity this broker has taken from a snapshot's book is gone until the next snapshot.
- Limit orders fill at once as takers when marketable, else rest and fill as makers when a later bar
  trades through their price.
- With no order book (history data), a market order fills whole at the bar's close plus slippage.
- Reduce-only orders never increase the net position this broker holds for the account and symbol.
- Fills are stamped with the submission time plus the configured latency; trade ids are derived from the
  client order id, so the broker's state is a pure function of the orders and the market data it saw.

Its state (orders, fills, net positions) is the exchange's, not the engine's: it is saved through
`persist` after every change, so a restarted engine reconciles against it as against a real exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bigalpha.domain import (
    ClientOrderId,
    Fill,
    Liquidity,
    MarketSnapshot,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Symbol,
)
from bigalpha.execution.paper_state import OrderEntry, dump_state, fill_data, load_state, order_data
from bigalpha.execution.ports import OrderReport

FEE_QUANTUM = Decimal("0.00000001")
FINISHED = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class PaperTerms:
    maker_fee_bps: Decimal
    taker_fee_bps: Decimal
    latency: timedelta
    slippage_bps: Decimal
    book_share: Decimal = Decimal(1)  # of each displayed level, the part this broker may take


@dataclass
class _Working:
    order: Order
    filled: Decimal = Decimal(0)
    fills: list[Fill] = field(default_factory=list)
    status: OrderStatus = OrderStatus.SUBMITTED
    reason: str = ""
    # The JSON data of each fill (appended with it) and of the order (at the first save, after submit's
    # reduce-only cap, the order's last change): built once, not at each of the state's saves.
    fills_data: list[dict[str, Any]] = field(init=False)
    _order_data: dict[str, Any] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.fills_data = [fill_data(fill) for fill in self.fills]

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.filled

    def add_fill(self, fill: Fill) -> None:
        self.fills.append(fill)
        self.fills_data.append(fill_data(fill))

    def state_entry(self) -> OrderEntry:
        if self._order_data is None:
            self._order_data = order_data(self.order)
        return self._order_data, self.filled, self.fills_data, self.status, self.reason

    def report(self) -> OrderReport:
        return OrderReport(self.order.client_order_id, self.status, self.filled, tuple(self.fills), self.reason)


class PaperBroker:
    """A deterministic simulated exchange (see the module docstring)."""

    sends_real_orders = False

    def __init__(
        self,
        terms: PaperTerms,
        *,
        persist: Callable[[dict[str, Any]], None] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.terms = terms
        self._persist = persist
        self._orders: dict[ClientOrderId, _Working] = {}
        self._net: dict[tuple[str, Symbol], Decimal] = {}
        self._books: dict[Symbol, MarketSnapshot] = {}
        self._taken: dict[tuple[Symbol, OrderSide, float], Decimal] = {}
        self._seen: dict[Symbol, datetime] = {}
        if state is not None:
            self._load(state)

    # -- the Broker port ---------------------------------------------------------------------
    def submit(self, order: Order) -> OrderReport:
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known.report()
        working = _Working(replace(order, status=OrderStatus.SUBMITTED))
        self._orders[order.client_order_id] = working
        refusal = self._refusal(order)
        if refusal:
            working.status, working.reason = OrderStatus.REJECTED, refusal
        else:
            self._cap_reduce_only(working)
            snapshot = self._books.get(order.symbol)
            if snapshot is not None:
                self._match(working, snapshot, taker=True, at=order.ts)
        self._save()
        return working.report()

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        working = self._orders.get(client_order_id)
        if working is None:
            return OrderReport(client_order_id, OrderStatus.REJECTED, Decimal(0), (), "unknown order")
        if working.status not in FINISHED:
            working.status = OrderStatus.CANCELED
            working.reason = "canceled"
            self._save()
        return working.report()

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        working = self._orders.get(client_order_id)
        return working.report() if working is not None else None

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        seen = self._seen.get(snapshot.symbol)
        if seen is not None and snapshot.ts <= seen:
            # Market data this exchange already traded on (an engine re-processing ticks after a restart):
            # its book is known again, but nothing trades on it twice.
            self._books[snapshot.symbol] = snapshot
            return []
        self._seen[snapshot.symbol] = snapshot.ts
        self._books[snapshot.symbol] = snapshot
        self._taken = {key: value for key, value in self._taken.items() if key[0] != snapshot.symbol}
        changed: list[OrderReport] = []
        for working in list(self._orders.values()):
            if working.status in FINISHED or working.order.symbol != snapshot.symbol:
                continue
            before = working.filled
            is_market = working.order.type is OrderType.MARKET
            self._match(working, snapshot, taker=is_market, at=snapshot.ts)
            if working.filled != before:
                changed.append(working.report())
        if changed:
            self._save()
        return changed

    # -- matching ----------------------------------------------------------------------------
    def _refusal(self, order: Order) -> str:
        if order.quantity <= 0:
            return f"quantity must be positive, got {order.quantity}"
        if order.type is OrderType.LIMIT and (order.price is None or order.price <= 0):
            return "a limit order needs a positive price"
        if order.reduce_only and self._reducible(order) <= 0:
            return "reduce-only order would not reduce a position"
        return ""

    def _reducible(self, order: Order) -> Decimal:
        net = self._net.get((order.account, order.symbol), Decimal(0))
        if order.side is OrderSide.SELL:
            return max(net, Decimal(0))
        return max(-net, Decimal(0))

    def _cap_reduce_only(self, working: _Working) -> None:
        if working.order.reduce_only:
            reducible = self._reducible(working.order)
            if working.order.quantity > reducible:
                working.order = replace(working.order, quantity=reducible)

    def _match(self, working: _Working, snapshot: MarketSnapshot, *, taker: bool, at: datetime) -> None:
        order = working.order
        if working.remaining <= 0:
            return
        book = snapshot.book.value if snapshot.book is not None else None
        if order.type is OrderType.LIMIT and not self._marketable(order, snapshot, taker=taker):
            return
        if book is None or not (book.asks if order.side is OrderSide.BUY else book.bids):
            if order.type is OrderType.MARKET:
                self._fill(working, self._slipped_close(order, snapshot), working.remaining, Liquidity.TAKER, at)
            else:
                liquidity = Liquidity.TAKER if taker else Liquidity.MAKER
                self._fill(working, _limit_price(order), working.remaining, liquidity, at)
            return
        if not taker:
            # A resting limit order that the market traded through fills at its own price, in full.
            self._fill(working, _limit_price(order), working.remaining, Liquidity.MAKER, at)
            return
        levels = book.asks if order.side is OrderSide.BUY else book.bids
        for level in levels:
            if working.remaining <= 0:
                break
            price = Decimal(repr(level.price))
            if order.type is OrderType.LIMIT and not self._price_ok(order, price):
                break
            key = (order.symbol, order.side, level.price)
            available = Decimal(repr(level.quantity)) * self.terms.book_share - self._taken.get(key, Decimal(0))
            if available <= 0:
                continue
            quantity = min(available, working.remaining)
            self._taken[key] = self._taken.get(key, Decimal(0)) + quantity
            self._fill(working, price, quantity, Liquidity.TAKER, at)

    @staticmethod
    def _price_ok(order: Order, price: Decimal) -> bool:
        limit = _limit_price(order)
        return price <= limit if order.side is OrderSide.BUY else price >= limit

    def _marketable(self, order: Order, snapshot: MarketSnapshot, *, taker: bool) -> bool:
        if taker:
            book = snapshot.book.value if snapshot.book is not None else None
            if book is not None:
                best = book.asks[0].price if order.side is OrderSide.BUY and book.asks else None
                best = book.bids[0].price if order.side is OrderSide.SELL and book.bids else best
                return best is not None and self._price_ok(order, Decimal(repr(best)))
            return self._price_ok(order, Decimal(repr(snapshot.bar.close)))
        # Resting: the bar must trade through the price (touching is not enough to be filled in a queue).
        limit = float(_limit_price(order))
        return snapshot.bar.low < limit if order.side is OrderSide.BUY else snapshot.bar.high > limit

    def _slipped_close(self, order: Order, snapshot: MarketSnapshot) -> Decimal:
        close = Decimal(repr(snapshot.bar.close))
        slip = close * self.terms.slippage_bps / Decimal(10_000)
        return close + slip if order.side is OrderSide.BUY else close - slip

    def _fill(self, working: _Working, price: Decimal, quantity: Decimal, liquidity: Liquidity, at: datetime) -> None:
        order = working.order
        bps = self.terms.maker_fee_bps if liquidity is Liquidity.MAKER else self.terms.taker_fee_bps
        fee = (price * quantity * bps / Decimal(10_000)).quantize(FEE_QUANTUM, rounding=ROUND_HALF_EVEN)
        fill = Fill(
            client_order_id=order.client_order_id,
            ts=at + self.terms.latency,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=quantity,
            fee=fee,
            liquidity=liquidity,
            trade_id=f"{order.client_order_id}-{len(working.fills) + 1}",
        )
        working.add_fill(fill)
        working.filled += quantity
        working.status = OrderStatus.FILLED if working.remaining <= 0 else OrderStatus.PARTIALLY_FILLED
        key = (order.account, order.symbol)
        signed = quantity if order.side is OrderSide.BUY else -quantity
        self._net[key] = self._net.get(key, Decimal(0)) + signed

    # -- persistence -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = dump_state((w.state_entry() for w in self._orders.values()), self._net)
        state["seen"] = {symbol: ts.isoformat() for symbol, ts in self._seen.items()}
        # Liquidity already taken from the books of the last instant: a restart that re-sends an order at that
        # instant must meet the same depth as it would have without the restart.
        state["taken"] = [
            [symbol, side.value, price, str(quantity)] for (symbol, side, price), quantity in self._taken.items()
        ]
        return state

    def _load(self, state: Mapping[str, Any]) -> None:
        orders, self._net = load_state(state)
        self._seen = {Symbol(symbol): datetime.fromisoformat(ts) for symbol, ts in state.get("seen", {}).items()}
        self._taken = {
            (Symbol(symbol), OrderSide(side), float(price)): Decimal(quantity)
            for symbol, side, price, quantity in state.get("taken", [])
        }
        self._orders = {}
        for order, filled, fills, status, reason in orders:
            self._orders[order.client_order_id] = _Working(order, filled, list(fills), status, reason)

    def _save(self) -> None:
        if self._persist is not None:
            self._persist(self.state_dict())


def _limit_price(order: Order) -> Decimal:
    if order.price is None:
        raise ValueError(f"order {order.client_order_id} is a limit order without a price")
    return order.price
