"""Typed boundary around one ccxt async exchange (D-EX-1, D-SRC-1): public market data only.

ccxt is untyped; every value leaving this module is checked and converted into domain types here,
and anything unexpected raises `ExchangeDataError` naming the exchange, the call and the field.
Sizes are converted from contracts to base units with the market's contract size (OKX swaps trade
in contracts of 0.01 BTC, Binance USDⓈ-M in base units).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bigalpha.domain import Bar, BookLevel, LongShort, OrderBook, OrderSide, Trade


class ExchangeDataError(Exception):
    """An exchange answered something we cannot use; the message says which exchange, call and field."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _num(value: object, where: str) -> float:
    if isinstance(value, bool) or value is None:
        raise ExchangeDataError(f"{where}: expected a number, got {value!r}")
    try:
        result = float(value)  # type: ignore[arg-type]  # ccxt hands out str, int or float
    except (TypeError, ValueError):
        raise ExchangeDataError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(result):
        raise ExchangeDataError(f"{where}: expected a finite number, got {value!r}")
    return result


def _ms(value: object, where: str) -> datetime:
    return datetime.fromtimestamp(_num(value, where) / 1000.0, tz=UTC)


def _rows(value: object, where: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ExchangeDataError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _dict(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExchangeDataError(f"{where}: expected an object, got {type(value).__name__}")
    return value


class ExchangeClient:
    """One ccxt exchange, public endpoints, with URL overrides from config (stand-ins, proxies)."""

    def __init__(
        self,
        exchange_id: str,
        *,
        url_overrides: Mapping[str, str] | None = None,
        timeout_s: float = 15.0,
        rate_limit: bool = True,
        wall: Callable[[], datetime] = _utc_now,
    ) -> None:
        # ccxt takes seconds to import; only a process that talks to an exchange pays for it.
        import ccxt.async_support as ccxt_async

        factory = getattr(ccxt_async, exchange_id, None)
        if factory is None:
            raise ValueError(f"ccxt has no exchange {exchange_id!r}")
        options: dict[str, Any] = {"defaultType": "swap"}
        if exchange_id == "okx":
            options["fetchMarkets"] = {"types": ["swap"]}  # one instruments call instead of four
        self.id = exchange_id
        self._wall = wall
        self._exchange: Any = factory(
            {"timeout": int(timeout_s * 1000), "enableRateLimit": rate_limit, "options": options}
        )
        api = self._exchange.urls.get("api")
        for key, url in (url_overrides or {}).items():
            if not isinstance(api, dict) or key not in api:
                known = ", ".join(sorted(api)) if isinstance(api, dict) else "none"
                raise ValueError(
                    f"exchange_urls[{exchange_id!r}]: {key!r} is not a ccxt urls['api'] key (known: {known})"
                )
            api[key] = url
        self._markets_loaded = False

    def __repr__(self) -> str:
        return f"ExchangeClient({self.id!r})"

    async def close(self) -> None:
        await self._exchange.close()

    async def _market(self, base: str) -> Mapping[str, Any]:
        if not self._markets_loaded:
            await self._exchange.load_markets()
            self._markets_loaded = True
        symbol = f"{base}/USDT:USDT"
        markets = self._exchange.markets or {}
        if symbol not in markets:
            raise ExchangeDataError(f"{self.id}: no USDT perpetual {symbol} among {len(markets)} markets")
        return _dict(markets[symbol], f"{self.id} market {symbol}")

    def _contract_size(self, market: Mapping[str, Any]) -> float:
        size = market.get("contractSize")
        return 1.0 if size is None else _num(size, f"{self.id} {market.get('symbol')}.contractSize")

    async def candles(self, base: str, limit: int) -> tuple[Bar, ...]:
        """Recent 1-minute bars, oldest first, with taker buy volume where the exchange reports it
        (Binance's kline field 9); elsewhere `taker_buy_volume` is filled from trades by the caller."""
        market = await self._market(base)
        where = f"{self.id} candles {base}"
        bars: list[Bar] = []
        if self.id.startswith("binance"):
            raw = await self._exchange.fapiPublicGetKlines({"symbol": market["id"], "interval": "1m", "limit": limit})
            for i, row in enumerate(_rows(raw, where)):
                r = _rows(row, f"{where}[{i}]")
                if len(r) < 10:
                    raise ExchangeDataError(f"{where}[{i}]: expected 12 kline fields, got {len(r)}")
                o, h, lo, c, v, tb = (_num(r[k], f"{where}[{i}][{k}]") for k in (1, 2, 3, 4, 5, 9))
                bars.append(Bar(_ms(r[0], f"{where}[{i}][0]"), o, h, lo, c, v, tb))
            return tuple(bars)
        raw = await self._exchange.fetch_ohlcv(market["symbol"], "1m", None, limit)
        for i, row in enumerate(_rows(raw, where)):
            r = _rows(row, f"{where}[{i}]")
            if len(r) < 6:
                raise ExchangeDataError(f"{where}[{i}]: expected 6 OHLCV fields, got {len(r)}")
            o, h, lo, c, v = (_num(r[k], f"{where}[{i}][{k}]") for k in range(1, 6))
            # ccxt's unified OHLCV volume is in base units already; the caller adds taker flow from trades
            bars.append(Bar(_ms(r[0], f"{where}[{i}][0]"), o, h, lo, c, v, math.nan))
        return tuple(sorted(bars, key=lambda b: b.ts))

    async def order_book(self, base: str, depth: int) -> tuple[OrderBook, datetime]:
        market = await self._market(base)
        where = f"{self.id} order book {base}"
        raw = _dict(await self._exchange.fetch_order_book(market["symbol"], depth), where)
        size = self._contract_size(market)

        def side(name: str) -> tuple[BookLevel, ...]:
            levels = []
            for i, level in enumerate(_rows(raw.get(name), f"{where}.{name}")):
                pair = _rows(level, f"{where}.{name}[{i}]")
                if len(pair) < 2:
                    raise ExchangeDataError(f"{where}.{name}[{i}]: expected [price, amount]")
                levels.append(
                    BookLevel(_num(pair[0], f"{where}.{name}[{i}][0]"), _num(pair[1], f"{where}.{name}[{i}][1]") * size)
                )
            return tuple(levels)

        book = OrderBook(
            bids=tuple(sorted(side("bids"), key=lambda lv: -lv.price)),
            asks=tuple(sorted(side("asks"), key=lambda lv: lv.price)),
        )
        stamp = raw.get("timestamp")
        return book, (_ms(stamp, f"{where}.timestamp") if stamp is not None else self._wall())

    async def trades(self, base: str, limit: int) -> tuple[Trade, ...]:
        market = await self._market(base)
        where = f"{self.id} trades {base}"
        size = self._contract_size(market)
        trades = []
        for i, raw in enumerate(_rows(await self._exchange.fetch_trades(market["symbol"], None, limit), where)):
            t = _dict(raw, f"{where}[{i}]")
            side = t.get("side")
            if side not in ("buy", "sell"):
                raise ExchangeDataError(f"{where}[{i}].side: expected 'buy' or 'sell', got {side!r}")
            trades.append(
                Trade(
                    ts=_ms(t.get("timestamp"), f"{where}[{i}].timestamp"),
                    price=_num(t.get("price"), f"{where}[{i}].price"),
                    quantity=_num(t.get("amount"), f"{where}[{i}].amount") * size,
                    side=OrderSide.BUY if side == "buy" else OrderSide.SELL,
                )
            )
        return tuple(sorted(trades, key=lambda t: t.ts))

    async def funding_rate(self, base: str) -> tuple[float, datetime]:
        """Current funding rate as a fraction per interval, and its time (the answer's time when the
        exchange sends none: a current rate describes the moment it was read)."""
        market = await self._market(base)
        where = f"{self.id} funding {base}"
        raw = _dict(await self._exchange.fetch_funding_rate(market["symbol"]), where)
        rate = _num(raw.get("fundingRate"), f"{where}.fundingRate")
        stamp = raw.get("timestamp")
        return rate, (_ms(stamp, f"{where}.timestamp") if stamp is not None else self._wall())

    async def open_interest(self, base: str) -> tuple[float, datetime]:
        """Open interest (USD) from the newest 5-minute statistics bucket."""
        market = await self._market(base)
        where = f"{self.id} open interest {base}"
        rows = _rows(await self._exchange.fetch_open_interest_history(market["symbol"], "5m", None, 2), where)
        if not rows:
            raise ExchangeDataError(f"{where}: no 5-minute open-interest rows")
        last = _dict(max(rows, key=lambda r: _num(_dict(r, where).get("timestamp"), f"{where}.timestamp")), where)
        value = last.get("openInterestValue")
        if value is None:
            amount = _num(last.get("openInterestAmount"), f"{where}.openInterestAmount")
            value = amount * self._contract_size(market) * _num(last.get("price") or 0, f"{where}.price")
            if value <= 0:
                raise ExchangeDataError(f"{where}: no USD value (openInterestValue) in the answer")
        return _num(value, f"{where}.openInterestValue"), _ms(last.get("timestamp"), f"{where}.timestamp")

    async def long_short(self, base: str) -> tuple[LongShort, datetime]:
        """Global long/short account ratio (5-minute statistics); the short share of accounts is
        `shortAccount` where given, else derived from the ratio: short = 1 / (1 + ratio)."""
        market = await self._market(base)
        where = f"{self.id} long/short {base}"
        rows = _rows(await self._exchange.fetch_long_short_ratio_history(market["symbol"], "5m", None, 2), where)
        if not rows:
            raise ExchangeDataError(f"{where}: no 5-minute long/short rows")
        last = _dict(max(rows, key=lambda r: _num(_dict(r, where).get("timestamp"), f"{where}.timestamp")), where)
        ratio = _num(last.get("longShortRatio"), f"{where}.longShortRatio")
        if ratio < 0:
            raise ExchangeDataError(f"{where}.longShortRatio: negative ratio {ratio}")
        info = last.get("info")
        short_raw = info.get("shortAccount") if isinstance(info, Mapping) else None
        short = _num(short_raw, f"{where}.info.shortAccount") if short_raw is not None else 1.0 / (1.0 + ratio)
        return LongShort(ratio, short), _ms(last.get("timestamp"), f"{where}.timestamp")

    async def option_summaries(self, currency: str) -> Sequence[Any]:
        """Deribit: book summaries of every option of `currency` (instrument name, open interest)."""
        where = f"{self.id} option summaries {currency}"
        raw = _dict(
            await self._exchange.publicGetGetBookSummaryByCurrency({"currency": currency, "kind": "option"}), where
        )
        return _rows(raw.get("result"), f"{where}.result")
