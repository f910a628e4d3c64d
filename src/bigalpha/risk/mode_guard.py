"""`ModeGuardBroker`: nothing reaches an exchange in paper mode (R-MODE-1).

Every broker declares whether it sends real orders with a `sends_real_orders: bool` attribute: the paper
broker sets it False, an exchange (ccxt) broker True. The engine wraps whatever broker it was given:

- in paper and backtest mode the guard accepts only a broker that declares `sends_real_orders is False`;
- in test and live mode only one that declares True (a paper broker there would pretend to trade);
- a broker that declares nothing is refused in every mode.

The check runs when the guard is built, so a wrong wiring fails at start-up, and again before every call,
so a broker that changes its declaration later is still stopped. A refused call raises
`ModeViolation`, an `OrderRefused`: the order never reached the wrapped broker.
"""

from __future__ import annotations

from bigalpha.domain import ClientOrderId, MarketSnapshot, Mode, Order
from bigalpha.execution.ports import Broker, OrderRefused, OrderReport


class ModeViolation(OrderRefused):
    """A broker does not fit the mode; the message names both."""


def declares_real_orders(broker: object) -> bool | None:
    """The broker's `sends_real_orders` declaration; None when it has none (or it is not a bool)."""
    value = getattr(broker, "sends_real_orders", None)
    return value if isinstance(value, bool) else None


class ModeGuardBroker:
    """A `Broker` that forwards only while the wrapped broker fits the mode."""

    def __init__(self, inner: Broker, mode: Mode) -> None:
        self._inner = inner
        self._mode = mode
        self._check("wrap")

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def sends_real_orders(self) -> bool:
        return self._mode.sends_real_orders

    def _check(self, action: str) -> None:
        declared = declares_real_orders(self._inner)
        name = type(self._inner).__name__
        if declared is None:
            raise ModeViolation(
                f"R-MODE-1: cannot {action} with broker {name}: it does not declare sends_real_orders (True or False)"
            )
        if declared != self._mode.sends_real_orders:
            kind = "sends real orders" if declared else "only simulates fills"
            raise ModeViolation(f"R-MODE-1: {self._mode.value} mode cannot {action} with broker {name}: it {kind}")

    def submit(self, order: Order) -> OrderReport:
        self._check(f"submit order {order.client_order_id}")
        return self._inner.submit(order)

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        self._check(f"cancel order {client_order_id}")
        return self._inner.cancel(client_order_id)

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        self._check(f"ask about order {client_order_id}")
        return self._inner.report(client_order_id)

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        self._check("pass market data")
        return self._inner.on_market(snapshot)
