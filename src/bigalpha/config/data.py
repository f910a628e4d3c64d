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


def _default_plan_min_interval() -> dict[CoinGlassPlan, int]:
    return {
        CoinGlassPlan.HOBBYIST: 4 * 3600,
        CoinGlassPlan.STARTUP: 30 * 60,
        CoinGlassPlan.STANDARD: 60,
        CoinGlassPlan.PROFESSIONAL: 60,
        CoinGlassPlan.ENTERPRISE: 60,
    }


def _default_endpoint_min_plan() -> dict[str, CoinGlassPlan]:
    # Only the gated endpoints are listed; every other one is served from Hobbyist up (API_NOTES §0.1).
    return {
        "/api/futures/liquidation/aggregated-heatmap/model1": CoinGlassPlan.PROFESSIONAL,
        "/api/futures/cvd/history": CoinGlassPlan.STARTUP,
        "/api/futures/aggregated-cvd/history": CoinGlassPlan.STARTUP,
    }


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
    max_retry_wait_s: PositiveSeconds = Field(
        60.0, description="D-CG-4: a Retry-After longer than this is not waited for; the call is unavailable"
    )
    plan_min_interval_s: dict[CoinGlassPlan, int] = Field(
        default_factory=_default_plan_min_interval,
        description="D-CG-5: shortest history interval (seconds) each plan serves (Hobbyist 4h, Startup 30m)",
    )
    endpoint_min_plan: dict[str, CoinGlassPlan] = Field(
        default_factory=_default_endpoint_min_plan,
        description="D-CG-5: cheapest plan serving each gated endpoint (heatmap: Professional; CVD: Startup)",
    )
    interval: str = Field(
        "5m",
        pattern=r"^[0-9]+[mhdw]$",
        description="D-CG-5: history interval asked for; the guards need 5-minute data (A-OI-1, A-TAKER-1)",
    )
    taker_range: str = Field(
        "5m", pattern=r"^[0-9]+[mhd]$", description="A-TAKER-1: window of the taker buy/sell exchange list"
    )
    heatmap_range: str = Field("12h", description="D-CG-1: range of the liquidation heatmap")
    heatmap_recent_columns: int = Field(
        3, ge=1, le=100, description="A-LIQ-1: a level's value is its max over this many newest heatmap columns"
    )
    exchange_list: str = Field(
        "Binance,OKX,Bybit", min_length=1, description="D-CG-1: exchanges aggregated by coin-level endpoints"
    )
    pair_exchange: str = Field("Binance", min_length=1, description="D-CG-1: exchange asked by pair-level endpoints")
    pair_template: str = Field(
        "{symbol}USDT", description="D-CG-1: instrument id of a symbol on pair_exchange ({symbol} is the base asset)"
    )
    option_exchange: str = Field("Deribit", description="D-CG-1: options exchange of the max-pain endpoint")
    funding_exchanges: list[str] = Field(
        default_factory=lambda: ["Binance", "OKX"],
        min_length=1,
        description="R-T-2: exchanges whose funding is kept from the funding exchange list",
    )


def _default_providers() -> dict[DataKind, list[str]]:
    # Exchange-native sources come after CoinGlass so every guard is served on any plan, or none.
    return {
        DataKind.CANDLES: ["exchange"],
        DataKind.TRADES: ["exchange"],
        # CoinGlass serves depth totals, not price levels: walls (A-OB-1) need the exchange's book.
        DataKind.ORDER_BOOK: ["exchange"],
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


# Which data kinds each provider name can serve (D-SRC-1); a chain naming any other pair is refused at start-up.
PROVIDER_KINDS: dict[str, frozenset[DataKind]] = {
    "coinglass": frozenset(
        {
            DataKind.OPEN_INTEREST,
            DataKind.LIQUIDATION_HEATMAP,
            DataKind.LONG_SHORT_RATIO,
            DataKind.TAKER_VOLUME,
            DataKind.CVD,
            DataKind.MAX_PAIN,
            DataKind.FEAR_GREED,
            DataKind.FUNDING,
        }
    ),
    "exchange": frozenset(
        {
            DataKind.CANDLES,
            DataKind.TRADES,
            DataKind.ORDER_BOOK,
            DataKind.OPEN_INTEREST,
            DataKind.LONG_SHORT_RATIO,
            DataKind.TAKER_VOLUME,
            DataKind.CVD,
            DataKind.FUNDING,
        }
    ),
    "deribit": frozenset({DataKind.MAX_PAIN}),
    "alternative_me": frozenset({DataKind.FEAR_GREED}),
    "aave": frozenset({DataKind.HEALTH_FACTOR}),
    "solana": frozenset({DataKind.PRIORITY_FEES}),
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
    jito_tip_field: str = Field(
        "landed_tips_50th_percentile", min_length=1, description="D-SOL-1: tip-floor percentile used (in SOL)"
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
    fetch_timeout_s: PositiveSeconds = Field(
        15.0, description="D-FAILOPEN: a provider call slower than this is abandoned as unavailable"
    )
    snapshot_wait_s: PositiveSeconds = Field(
        5.0, description="Live feed: longest wait for fresh values before a snapshot is assembled without them"
    )
    max_age_s: PositiveSeconds = Field(
        600.0, description="D-SRC-1: a provider's value older than this counts as a failure and the next is tried"
    )
    candles_limit: int = Field(10, ge=1, le=1000, description="D-EX-1: 1-minute candles fetched per poll")
    trades_limit: int = Field(500, ge=1, le=1000, description="D-SRC-1: recent trades fetched per poll (whale CVD)")
    book_depth: int = Field(100, ge=5, le=1000, description="D-EX-1: order-book levels fetched per side (walls)")
    exchange_rate_limit: bool = Field(
        True, description="D-EX-1: let ccxt pace requests to each exchange's published rate limit"
    )
    exchange_urls: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="D-EX-1: per ccxt exchange id, replacements for entries of its urls['api'] (stand-ins, proxies)",
    )
    required_kinds: list[DataKind] = Field(
        default_factory=lambda: [DataKind.FUNDING],
        description="R-STALE-1: kinds the risk gate cannot trade without; `data check` fails when one is not served",
    )
    alternative_me_url: str = Field(
        "https://api.alternative.me/fng/", description="A-FG-1: alternative.me fear & greed fallback"
    )
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

    @model_validator(mode="after")
    def _providers_can_serve_their_kind(self) -> DataConfig:
        for kind, names in self.providers.items():
            for name in names:
                served = PROVIDER_KINDS.get(name)
                if served is None:
                    raise ValueError(
                        f"providers[{kind.value}]: unknown provider {name!r}; known: {', '.join(sorted(PROVIDER_KINDS))}"
                    )
                if kind not in served:
                    raise ValueError(
                        f"providers[{kind.value}]: provider {name!r} cannot serve {kind.value}; it serves "
                        f"{', '.join(sorted(k.value for k in served))}"
                    )
        return self
