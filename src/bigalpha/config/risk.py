"""Risk-gate settings (R-* rules): the limits that protect real money. Money is Decimal."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from bigalpha.config._base import Fraction, Section

# The data kinds whose age a `MarketContext` reports (its `ages_s` keys) and the risk gate can check.
STALE_FEEDS = frozenset(
    {
        "funding",
        "open_interest",
        "long_short_ratio",
        "health_factor",
        "order_book",
        "liquidation_heatmap",
        "max_pain",
        "fear_greed",
        "priority_fees",
    }
)


class TestModeCaps(Section):
    """Caps of test mode: real orders, capped (R-MODE-1)."""

    max_total_exposure_usd: Decimal = Field(
        Decimal(100), gt=0, description="R-MODE-1: test mode's total open notional cap (USD)"
    )
    max_trades_per_session: int = Field(3, ge=1, description="R-MODE-1: test mode's trades per session")
    session_loss_limit_usd: Decimal = Field(
        Decimal(20), gt=0, description="R-MODE-1: test mode's session loss limit (USD)"
    )


class ReadOnlyAccount(Section):
    """An account that is monitored only (R-LEDGER-1)."""

    name: str = Field(min_length=1, description="R-LEDGER-1: the account's name, as orders name it")
    balance_usd: Decimal = Field(ge=0, description="R-LEDGER-1: the balance shown for monitoring")


class RiskConfig(Section):
    """The four layers (global, tactical, macro, kill switch), sizing and modes."""

    # Layer 1: global limits
    max_position_usd: Decimal = Field(Decimal(415), gt=0, description="R-G-1: max position notional (USD)")
    max_stop_pct: Fraction = Field(0.05, description="R-G-2: max stop distance from entry")
    daily_loss_limit_usd: Decimal = Field(Decimal(100), gt=0, description="R-G-3: daily realized loss limit (USD)")
    max_concurrent_positions: int = Field(3, ge=1, description="R-G-4: at most this many open positions")
    # Layer 2: tactical
    max_short_share: dict[str, float] = Field(
        default_factory=lambda: {"BTC": 0.54, "SOL": 0.53, "XRP": 0.53},
        description="R-T-1: no shorts when the short share of accounts is above this, per symbol",
    )
    default_max_short_share: Fraction = Field(
        0.54, description="R-T-1: the short-share limit of a symbol not listed in max_short_share"
    )
    funding_divergence_bps: float = Field(
        0.25, ge=0, description="R-T-2: funding divergence between exchanges above this (bps) refuses shorts"
    )
    oi_change_pct: Fraction = Field(0.03, description="R-T-3: open-interest change above this cuts size")
    oi_change_multiplier: float = Field(0.8, gt=0, le=1, description="R-T-3: size multiplier (−20%)")
    # Layer 3: macro
    health_factor_min_entry: float = Field(
        2.20, gt=1, description="R-M-1: Aave health factor below this refuses new entries"
    )
    max_trades_per_day: int = Field(6, ge=1, description="R-M-2: at most this many trades a day")
    pause_after_consecutive_losses: int = Field(
        2, ge=1, description="R-M-3: this many consecutive losses pause trading until a person resumes it"
    )
    # Layer 4: kill switch
    kill_drawdown_pct: Fraction = Field(
        0.012, description="R-K-1: session drawdown above this (of the hot wallet's start equity) halts trading"
    )
    kill_consecutive_losses: int = Field(5, ge=1, description="R-K-2: this many consecutive losses halt trading")
    health_factor_flatten: float = Field(
        2.00, gt=1, description="R-K-3: Aave health factor below this flattens every position"
    )
    stale_data_max_age_s: float = Field(
        600.0, gt=0, description="R-STALE-1: data older than this (seconds) stands the gate down"
    )
    stale_checked_feeds: list[str] = Field(
        default_factory=lambda: ["funding", "open_interest", "long_short_ratio", "health_factor"],
        min_length=1,
        description="R-STALE-1 (decided): the feeds the risk gate needs; each must be present and fresh for any entry",
    )
    health_factor_required: bool = Field(
        True,
        description="R-M-1 / R-K-3 (decided): false when the trading account has no Aave loan; the health factor "
        "is then neither required nor checked",
    )
    min_order_usd: Decimal = Field(
        Decimal(1),
        gt=0,
        description="R-G-1 (decided): an order whose notional after sizing and caps is below this is refused",
    )
    # Sizing
    hot_wallet_usd: Decimal = Field(Decimal(1660), gt=0, description="R-SIZE-1: the hot wallet's equity (USD)")
    base_unit_min_pct: Fraction = Field(0.02, description="R-SIZE-1: base unit, low end (2% of the hot wallet)")
    base_unit_max_pct: Fraction = Field(0.03, description="R-SIZE-1: base unit, high end (3% of the hot wallet)")
    condition_multiplier_min: float = Field(0.3, gt=0, le=1, description="R-SIZE-1: condition multiplier, low end")
    condition_multiplier_max: float = Field(0.6, gt=0, le=1, description="R-SIZE-1: condition multiplier, high end")
    # Accounts and modes
    read_only_accounts: list[ReadOnlyAccount] = Field(
        default_factory=lambda: [ReadOnlyAccount(name="cold", balance_usd=Decimal(6600))],
        description="R-LEDGER-1: accounts no code path may trade or move (the $6,600 cold ledger)",
    )
    trading_account: str = Field("hot", min_length=1, description="R-LEDGER-1: the account orders are placed for")
    test_mode: TestModeCaps = TestModeCaps()
    day_start_utc_hour: int = Field(
        0, ge=0, le=23, description="R-G-3 / R-M-2 (decided): a trading day starts at this hour, UTC"
    )

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> RiskConfig:
        if self.base_unit_min_pct > self.base_unit_max_pct:
            raise ValueError(
                f"base_unit_min_pct ({self.base_unit_min_pct}) must not exceed base_unit_max_pct "
                f"({self.base_unit_max_pct})"
            )
        if self.condition_multiplier_min > self.condition_multiplier_max:
            raise ValueError(
                f"condition_multiplier_min ({self.condition_multiplier_min}) must not exceed "
                f"condition_multiplier_max ({self.condition_multiplier_max})"
            )
        if self.health_factor_flatten > self.health_factor_min_entry:
            raise ValueError(
                f"health_factor_flatten ({self.health_factor_flatten}) must not exceed "
                f"health_factor_min_entry ({self.health_factor_min_entry})"
            )
        if self.pause_after_consecutive_losses > self.kill_consecutive_losses:
            raise ValueError(
                f"pause_after_consecutive_losses ({self.pause_after_consecutive_losses}) must not exceed "
                f"kill_consecutive_losses ({self.kill_consecutive_losses})"
            )
        for symbol, share in self.max_short_share.items():
            if not 0 < share < 1:
                raise ValueError(f"max_short_share[{symbol!r}] = {share} must be between 0 and 1")
        if self.trading_account.strip().casefold() in {a.name.strip().casefold() for a in self.read_only_accounts}:
            raise ValueError(f"trading_account {self.trading_account!r} is marked read-only")
        if self.test_mode.max_total_exposure_usd > self.max_position_usd * self.max_concurrent_positions:
            raise ValueError("test_mode.max_total_exposure_usd must not exceed the live limits")
        unknown = sorted(set(self.stale_checked_feeds) - STALE_FEEDS)
        if unknown:
            raise ValueError(f"stale_checked_feeds: unknown feed(s) {unknown}; known: {sorted(STALE_FEEDS)}")
        if self.min_order_usd > self.max_position_usd:
            raise ValueError(
                f"min_order_usd ({self.min_order_usd}) must not exceed max_position_usd ({self.max_position_usd})"
            )
        return self

    def short_share_limit(self, symbol: str) -> float:
        """R-T-1's limit for `symbol`."""
        return self.max_short_share.get(symbol, self.default_max_short_share)
