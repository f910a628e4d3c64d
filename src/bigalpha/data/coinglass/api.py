"""`CoinGlass`: one typed method per endpoint the guards need (D-CG-1), each `T | Unavailable`.

An empty series is unavailable (no rows to judge by), never an empty success.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from bigalpha.config.data import DataKind
from bigalpha.data.coinglass import parse as p
from bigalpha.data.coinglass.client import SOURCE, CoinGlassClient
from bigalpha.data.coinglass.endpoints import LABELS, Endpoint
from bigalpha.data.coinglass.models import (
    CvdRow,
    DepthPoint,
    FearGreedPoint,
    FundingCoin,
    Heatmap,
    LongShortPoint,
    MaxPainExpiry,
    OhlcPoint,
    Received,
    TakerExchangeList,
    TakerPoint,
)
from bigalpha.data.providers import Unavailable

T = TypeVar("T")


class CoinGlass(CoinGlassClient):
    """The CoinGlass V4 client with typed endpoint methods."""

    async def _typed(
        self, endpoint: Endpoint, params: dict[str, str], parse: Callable[[object], T], *, interval: str | None = None
    ) -> T | Unavailable:
        result = await self.get(endpoint, params, interval=interval, parse=parse)
        if isinstance(result, Unavailable):
            return result
        if isinstance(result, tuple) and not result:
            return Unavailable(f"{LABELS[endpoint]}: the answer has no rows", SOURCE)
        return cast(T, result)

    def _interval(self, interval: str | None) -> str:
        return interval if interval is not None else self.config.interval

    def instrument(self, symbol: str) -> str:
        return self.config.pair_template.format(symbol=symbol)

    async def heatmap(self, symbol: str, range_: str | None = None) -> Heatmap | Unavailable:
        params = {"symbol": symbol, "range": range_ or self.config.heatmap_range}
        return await self._typed(Endpoint.HEATMAP, params, p.parse_heatmap)

    async def open_interest_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[OhlcPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {"symbol": symbol, "interval": iv, "limit": str(limit)}
        return await self._typed(Endpoint.OI_AGGREGATED, params, p.parse_ohlc_history, interval=iv)

    async def long_short_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[LongShortPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange": self.config.pair_exchange,
            "symbol": self.instrument(symbol),
            "interval": iv,
            "limit": str(limit),
        }
        return await self._typed(Endpoint.LONG_SHORT, params, p.parse_long_short_history, interval=iv)

    def _received(self, parse: Callable[[object], T]) -> Callable[[object], Received[T]]:
        return lambda data: Received(parse(data), self._wall())

    async def taker_exchange_list(
        self, symbol: str, range_: str | None = None
    ) -> Received[TakerExchangeList] | Unavailable:
        params = {"symbol": symbol, "range": range_ or self.config.taker_range}
        return await self._typed(Endpoint.TAKER_EXCHANGES, params, self._received(p.parse_taker_exchange_list))

    async def taker_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[TakerPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange": self.config.pair_exchange,
            "symbol": self.instrument(symbol),
            "interval": iv,
            "limit": str(limit),
        }
        return await self._typed(
            Endpoint.TAKER_PAIR,
            params,
            lambda d: p.parse_taker_history(d, "taker_buy_volume_usd", "taker_sell_volume_usd"),
            interval=iv,
        )

    async def aggregated_taker_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[TakerPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {"exchange_list": self.config.exchange_list, "symbol": symbol, "interval": iv, "limit": str(limit)}
        return await self._typed(
            Endpoint.TAKER_AGGREGATED,
            params,
            lambda d: p.parse_taker_history(d, "aggregated_buy_volume_usd", "aggregated_sell_volume_usd"),
            interval=iv,
        )

    async def max_pain(self, symbol: str) -> Received[tuple[MaxPainExpiry, ...]] | Unavailable:
        params = {"symbol": symbol, "exchange": self.config.option_exchange}
        result = await self._typed(Endpoint.MAX_PAIN, params, self._received(p.parse_max_pain))
        if not isinstance(result, Unavailable) and not result.value:
            return Unavailable(f"{LABELS[Endpoint.MAX_PAIN]}: the answer has no rows", SOURCE)
        return result

    async def aggregated_depth_history(
        self, symbol: str, interval: str | None = None, range_pct: str = "1", limit: int = 10
    ) -> tuple[DepthPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange_list": self.config.exchange_list,
            "symbol": symbol,
            "interval": iv,
            "range": range_pct,
            "limit": str(limit),
        }
        return await self._typed(
            Endpoint.DEPTH_AGGREGATED, params, lambda d: p.parse_depth_history(d, "aggregated_"), interval=iv
        )

    async def depth_history(
        self, symbol: str, interval: str | None = None, range_pct: str = "1", limit: int = 10
    ) -> tuple[DepthPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange": self.config.pair_exchange,
            "symbol": self.instrument(symbol),
            "interval": iv,
            "range": range_pct,
            "limit": str(limit),
        }
        return await self._typed(Endpoint.DEPTH_PAIR, params, lambda d: p.parse_depth_history(d, ""), interval=iv)

    async def cvd_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[CvdRow, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange": self.config.pair_exchange,
            "symbol": self.instrument(symbol),
            "interval": iv,
            "limit": str(limit),
        }
        return await self._typed(
            Endpoint.CVD_PAIR, params, lambda d: p.parse_cvd_history(d, "taker_buy_vol", "taker_sell_vol"), interval=iv
        )

    async def aggregated_cvd_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[CvdRow, ...] | Unavailable:
        iv = self._interval(interval)
        params = {"exchange_list": self.config.exchange_list, "symbol": symbol, "interval": iv, "limit": str(limit)}
        return await self._typed(
            Endpoint.CVD_AGGREGATED,
            params,
            lambda d: p.parse_cvd_history(d, "agg_taker_buy_vol", "agg_taker_sell_vol"),
            interval=iv,
        )

    async def fear_greed_history(self) -> tuple[FearGreedPoint, ...] | Unavailable:
        return await self._typed(Endpoint.FEAR_GREED, {}, p.parse_fear_greed)

    async def funding_exchange_list(self) -> Received[tuple[FundingCoin, ...]] | Unavailable:
        return await self._typed(Endpoint.FUNDING_EXCHANGES, {}, self._received(p.parse_funding_exchange_list))

    async def funding_history(
        self, symbol: str, interval: str | None = None, limit: int = 10
    ) -> tuple[OhlcPoint, ...] | Unavailable:
        iv = self._interval(interval)
        params = {
            "exchange": self.config.pair_exchange,
            "symbol": self.instrument(symbol),
            "interval": iv,
            "limit": str(limit),
        }
        return await self._typed(Endpoint.FUNDING_HISTORY, params, p.parse_ohlc_history, interval=iv)

    def validate(self) -> dict[DataKind, str | None]:
        """D-CG-5: per data kind, None when the plan serves the request the chains make, else why not.
        No network call: run `start()` first so the plan is known."""
        result: dict[DataKind, str | None] = {}
        for kind, (endpoint, uses_interval) in KIND_ENDPOINTS.items():
            refused = self.refusal(endpoint, self.config.interval if uses_interval else None)
            result[kind] = None if refused is None else refused.reason
        return result


# The request each chain makes for a data kind, and whether it carries the history interval.
KIND_ENDPOINTS: dict[DataKind, tuple[Endpoint, bool]] = {
    DataKind.LIQUIDATION_HEATMAP: (Endpoint.HEATMAP, False),
    DataKind.OPEN_INTEREST: (Endpoint.OI_AGGREGATED, True),
    DataKind.LONG_SHORT_RATIO: (Endpoint.LONG_SHORT, True),
    DataKind.TAKER_VOLUME: (Endpoint.TAKER_EXCHANGES, False),
    DataKind.CVD: (Endpoint.CVD_PAIR, True),
    DataKind.MAX_PAIN: (Endpoint.MAX_PAIN, False),
    DataKind.FEAR_GREED: (Endpoint.FEAR_GREED, False),
    DataKind.FUNDING: (Endpoint.FUNDING_EXCHANGES, False),
}
