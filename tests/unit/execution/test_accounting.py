"""Perpetual-futures accounting (P-PERP-1): brackets, liquidation price, funding, P&L."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bigalpha.config import load_settings
from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    Fill,
    Liquidity,
    OrderSide,
    Position,
    PositionId,
    Side,
    Symbol,
)
from bigalpha.execution.accounting import (
    bracket_for,
    brackets,
    funding_payment,
    initial_margin,
    liquidation_price,
    maintenance_margin,
    unrealized_pnl,
)
from bigalpha.execution.portfolio import (
    Wallet,
    add_entry_fill,
    apply_exit_fill,
    apply_funding,
    equity,
    net_pnl,
    wallet_after,
)

TABLE = brackets(load_settings(env={}).execution.maintenance_tiers)
T0 = datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_binance_faq_bracket_examples() -> None:
    """P-PERP-1, Binance's FAQ: a 264,000 USDT BTCUSDT position has MMR 1%; a 500,000 USDT one has a
    maintenance amount of 1,300 USDT (= 250,000 × (1% − 0.5%) + 50)."""
    assert bracket_for(Decimal(264_000), TABLE).maintenance_rate == Decimal("0.01")
    assert bracket_for(Decimal(500_000), TABLE).maintenance_amount == Decimal(1300)
    assert bracket_for(Decimal(100_000), TABLE).maintenance_amount == Decimal(50)
    assert bracket_for(Decimal(10_000), TABLE).maintenance_amount == Decimal(0)


def test_isolated_long_worked_example() -> None:
    """P-PERP-1: 1 BTC long at 10,000 with 1,000 margin (10×), tier 1 (MMR 0.4%, cum 0):
    LP = (1000 + 0 − 10000) / (0.004 − 1) = 9036.144578…"""
    price = liquidation_price(Side.LONG, Decimal(1), Decimal(10_000), Decimal(1_000), TABLE)
    assert price.quantize(Decimal("0.000001")) == Decimal("9036.144578")


def test_isolated_short_worked_example() -> None:
    """P-PERP-1: 1 BTC short at 10,000 with 1,000 margin: LP = (1000 + 10000) / (0.004 + 1) = 10956.17529…"""
    price = liquidation_price(Side.SHORT, Decimal(1), Decimal(10_000), Decimal(1_000), TABLE)
    assert price.quantize(Decimal("0.00001")) == Decimal("10956.17530")


def test_bracket_is_re_evaluated_at_the_liquidation_price() -> None:
    """P-PERP-1: a 2 BTC short at 100,000 (notional 200,000, tier 2) liquidates above 250,000 notional's
    floor? Its LP notional decides the bracket: the returned price satisfies its own bracket."""
    price = liquidation_price(Side.SHORT, Decimal(2), Decimal(100_000), Decimal(100_000), TABLE)
    used = bracket_for(Decimal(2) * price, TABLE)
    margin_at_lp = Decimal(100_000) + unrealized_pnl(Side.SHORT, Decimal(2), Decimal(100_000), price)
    assert abs(margin_at_lp - maintenance_margin(Decimal(2) * price, TABLE)) < Decimal("1e-9")
    assert used.maintenance_rate == Decimal("0.01")


@settings(max_examples=500, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3),
    entry=st.decimals(min_value=Decimal(1), max_value=Decimal(200_000), places=2),
    leverage=st.integers(min_value=1, max_value=100),
)
def test_liquidation_price_is_where_margin_meets_maintenance(
    side: Side, quantity: Decimal, entry: Decimal, leverage: int
) -> None:
    """P-PERP-1 property: at the liquidation price, margin + unrealized P&L equals the maintenance margin
    of the notional there (the stated formula's defining equation)."""
    margin = initial_margin(quantity * entry, leverage)
    # An exchange refuses a leverage whose margin is below the maintenance margin (it would liquidate at once).
    assume(margin > maintenance_margin(quantity * entry, TABLE))
    price = liquidation_price(side, quantity, entry, margin, TABLE)
    assume(price > 0)
    balance = margin + unrealized_pnl(side, quantity, entry, price)
    assert abs(balance - maintenance_margin(quantity * price, TABLE)) <= Decimal("1e-12") * quantity * entry
    if side is Side.LONG:
        assert price < entry
    else:
        assert price > entry


def test_longs_pay_positive_funding_and_shorts_receive_it() -> None:
    """P-PERP-1: funding = side × quantity × mark × rate."""
    assert funding_payment(Side.LONG, Decimal(2), Decimal(100), Decimal("0.0001")) == Decimal("0.0200")
    assert funding_payment(Side.SHORT, Decimal(2), Decimal(100), Decimal("0.0001")) == Decimal("-0.0200")


def _position(side: Side = Side.LONG) -> Position:
    return Position(
        id=PositionId("pos-1"),
        symbol=Symbol("BTC"),
        side=side,
        account=AccountName("hot"),
        opened_at=T0,
        entry_price=Decimal(0),
        quantity=Decimal(0),
        initial_quantity=Decimal(0),
        leverage=3,
        margin=Decimal(0),
        stop_price=Decimal(0),
        targets=(),
    )


def _fill(price: str, quantity: str, fee: str, side: OrderSide = OrderSide.BUY) -> Fill:
    return Fill(
        ClientOrderId("o"), T0, Symbol("BTC"), side, Decimal(price), Decimal(quantity), Decimal(fee), Liquidity.TAKER
    )


def test_entry_fills_average_their_prices() -> None:
    position = add_entry_fill(add_entry_fill(_position(), _fill("100", "1", "0.05")), _fill("110", "3", "0.165"))
    assert position.entry_price == Decimal("107.5")
    assert position.quantity == Decimal(4)
    assert position.margin == Decimal("107.5") * 4 / 3
    assert position.fees_paid == Decimal("0.215")


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=2)


@settings(max_examples=400, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    entry=money,
    exits=st.lists(money, min_size=1, max_size=4),
    rates=st.lists(st.decimals(min_value=Decimal("-0.003"), max_value=Decimal("0.003"), places=6), max_size=3),
    mark=money,
)
def test_fees_funding_and_pnl_add_up(
    side: Side, entry: Decimal, exits: list[Decimal], rates: list[Decimal], mark: Decimal
) -> None:
    """P-PERP-1 property: the wallet's change equals the positions' net P&L (realized − fees − funding), and
    equity = balance + unrealized at the marks."""
    fee_rate = Decimal("0.0005")
    quantity = Decimal(len(exits))
    entry_side = OrderSide.BUY if side is Side.LONG else OrderSide.SELL
    exit_side = OrderSide.SELL if side is Side.LONG else OrderSide.BUY
    entry_fee = entry * quantity * fee_rate
    position = add_entry_fill(_position(side), _fill(str(entry), str(quantity), str(entry_fee), entry_side))
    wallet = wallet_after(Wallet(Decimal(1660)), fee=entry_fee)
    for rate in rates:
        position, paid = apply_funding(position, mark, rate)
        wallet = wallet_after(wallet, funding=paid)
    unrealized = unrealized_pnl(side, position.quantity, position.entry_price, mark)
    assert equity(wallet, [position], {Symbol("BTC"): mark}) == wallet.balance + unrealized
    for price in exits:
        fee = price * fee_rate
        position, realized = apply_exit_fill(position, _fill(str(price), "1", str(fee), exit_side), reason="t", at=T0)
        wallet = wallet_after(wallet, realized=realized, fee=fee)
    assert position.quantity == 0
    assert position.closed_at == T0
    assert wallet.balance - Decimal(1660) == net_pnl(position)
    assert equity(wallet, [position], {}) == wallet.balance
