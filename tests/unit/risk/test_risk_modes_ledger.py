"""R-MODE-1 (arming, the paper-mode guard, test-mode caps) and R-LEDGER-1 (read-only accounts)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from pydantic import SecretStr
from risk_factories import T0, account, context, position, settings, signal

from bigalpha.config import ConfigError, load_settings
from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    DenyReason,
    MarketSnapshot,
    Mode,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    RiskLayer,
    Symbol,
)
from bigalpha.execution.ports import OrderRefused, OrderReport
from bigalpha.risk import (
    LedgerRefusal,
    ModeGuardBroker,
    ModeViolation,
    NotArmed,
    OpenExposure,
    ReadOnlyLedgerBroker,
    arming_phrase,
    assert_transfer_allowed,
    evaluate_risk,
    ledger_summary,
    on_position_closed,
    require_armed,
)
from bigalpha.risk.account import new_account

CFG = settings()
ARMABLE = settings(SECRETS__EXCHANGE_API_KEY="key", SECRETS__EXCHANGE_API_SECRET="secret")


class RecordingBroker:
    """A stand-in exchange that records every call it receives (so a test can prove nothing arrived)."""

    def __init__(self, sends_real_orders: object) -> None:
        self.sends_real_orders = sends_real_orders
        self.received: list[Order] = []
        self.calls = 0

    def submit(self, order: Order) -> OrderReport:
        self.received.append(order)
        return OrderReport(order.client_order_id, OrderStatus.SUBMITTED, Decimal(0), ())

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        self.calls += 1
        return OrderReport(client_order_id, OrderStatus.CANCELED, Decimal(0), ())

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        self.calls += 1
        return None

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        self.calls += 1
        return []


def order(account_name: str = "hot", n: int = 1) -> Order:
    return Order(
        client_order_id=ClientOrderId(f"ord-{n}"),
        ts=T0,
        symbol=Symbol("BTC"),
        side=OrderSide.BUY,
        type=OrderType.MARKET,
        quantity=Decimal("0.001"),
        account=AccountName(account_name),
    )


# -- arming -------------------------------------------------------------------------------------------


def test_paper_needs_no_arming_and_sends_no_real_orders() -> None:
    """R-MODE-1: paper starts without credentials or confirmation."""
    armed = require_armed(Mode.PAPER, CFG, None)
    assert (armed.mode, armed.real_orders) == (Mode.PAPER, False)


def test_phrases_name_the_mode_and_its_limits_from_config() -> None:
    """R-MODE-1: the confirmation is built from the effective limits."""
    assert arming_phrase(Mode.LIVE, CFG) == "ARM LIVE max 415 USD per position 3 positions 100 USD daily loss"
    assert arming_phrase(Mode.TEST, CFG) == "ARM TEST max 100 USD exposure 3 trades per session 20 USD loss"
    assert "max 300 USD" in str(arming_phrase(Mode.LIVE, settings(RISK__MAX_POSITION_USD="300")))


@pytest.mark.parametrize("mode", [Mode.TEST, Mode.LIVE])
def test_real_order_modes_need_credentials_and_the_exact_phrase(mode: Mode) -> None:
    """R-MODE-1: test and live refuse to start without credentials, without a confirmation or with a wrong one."""
    phrase = str(arming_phrase(mode, ARMABLE))
    with pytest.raises(NotArmed, match="exchange_api_key is not set"):
        require_armed(mode, CFG, phrase)
    with pytest.raises(NotArmed, match="must be armed"):
        require_armed(mode, ARMABLE, None)
    with pytest.raises(NotArmed, match="does not match"):
        require_armed(mode, ARMABLE, phrase.replace("ARM", "arm"))
    armed = require_armed(mode, ARMABLE, f"  {phrase}  ")
    assert armed.real_orders
    assert armed.limits["max_position_usd"] == "415"


def test_blank_secret_does_not_count_as_a_credential() -> None:
    blank = ARMABLE.model_copy(
        update={"secrets": ARMABLE.secrets.model_copy(update={"exchange_api_secret": SecretStr(" ")})}
    )
    with pytest.raises(NotArmed, match="exchange_api_secret"):
        require_armed(Mode.LIVE, blank, arming_phrase(Mode.LIVE, blank))


# -- paper never reaches an exchange ------------------------------------------------------------------


def test_paper_mode_refuses_to_wrap_a_broker_that_sends_real_orders() -> None:
    """R-MODE-1: in paper mode a real-order broker cannot even be wired; nothing reaches it."""
    exchange = RecordingBroker(sends_real_orders=True)
    with pytest.raises(ModeViolation, match="paper mode cannot wrap"):
        ModeGuardBroker(exchange, Mode.PAPER)
    assert exchange.received == []


@pytest.mark.parametrize("declaration", [None, "no", 0])
def test_a_broker_that_does_not_declare_is_refused_in_every_mode(declaration: object) -> None:
    for mode in Mode:
        with pytest.raises(ModeViolation, match="does not declare sends_real_orders"):
            ModeGuardBroker(RecordingBroker(declaration), mode)


def test_paper_broker_is_wrapped_and_a_later_change_of_declaration_is_caught() -> None:
    """R-MODE-1: the declaration is checked again on every call."""
    paper = RecordingBroker(sends_real_orders=False)
    guard = ModeGuardBroker(paper, Mode.PAPER)
    assert guard.submit(order()).status is OrderStatus.SUBMITTED
    paper.sends_real_orders = True
    with pytest.raises(ModeViolation):
        guard.submit(order(n=2))
    with pytest.raises(ModeViolation):
        guard.cancel(ClientOrderId("ord-1"))
    assert [o.client_order_id for o in paper.received] == ["ord-1"]
    assert paper.calls == 0


def test_live_mode_refuses_a_paper_broker() -> None:
    """R-MODE-1: a live run on a simulating broker would pretend to trade: refused."""
    with pytest.raises(ModeViolation, match="only simulates fills"):
        ModeGuardBroker(RecordingBroker(False), Mode.LIVE)
    assert ModeGuardBroker(RecordingBroker(True), Mode.LIVE).sends_real_orders


# -- test-mode caps, enforced by the gate -------------------------------------------------------------


def _test_eval(requested: str = "50", **fields: object) -> object:
    acct = new_account(Mode.TEST, CFG, T0, Decimal(1660))
    if fields:
        acct = replace(acct, **fields)
    return evaluate_risk(signal(), context(), acct, Decimal(requested), CFG, Mode.TEST, T0)


def test_test_mode_caps_total_exposure_at_100_usd() -> None:
    """R-MODE-1: test mode's total exposure $100: $60 open leaves $40; $100 open refuses."""
    open_60 = (OpenExposure("p1", "ETH", Decimal(60), T0),)
    decision = _test_eval("415", open_positions=open_60)
    assert decision.approved
    assert decision.notional_usd == Decimal("40.00")
    assert decision.evidence["capped_by"] == "R-MODE-1 exposure"
    full = _test_eval(open_positions=(OpenExposure("p1", "ETH", Decimal(100), T0),))
    assert (full.layer, full.reason) == (RiskLayer.GLOBAL, DenyReason.TEST_MODE_CAP)


def test_test_mode_third_trade_of_a_session_passes_and_fourth_refuses() -> None:
    """R-MODE-1: 3 trades a session in test mode."""
    assert _test_eval(session_trades=2).approved
    decision = _test_eval(session_trades=3)
    assert decision.reason is DenyReason.TEST_MODE_CAP
    assert decision.evidence["limit"] == 3


def test_test_mode_session_loss_of_20_usd_stops_it() -> None:
    """R-MODE-1: the $20 loss limit: $19.99 lost still trades (sized to the $0.01 left), $20 refuses."""
    nearly = _test_eval(session_net_pnl_usd=Decimal("-19.99"))
    assert nearly.approved
    assert nearly.notional_usd == Decimal("3.33")  # 0.01 / 0.003 stop
    assert _test_eval(session_net_pnl_usd=Decimal("-20")).reason is DenyReason.TEST_MODE_CAP


def test_paper_mode_has_no_test_caps() -> None:
    acct = account(open_positions=(OpenExposure("p1", "ETH", Decimal(100), T0),), session_trades=3)
    assert evaluate_risk(signal(), context(), acct, Decimal(50), CFG, Mode.PAPER, T0).approved


def test_test_mode_session_loss_follows_closed_positions() -> None:
    """R-MODE-1: the session loss comes from closed positions' net P&L."""
    acct = new_account(Mode.TEST, CFG, T0, Decimal(1660))
    acct = on_position_closed(acct, position("p", pnl="-20", closed_at=T0), T0, CFG)
    decision = evaluate_risk(signal(), context(), acct, Decimal(50), CFG, Mode.TEST, T0)
    assert decision.reason is DenyReason.TEST_MODE_CAP


# -- read-only ledger ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cold", "Cold", " COLD ", "cold\t"])
def test_order_on_the_read_only_ledger_is_refused_and_never_forwarded(name: str) -> None:
    """R-LEDGER-1: whatever the spelling, an order on the cold ledger raises and never reaches the broker."""
    inner = RecordingBroker(False)
    broker = ReadOnlyLedgerBroker.from_config(inner, CFG.risk)
    with pytest.raises(LedgerRefusal, match="R-LEDGER-1") as caught:
        broker.submit(order(name))
    assert isinstance(caught.value, OrderRefused)
    assert inner.received == []
    assert broker.submit(order("hot")).status is OrderStatus.SUBMITTED
    assert [o.account for o in inner.received] == ["hot"]


def test_ledger_guard_takes_settings_risk_config_or_names() -> None:
    """R-LEDGER-1: however it is built, the guard refuses the cold ledger; a wrong argument is a clear error."""
    for source in (CFG, CFG.risk, ["cold"]):
        inner = RecordingBroker(False)
        with pytest.raises(LedgerRefusal):
            ReadOnlyLedgerBroker(inner, source).submit(order("cold"))
        assert inner.received == []
    with pytest.raises(TypeError, match="must be text"):
        ReadOnlyLedgerBroker(RecordingBroker(False), [("cold", 1)])  # type: ignore[list-item]


def test_transfers_from_the_read_only_ledger_are_refused() -> None:
    """R-LEDGER-1: no transfer path may move the cold ledger."""
    with pytest.raises(LedgerRefusal, match="no transfer"):
        assert_transfer_allowed("cold", CFG.risk)
    assert_transfer_allowed("hot", CFG.risk)


def test_ledger_is_monitored_with_its_balance() -> None:
    """R-LEDGER-1: the $6,600 cold ledger is listed, read-only."""
    rows = {(a.name, a.balance_usd, a.read_only) for a in ledger_summary(CFG)}
    assert rows == {("hot", Decimal(1660), False), ("cold", Decimal(6600), True)}


def test_config_refuses_a_read_only_trading_account() -> None:
    """R-LEDGER-1: the trading account cannot be one of the read-only ones, in any spelling."""
    with pytest.raises(ConfigError, match="is marked read-only"):
        load_settings(env={"BIGALPHA__RISK__TRADING_ACCOUNT": "COLD"})
