"""Exchange-native providers through ccxt (D-SRC-1, D-EX-1): every guard's data without any CoinGlass plan,
except the liquidation heatmap, which no exchange publishes.

The "exchange" provider of a kind asks the configured exchanges in order (the executing one first) and
returns the first answer; funding asks all of them at once, since R-T-2 compares exchanges. "deribit"
computes option max pain from open interest per strike.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bigalpha.config.data import DataKind
from bigalpha.data.exchange.ccxt_client import ExchangeClient, ExchangeDataError
from bigalpha.data.exchange.flow import (
    OptionOpenInterest,
    cvd_from_trades,
    fill_taker_from_trades,
    max_pain,
    nearest_expiry,
    parse_deribit_option,
    taker_flow,
)
from bigalpha.data.providers import CvdPoint, Provider, Result, TakerFlow, Unavailable
from bigalpha.domain import Bar, LongShort, Observed, OrderBook, Trade

T = TypeVar("T")

EXCHANGE = "exchange"
DERIBIT = "deribit"
_MAX_REASON = 300


def describe(error: BaseException) -> str:
    """A short, single-line description of an exchange failure (ccxt messages can hold whole bodies)."""
    text = " ".join(str(error).split())
    if len(text) > _MAX_REASON:
        text = text[:_MAX_REASON] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _guarded(client: ExchangeClient, call: Awaitable[Result[T]]) -> Result[T]:
    try:
        return await call
    except asyncio.CancelledError:
        raise
    except Exception as error:  # ccxt raises a wide tree, aiohttp another: all are 'unavailable' here
        return Unavailable(describe(error), source=f"{EXCHANGE}:{client.id}")


class ExchangeSources:
    """Providers of the exchange-native data kinds over the configured ccxt exchanges."""

    def __init__(
        self,
        clients: Sequence[ExchangeClient],
        *,
        candles_limit: int,
        trades_limit: int,
        book_depth: int,
        taker_window_bars: int,
    ) -> None:
        if not clients:
            raise ValueError("ExchangeSources needs at least one exchange")
        self.clients = tuple(clients)
        self._candles_limit = candles_limit
        self._trades_limit = trades_limit
        self._book_depth = book_depth
        self._taker_window_bars = taker_window_bars

    async def close(self) -> None:
        for client in self.clients:
            await client.close()

    async def _first(
        self, kind: DataKind, symbol: str, one: Callable[[ExchangeClient], Awaitable[Result[T]]]
    ) -> Result[T]:
        reasons = []
        for client in self.clients:
            result = await _guarded(client, one(client))
            if isinstance(result, Observed):
                return result
            reasons.append(f"{client.id}: {result.reason}")
        del kind, symbol  # the chain's message names them already
        return Unavailable("; ".join(reasons), source=EXCHANGE)

    async def _bars(self, client: ExchangeClient, symbol: str) -> tuple[Bar, ...]:
        bars = await client.candles(symbol, self._candles_limit)
        if any(math.isnan(b.taker_buy_volume) for b in bars):  # the exchange gives no taker split
            bars = fill_taker_from_trades(bars, await client.trades(symbol, self._trades_limit))
        return bars

    async def candles(self, symbol: str) -> Result[tuple[Bar, ...]]:
        async def one(client: ExchangeClient) -> Result[tuple[Bar, ...]]:
            bars = await self._bars(client, symbol)
            if not bars:
                raise ExchangeDataError("no candles")
            return Observed(bars, bars[-1].ts, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.CANDLES, symbol, one)

    async def trades(self, symbol: str) -> Result[tuple[Trade, ...]]:
        async def one(client: ExchangeClient) -> Result[tuple[Trade, ...]]:
            trades = await client.trades(symbol, self._trades_limit)
            if not trades:
                raise ExchangeDataError("no recent trades")
            return Observed(trades, trades[-1].ts, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.TRADES, symbol, one)

    async def order_book(self, symbol: str) -> Result[OrderBook]:
        async def one(client: ExchangeClient) -> Result[OrderBook]:
            book, as_of = await client.order_book(symbol, self._book_depth)
            if not book.bids or not book.asks:
                raise ExchangeDataError("order book has an empty side")
            return Observed(book, as_of, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.ORDER_BOOK, symbol, one)

    async def open_interest(self, symbol: str) -> Result[float]:
        async def one(client: ExchangeClient) -> Result[float]:
            value, as_of = await client.open_interest(symbol)
            return Observed(value, as_of, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.OPEN_INTEREST, symbol, one)

    async def long_short(self, symbol: str) -> Result[LongShort]:
        async def one(client: ExchangeClient) -> Result[LongShort]:
            value, as_of = await client.long_short(symbol)
            return Observed(value, as_of, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.LONG_SHORT_RATIO, symbol, one)

    async def taker(self, symbol: str) -> Result[TakerFlow]:
        async def one(client: ExchangeClient) -> Result[TakerFlow]:
            flow = taker_flow(await self._bars(client, symbol), self._taker_window_bars)
            if flow is None:
                raise ExchangeDataError("no candles for taker flow")
            return Observed(flow[0], flow[1], f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.TAKER_VOLUME, symbol, one)

    async def cvd(self, symbol: str) -> Result[tuple[CvdPoint, ...]]:
        async def one(client: ExchangeClient) -> Result[tuple[CvdPoint, ...]]:
            trades = await client.trades(symbol, self._trades_limit)
            if not trades:
                raise ExchangeDataError("no recent trades")
            return Observed(cvd_from_trades(trades), trades[-1].ts, f"{EXCHANGE}:{client.id}")

        return await self._first(DataKind.CVD, symbol, one)

    async def funding(self, symbol: str) -> Result[tuple[tuple[str, float], ...]]:
        """Every exchange's current rate (fraction per interval); as_of is the oldest of them."""

        async def one(client: ExchangeClient) -> Result[float]:
            rate, as_of = await client.funding_rate(symbol)
            return Observed(rate, as_of, f"{EXCHANGE}:{client.id}")

        results = await asyncio.gather(*(_guarded(c, one(c)) for c in self.clients))
        served = [(c.id, r) for c, r in zip(self.clients, results, strict=True) if isinstance(r, Observed)]
        if not served:
            reasons = "; ".join(
                f"{c.id}: {r.reason}" for c, r in zip(self.clients, results, strict=True) if isinstance(r, Unavailable)
            )
            return Unavailable(reasons, source=EXCHANGE)
        oldest: datetime = min(r.as_of for _, r in served)
        return Observed(tuple((name, r.value) for name, r in served), oldest, EXCHANGE)

    def providers(self) -> dict[DataKind, Provider[Any]]:
        fetchers: dict[DataKind, Any] = {
            DataKind.CANDLES: self.candles,
            DataKind.TRADES: self.trades,
            DataKind.ORDER_BOOK: self.order_book,
            DataKind.OPEN_INTEREST: self.open_interest,
            DataKind.LONG_SHORT_RATIO: self.long_short,
            DataKind.TAKER_VOLUME: self.taker,
            DataKind.CVD: self.cvd,
            DataKind.FUNDING: self.funding,
        }
        return {kind: Provider(EXCHANGE, kind, fetch) for kind, fetch in fetchers.items()}


def deribit_max_pain_provider(client: ExchangeClient, today: Callable[[], datetime]) -> Provider[float]:
    """Max pain of the nearest expiry from Deribit option open interest per strike."""

    async def fetch(symbol: str) -> Result[float]:
        async def run() -> Result[float]:
            summaries = await client.option_summaries(symbol)
            options: list[OptionOpenInterest] = []
            newest = 0.0
            for raw in summaries:
                if not isinstance(raw, dict):
                    continue
                parsed = parse_deribit_option(str(raw.get("instrument_name", "")))
                oi = raw.get("open_interest")
                if parsed is None or not isinstance(oi, int | float) or isinstance(oi, bool):
                    continue
                options.append(OptionOpenInterest(parsed[0], parsed[1], parsed[2], float(oi)))
                stamp = raw.get("creation_timestamp")
                if isinstance(stamp, int | float) and not isinstance(stamp, bool):
                    newest = max(newest, float(stamp))
            now = today()
            series = nearest_expiry(options, now.date())
            price = max_pain(series)
            if price is None:
                return Unavailable(f"no option open interest for {symbol} on Deribit", source=DERIBIT)
            as_of = datetime.fromtimestamp(newest / 1000.0, tz=now.tzinfo) if newest > 0 else now
            return Observed(price, as_of, DERIBIT)

        return await _guarded(client, run())

    return Provider(DERIBIT, DataKind.MAX_PAIN, fetch)
