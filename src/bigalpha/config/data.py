"""Market-data settings: sources, the CoinGlass client, chain readers (D-* rules)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from bigalpha.config._base import PositiveSeconds, Section


class CoinGlassPlan(StrEnum):
    """CoinGlass V4 subscription plans, cheapest first (D-CG-5)."""

    HOBBYIST = "hobbyist"
    STARTUP = "startup"
    STANDARD = "standard"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class DataKind(StrEnum):
    """Every kind of market data a guard, the risk gate or a setup consumes."""

    CANDLES = "candles"
    TRADES = "trades"
    ORDER_BOOK = "order_book"
    OPEN_INTEREST = "open_interest"
    LIQUIDATION_HEATMAP = "liquidation_heatmap"
    LONG_SHORT_RATIO = "long_short_ratio"
    TAKER_VOLUME = "taker_volume"
    CVD = "cvd"
    MAX_PAIN = "max_pain"
    FEAR_GREED = "fear_greed"
    FUNDING = "funding"
    HEALTH_FACTOR = "health_factor"
    PRIORITY_FEES = "priority_fees"


class RateLimit(Section):
    """One process-wide limiter for CoinGlass (D-CG-2)."""

    min_spacing_s: PositiveSeconds = Field(
        2.5, description="D-CG-2: at least this many seconds between two CoinGlass calls"
    )
    max_calls_per_minute: int = Field(
        30, ge=1, le=6000, description="D-CG-2: at most this many CoinGlass calls per rolling minute"
    )


class CacheTtl(Section):
    """Time-to-live of cached CoinGlass responses, per data kind (D-CG-3)."""

    heatmap_s: PositiveSeconds = Field(300.0, description="D-CG-3: liquidation heatmap cache TTL (5 min)")
    open_interest_s: PositiveSeconds = Field(60.0, description="D-CG-3: open interest cache TTL (1 min)")
    max_pain_s: PositiveSeconds = Field(300.0, description="D-CG-3: option max pain cache TTL (5 min)")
    orderbook_s: PositiveSeconds = Field(60.0, description="D-CG-3: order-book cache TTL (1 min)")
    fear_greed_s: PositiveSeconds = Field(600.0, description="D-CG-3: fear & greed cache TTL (10 min)")
    default_s: PositiveSeconds = Field(300.0, description="D-CG-3: every other CoinGlass data kind (5 min)")


class CoinGlassConfig(Section):
    """The CoinGlass V4 client (D-CG-1 … D-CG-5). The API key is a secret, never set here."""

    enabled: bool = Field(True, description="D-CG-1: use CoinGlass when an API key is present")
    base_url: str = Field("https://open-api-v4.coinglass.com", description="D-CG-1: API V4 base URL")
    plan: CoinGlassPlan | None = Field(
        None,
        description="D-CG-5: the key's plan; None reads it from /api/user/account/subscription at start-up",
    )
    timeout_s: PositiveSeconds = Field(10.0, description="D-CG-4: time-out of one HTTP call")
    max_retries: int = Field(3, ge=0, le=10, description="D-CG-4: retries on HTTP 429 and 5xx")
    backoff_base_s: PositiveSeconds = Field(
        1.0, description="D-CG-4: first backoff when no Retry-After is given; doubles each retry"
    )
    rate_limit: RateLimit = RateLimit()
    plan_rate_limits: dict[CoinGlassPlan, RateLimit] = Field(
        default_factory=lambda: {
            CoinGlassPlan.HOBBYIST: RateLimit(min_spacing_s=2.5, max_calls_per_minute=30),
            CoinGlassPlan.STARTUP: RateLimit(min_spacing_s=0.75, max_calls_per_minute=80),
            CoinGlassPlan.STANDARD: RateLimit(min_spacing_s=0.2, max_calls_per_minute=300),
            CoinGlassPlan.PROFESSIONAL: RateLimit(min_spacing_s=0.05, max_calls_per_minute=1200),
            CoinGlassPlan.ENTERPRISE: RateLimit(min_spacing_s=0.05, max_calls_per_minute=1200),
        },
        description="D-CG-2: rate limit per plan; the detected plan's entry replaces `rate_limit`",
    )
    cache_ttl: CacheTtl = CacheTtl()


def _default_providers() -> dict[DataKind, list[str]]:
    # Exchange-native sources come after CoinGlass so every guard is served on any plan, or none.
    return {
        DataKind.CANDLES: ["exchange"],
        DataKind.TRADES: ["exchange"],
        DataKind.ORDER_BOOK: ["coinglass", "exchange"],
        DataKind.OPEN_INTEREST: ["coinglass", "exchange"],
        DataKind.LIQUIDATION_HEATMAP: ["coinglass"],
        DataKind.LONG_SHORT_RATIO: ["coinglass", "exchange"],
        DataKind.TAKER_VOLUME: ["coinglass", "exchange"],
        DataKind.CVD: ["exchange", "coinglass"],
        DataKind.MAX_PAIN: ["coinglass", "deribit"],
        DataKind.FEAR_GREED: ["coinglass", "alternative_me"],
        DataKind.FUNDING: ["exchange", "coinglass"],
        DataKind.HEALTH_FACTOR: ["aave"],
        DataKind.PRIORITY_FEES: ["solana"],
    }


class AaveConfig(Section):
    """Aave v3 health factor reader (D-AAVE-1). The RPC URL may carry a key: it is a secret."""

    enabled: bool = Field(False, description="D-AAVE-1: read the wallet's Aave v3 health factor")
    pool_address: str = Field(
        "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="D-AAVE-1: Aave v3 Pool contract (Ethereum mainnet by default)",
    )
    wallet_address: str | None = Field(
        None, pattern=r"^0x[0-9a-fA-F]{40}$", description="D-AAVE-1: the wallet whose health factor is read"
    )
    timeout_s: PositiveSeconds = Field(10.0, description="D-AAVE-1: JSON-RPC call time-out")


class SolanaConfig(Section):
    """Solana priority fees and Jito tips (D-SOL-1)."""

    enabled: bool = Field(False, description="D-SOL-1: read Solana priority fees and Jito tips")
    jito_tip_url: str = Field(
        "https://bundles.jito.wtf/api/v1/bundles/tip_floor", description="D-SOL-1: Jito tip-floor endpoint"
    )
    timeout_s: PositiveSeconds = Field(10.0, description="D-SOL-1: JSON-RPC call time-out")


class DataConfig(Section):
    """Where market data comes from."""

    symbols: list[str] = Field(
        default_factory=lambda: ["BTC", "ETH", "SOL", "XRP"],
        min_length=1,
        description="Base assets traded, each as a USDT-margined perpetual",
    )
    exchanges: list[str] = Field(
        default_factory=lambda: ["binanceusdm", "okx"],
        min_length=1,
        description="D-EX-1: ccxt exchange ids; the first executes orders, the second serves funding divergence",
    )
    providers: dict[DataKind, list[str]] = Field(
        default_factory=_default_providers,
        description="D-SRC-1: ordered providers per data kind; the first that serves wins",
    )
    record_snapshots: bool = Field(
        True, description="D-REC-1: record every market snapshot a decision used, for replay"
    )
    poll_interval_s: PositiveSeconds = Field(60.0, description="Live feed: seconds between two snapshots of one symbol")
    coinglass: CoinGlassConfig = CoinGlassConfig()
    aave: AaveConfig = AaveConfig()
    solana: SolanaConfig = SolanaConfig()

    @model_validator(mode="after")
    def _symbols_are_unique_and_upper(self) -> DataConfig:
        for symbol in self.symbols:
            if not symbol.isalnum() or symbol != symbol.upper():
                raise ValueError(f"symbol {symbol!r} must be an upper-case base asset such as 'BTC'")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"symbols {self.symbols} contain a duplicate")
        return self
