"""The read-only ledger (R-LEDGER-1): an account marked read-only can never be traded or moved.

`ReadOnlyLedgerBroker` wraps any `Broker` and raises `OrderRefused` for an order on a read-only account
before anything is forwarded, whoever the caller (strategy, API, CLI). Names are compared without case and
surrounding spaces, so " Cold" cannot slip past "cold". `assert_transfer_allowed` is the same check for any
transfer path. Read-only accounts are monitored only: `ledger_summary` lists them for the dashboard and CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bigalpha.config import Settings
from bigalpha.config.risk import RiskConfig
from bigalpha.domain import ClientOrderId, MarketSnapshot, Order
from bigalpha.execution.ports import Broker, OrderRefused, OrderReport


class LedgerRefusal(OrderRefused):
    """An order or a transfer named a read-only account."""


def _normal(name: str) -> str:
    return name.strip().casefold()


def read_only_names(config: RiskConfig) -> frozenset[str]:
    return frozenset(_normal(account.name) for account in config.read_only_accounts)


def is_read_only(account: str, config: RiskConfig) -> bool:
    return _normal(account) in read_only_names(config)


def assert_transfer_allowed(account: str, config: RiskConfig) -> None:
    """Raise `LedgerRefusal` if `account` is read-only: call it first in any path that moves funds."""
    if is_read_only(account, config):
        raise LedgerRefusal(f"R-LEDGER-1: account {account!r} is read-only; no transfer may touch it")


class ReadOnlyLedgerBroker:
    """A `Broker` that never forwards an order on a read-only account."""

    def __init__(self, inner: Broker, read_only: Settings | RiskConfig | Iterable[str]) -> None:
        """`read_only`: the settings (or their risk section), whose `read_only_accounts` are refused, or the
        account names themselves."""
        if isinstance(read_only, Settings):
            read_only = read_only.risk
        if isinstance(read_only, RiskConfig):
            names: frozenset[str] = read_only_names(read_only)
        else:
            given = list(read_only)
            wrong = [name for name in given if not isinstance(name, str)]
            if wrong:
                raise TypeError(f"ReadOnlyLedgerBroker: read-only account names must be text, got {wrong[:3]!r}")
            names = frozenset(_normal(name) for name in given)
        self._inner = inner
        self._read_only = names

    @classmethod
    def from_config(cls, inner: Broker, config: RiskConfig) -> ReadOnlyLedgerBroker:
        return cls(inner, config)

    @property
    def sends_real_orders(self) -> bool | None:
        value = getattr(self._inner, "sends_real_orders", None)
        return value if isinstance(value, bool) else None

    def submit(self, order: Order) -> OrderReport:
        if _normal(order.account) in self._read_only:
            raise LedgerRefusal(
                f"R-LEDGER-1: order {order.client_order_id} names read-only account {order.account!r}: refused, "
                "never sent"
            )
        return self._inner.submit(order)

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        return self._inner.cancel(client_order_id)

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        return self._inner.report(client_order_id)

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        return self._inner.on_market(snapshot)


@dataclass(frozen=True, slots=True)
class LedgerAccount:
    name: str
    balance_usd: Decimal
    read_only: bool


def ledger_summary(settings: Settings) -> list[LedgerAccount]:
    """The accounts bigalpha knows: the trading (hot) account with its configured equity, then every
    read-only account with its monitored balance."""
    risk = settings.risk
    accounts = [LedgerAccount(risk.trading_account, risk.hot_wallet_usd, read_only=False)]
    accounts.extend(LedgerAccount(a.name, a.balance_usd, read_only=True) for a in risk.read_only_accounts)
    return accounts
