"""CoinGlass as a provider of each data kind it serves (D-SRC-1), mapped into domain values.

`as_of` is the data's own time: the newest row's bucket time for histories, the newest heatmap candle,
the moment CoinGlass answered for payloads without a time (taker window, funding list, max pain).
Funding is converted from CoinGlass's percent per interval to a fraction per interval, as ccxt gives it.
"""

from __future__ import annotations

from typing import Any

from bigalpha.config.data import DataKind
from bigalpha.data.coinglass.api import KIND_ENDPOINTS, CoinGlass
from bigalpha.data.coinglass.client import SOURCE
from bigalpha.data.coinglass.endpoints import interval_seconds
from bigalpha.data.providers import CvdPoint, Provider, Result, TakerFlow, Unavailable
from bigalpha.domain import LiquidationLevel, LongShort, Observed

_PERCENT = 100.0


def coinglass_providers(api: CoinGlass) -> dict[DataKind, Provider[Any]]:
    """One provider per data kind CoinGlass can serve; `check()` applies the plan without a call."""

    def check_for(kind: DataKind) -> Any:
        endpoint, uses_interval = KIND_ENDPOINTS[kind]

        def check() -> str | None:
            refused = api.refusal(endpoint, api.config.interval if uses_interval else None)
            return None if refused is None else refused.reason

        return check

    async def heatmap(symbol: str) -> Result[tuple[LiquidationLevel, ...]]:
        result = await api.heatmap(symbol)
        if isinstance(result, Unavailable):
            return result
        return Observed(result.levels(api.config.heatmap_recent_columns), result.as_of, SOURCE)

    async def open_interest(symbol: str) -> Result[float]:
        rows = await api.open_interest_history(symbol)
        if isinstance(rows, Unavailable):
            return rows
        return Observed(rows[-1].close, rows[-1].ts, SOURCE)

    async def long_short(symbol: str) -> Result[LongShort]:
        rows = await api.long_short_history(symbol)
        if isinstance(rows, Unavailable):
            return rows
        last = rows[-1]
        return Observed(LongShort(last.long_short_ratio, last.short_percent / _PERCENT), last.ts, SOURCE)

    async def taker(symbol: str) -> Result[TakerFlow]:
        received = await api.taker_exchange_list(symbol)
        if isinstance(received, Unavailable):
            return received
        flow = received.value
        window = float(interval_seconds(api.config.taker_range))
        return Observed(TakerFlow(flow.buy_vol_usd, flow.sell_vol_usd, window), received.at, SOURCE)

    async def cvd(symbol: str) -> Result[tuple[CvdPoint, ...]]:
        rows = await api.cvd_history(symbol)
        if isinstance(rows, Unavailable):
            return rows
        points = tuple(CvdPoint(r.ts, r.taker_buy, r.taker_sell) for r in rows)
        return Observed(points, rows[-1].ts, SOURCE)

    async def max_pain(symbol: str) -> Result[float]:
        received = await api.max_pain(symbol)
        if isinstance(received, Unavailable):
            return received
        today = received.at.date()
        upcoming = sorted((e for e in received.value if e.expiry >= today), key=lambda e: e.expiry)
        if not upcoming:
            return Unavailable(f"max pain for {symbol}: every expiry is in the past", SOURCE)
        return Observed(upcoming[0].max_pain_price, received.at, SOURCE)

    async def fear_greed(symbol: str) -> Result[float]:
        del symbol  # one market-wide index
        points = await api.fear_greed_history()
        if isinstance(points, Unavailable):
            return points
        last = max(points, key=lambda point: point.ts)
        return Observed(last.value, last.ts, SOURCE)

    async def funding(symbol: str) -> Result[tuple[tuple[str, float], ...]]:
        received = await api.funding_exchange_list()
        if isinstance(received, Unavailable):
            return received
        coin = next((c for c in received.value if c.symbol.upper() == symbol.upper()), None)
        if coin is None:
            return Unavailable(f"funding list has no entry for {symbol}", SOURCE)
        wanted = {name.lower() for name in api.config.funding_exchanges}
        rates = tuple(
            (entry.exchange, entry.rate_percent / _PERCENT)
            for entry in coin.stablecoin_margin
            if entry.exchange.lower() in wanted and entry.rate_percent is not None
        )
        if not rates:
            return Unavailable(f"funding list has no rate for {symbol} on {', '.join(sorted(wanted))}", SOURCE)
        return Observed(rates, received.at, SOURCE)

    fetchers: dict[DataKind, Any] = {
        DataKind.LIQUIDATION_HEATMAP: heatmap,
        DataKind.OPEN_INTEREST: open_interest,
        DataKind.LONG_SHORT_RATIO: long_short,
        DataKind.TAKER_VOLUME: taker,
        DataKind.CVD: cvd,
        DataKind.MAX_PAIN: max_pain,
        DataKind.FEAR_GREED: fear_greed,
        DataKind.FUNDING: funding,
    }
    return {kind: Provider(SOURCE, kind, fetch, check_for(kind)) for kind, fetch in fetchers.items()}
