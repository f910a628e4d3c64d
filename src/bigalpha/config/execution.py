"""Execution settings: the paper broker and perpetual-futures margin tiers (P-PERP-1)."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from pydantic import Field, model_validator

from bigalpha.config._base import Section


class MarginTier(Section):
    """One maintenance-margin bracket: from `floor_usd` of position notional upward, this rate applies."""

    floor_usd: Decimal = Field(ge=0, description="P-PERP-1: lower edge of the bracket (position notional, USD)")
    maintenance_rate: Decimal = Field(gt=0, lt=1, description="P-PERP-1: maintenance margin rate of the bracket")


def _binance_btcusdt_tiers() -> list[MarginTier]:
    # Binance USDⓈ-M BTCUSDT brackets as its public liquidation-price FAQ states them (0.4% to 50%).
    rows = [
        (0, "0.004"),
        (50_000, "0.005"),
        (250_000, "0.01"),
        (1_000_000, "0.025"),
        (10_000_000, "0.05"),
        (20_000_000, "0.1"),
        (50_000_000, "0.125"),
        (100_000_000, "0.15"),
        (200_000_000, "0.25"),
        (300_000_000, "0.5"),
    ]
    return [MarginTier(floor_usd=Decimal(floor), maintenance_rate=Decimal(rate)) for floor, rate in rows]


class ExecutionConfig(Section):
    """How orders are filled when bigalpha simulates the exchange, and the margin model it accounts with."""

    paper_latency_ms: int = Field(
        50, ge=0, le=60_000, description="R-MODE-1 (paper): time from submission to a paper fill, in ms"
    )
    paper_slippage_bps: float = Field(
        2.0, ge=0, le=500, description="P-PERP-1 (paper): slippage of a market fill when no order book is known"
    )
    paper_book_share: float = Field(
        1.0,
        gt=0,
        le=1,
        description="P-PERP-1 (paper): share of each displayed order-book level the paper broker may take; below 1 "
        "models the queue ahead of us, so orders larger than that share of the book fill partially over ticks",
    )
    paper_starting_balance_usd: Decimal = Field(
        Decimal(1660), gt=0, description="R-SIZE-1: paper account's starting wallet balance (the hot wallet)"
    )
    quantity_step: Decimal = Field(
        Decimal("0.000001"), gt=0, description="P-PERP-1: order quantities are rounded down to this step"
    )
    maintenance_tiers: list[MarginTier] = Field(
        default_factory=_binance_btcusdt_tiers,
        min_length=1,
        description="P-PERP-1: maintenance-margin brackets used for liquidation prices (Binance BTCUSDT)",
    )

    @model_validator(mode="after")
    def _tiers_ascend(self) -> ExecutionConfig:
        tiers = self.maintenance_tiers
        if tiers[0].floor_usd != 0:
            raise ValueError(f"the first maintenance tier must start at 0 USD, not {tiers[0].floor_usd}")
        for lower, upper in pairwise(tiers):
            if not (lower.floor_usd < upper.floor_usd and lower.maintenance_rate < upper.maintenance_rate):
                raise ValueError(
                    "maintenance tiers must ascend in floor and rate: "
                    f"{lower.floor_usd}@{lower.maintenance_rate} then {upper.floor_usd}@{upper.maintenance_rate}"
                )
        return self
