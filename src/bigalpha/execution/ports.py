"""The `Broker` port: every order bigalpha places goes through one of these, in every mode.

The contract (proven by `tests/contract/broker_contract.py` for every implementation):
- `submit` is idempotent by client order id: submitting an id the broker already knows returns what
  happened to it, never a second order. That is how a restart reconciles an order whose fate is unknown.
- `submit` never raises for a market reason: a refused order comes back `REJECTED` with the reason.
  Errors of the connection raise `BrokerUnavailable` (retryable: the order's fate is unknown, reconcile
  by id before doing anything else).
- Fills carry a broker-unique `trade_id`, so recording them twice is detectable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bigalpha.domain import ClientOrderId, Fill, MarketSnapshot, Order, OrderStatus


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached; an order sent meanwhile has an unknown outcome."""


class OrderRefused(RuntimeError):
    """Definitive refusal before the order left the process (e.g. R-LEDGER-1's read-only account)."""


@dataclass(frozen=True, slots=True)
class OrderReport:
    """What the broker knows of one order."""

    client_order_id: ClientOrderId
    status: OrderStatus
    filled_quantity: Decimal
    fills: tuple[Fill, ...]
    reason: str = ""


class Broker(Protocol):
    """The execution port (paper, ccxt …)."""

    def submit(self, order: Order) -> OrderReport:
        """Place `order` (or report on it if its client order id is known)."""
        ...

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        """Cancel what is left of an order; canceling a finished order reports it unchanged."""
        ...

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        """What the broker knows of an order; None if it never received it."""
        ...

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        """Let resting orders trade against new market data; reports of the orders that changed."""
        ...
