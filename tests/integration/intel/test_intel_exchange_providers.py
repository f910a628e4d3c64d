"""Exchange-native providers through ccxt against Binance-, OKX- and Deribit-like stand-ins (D-SRC-1, D-EX-1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from intel_exchanges import Market, binance_standin, deribit_standin, okx_standin
from intel_standin import Reply, StandIn, closed_port_url

from bigalpha.config.data import DataKind
from bigalpha.data.exchange import ExchangeClient, ExchangeSources, deribit_max_pain_provider
from bigalpha.data.providers import TakerFlow, Unavailable
from bigalpha.domain import Bar, LongShort, Observed, OrderBook, OrderSide

T = TypeVar("T")


def now_ms() -> int:
    return int(time.time() * 1000)


def sources(urls: dict[str, dict[str, str]], ids: tuple[str, ...] = ("binanceusdm", "okx")) -> ExchangeSources:
    clients = [ExchangeClient(i, url_overrides=urls.get(i), timeout_s=2.0, rate_limit=False) for i in ids]
    return ExchangeSources(clients, candles_limit=10, trades_limit=50, book_depth=20, taker_window_bars=5)


def run(src: ExchangeSources, body: Callable[[ExchangeSources], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await body(src)
        finally:
            await src.close()

    return asyncio.run(main())


def test_binance_serves_every_exchange_kind_in_domain_types(server: StandIn) -> None:
    """D-EX-1, D-SRC-1: candles (with taker buy volume), book, trades, funding, 5-minute OI, long/short, taker flow."""
    market = Market(now_ms=now_ms())
    src = sources({"binanceusdm": binance_standin(server, market)}, ("binanceusdm",))
    providers = src.providers()

    async def body(_: ExchangeSources) -> dict[DataKind, Any]:
        kinds = [k for k in providers if k is not DataKind.CVD]
        results = await asyncio.gather(*(providers[k].fetch("BTC") for k in kinds))
        return dict(zip(kinds, results, strict=True)) | {DataKind.CVD: await providers[DataKind.CVD].fetch("BTC")}

    got = run(src, body)
    for kind, result in got.items():
        assert isinstance(result, Observed), (kind, result)
        assert result.source.startswith("exchange")
    bars = got[DataKind.CANDLES].value
    assert isinstance(bars[-1], Bar)
    assert bars[-1].taker_buy_volume == pytest.approx(bars[-1].volume * 0.6)
    book: OrderBook = got[DataKind.ORDER_BOOK].value
    assert book.bids[0].price > book.bids[1].price
    assert book.asks[0].price < book.asks[1].price
    assert max(lv.quantity for lv in book.asks) == 300.0  # the wall
    trades = got[DataKind.TRADES].value
    assert {t.side for t in trades} == {OrderSide.BUY, OrderSide.SELL}
    assert got[DataKind.FUNDING].value == (("binanceusdm", 0.0001),)
    assert got[DataKind.OPEN_INTEREST].value == 8.0e9
    oi_age = datetime.now(UTC) - got[DataKind.OPEN_INTEREST].as_of
    assert timedelta(0) <= oi_age <= timedelta(minutes=5, seconds=5)  # the bucket's own time, not the fetch time
    ls: LongShort = got[DataKind.LONG_SHORT_RATIO].value
    assert ls.long_short_ratio == 2.5
    assert ls.short_share == pytest.approx(1 / 3.5, abs=1e-4)
    flow: TakerFlow = got[DataKind.TAKER_VOLUME].value
    assert flow.ratio == pytest.approx(0.6 / 0.4)
    assert sum(p.buy_usd + p.sell_usd for p in got[DataKind.CVD].value) == pytest.approx(
        sum(t.notional for t in trades)
    )


def test_okx_contracts_are_converted_to_base_units(server: StandIn) -> None:
    """D-EX-1: OKX swaps trade in contracts (0.01 BTC); sizes reach the domain in base units, and OKX
    candles get their taker split from trades; long/short gives the short share from the ratio."""
    market = Market(now_ms=now_ms())
    src = sources({"okx": okx_standin(server, market)}, ("okx",))
    providers = src.providers()

    async def body(_: ExchangeSources) -> list[Any]:
        return [
            await providers[k].fetch("BTC")
            for k in (
                DataKind.ORDER_BOOK,
                DataKind.TRADES,
                DataKind.CANDLES,
                DataKind.LONG_SHORT_RATIO,
                DataKind.OPEN_INTEREST,
            )
        ]

    book, trades, candles, ls, oi = run(src, body)
    assert all(isinstance(r, Observed) for r in (book, trades, candles, ls, oi)), (book, trades, candles, ls, oi)
    assert book.value.bids[0].quantity == pytest.approx(1.0)  # 100 contracts × 0.01
    assert trades.value[0].quantity == pytest.approx(1.0)
    newest = candles.value[-1]
    assert newest.volume == pytest.approx(10.0)
    assert 0.0 <= newest.taker_buy_volume <= newest.volume
    assert ls.value.short_share == pytest.approx(1 / 3.5)
    assert oi.value == pytest.approx(market.oi_usd / 2)


def test_funding_comes_from_every_exchange_for_the_divergence_rule(server: StandIn) -> None:
    """D-SRC-1 / R-T-2: funding on each exchange, as a fraction per interval."""
    market = Market(now_ms=now_ms())
    with StandIn() as okx_server:
        urls = {"binanceusdm": binance_standin(server, market), "okx": okx_standin(okx_server, market)}
        src = sources(urls)
        result = run(src, lambda s: s.funding("BTC"))
    assert isinstance(result, Observed)
    assert dict(result.value) == pytest.approx({"binanceusdm": 0.0001, "okx": 0.00015})


def test_a_dead_exchange_falls_back_to_the_next(server: StandIn) -> None:
    """D-SRC-1: Binance refuses connections; OKX serves; the failure is named when both are dead."""
    market = Market(now_ms=now_ms())
    dead = closed_port_url()
    urls = {
        "binanceusdm": {"fapiPublic": f"{dead}/fapi/v1", "fapiData": f"{dead}/futures/data"},
        "okx": okx_standin(server, market),
    }
    src = sources(urls)
    result = run(src, lambda s: s.order_book("BTC"))
    assert isinstance(result, Observed)
    assert result.source == "exchange:okx"

    both_dead = sources({"binanceusdm": urls["binanceusdm"], "okx": {"rest": dead}})
    result = run(both_dead, lambda s: s.order_book("BTC"))
    assert isinstance(result, Unavailable)
    assert "binanceusdm:" in result.reason
    assert "okx:" in result.reason


def test_malformed_and_empty_exchange_answers_are_unavailable(server: StandIn) -> None:
    """D-FAILOPEN: garbage or empty bodies from an exchange become reasons, not crashes."""
    market = Market(now_ms=now_ms())
    urls = {"binanceusdm": binance_standin(server, market)}
    server.route("/fapi/v1/depth", Reply(200, raw=b"<html>oops"))
    server.route("/fapi/v1/aggTrades", [])
    src = sources(urls, ("binanceusdm",))

    async def body(s: ExchangeSources) -> list[Any]:
        return [await s.order_book("BTC"), await s.trades("BTC"), await s.open_interest("DOGE")]

    book, trades, unknown = run(src, body)
    assert isinstance(book, Unavailable)
    assert isinstance(trades, Unavailable)
    assert "no recent trades" in trades.reason
    assert isinstance(unknown, Unavailable)
    assert "no USDT perpetual DOGE/USDT:USDT" in unknown.reason


def test_deribit_max_pain_from_open_interest_per_strike(server: StandIn) -> None:
    """D-SRC-1: max pain of the nearest expiry from Deribit option open interest per strike."""
    market = Market(now_ms=now_ms())
    today = datetime.now(UTC)
    near = (today + timedelta(days=3)).strftime("%d%b%y").upper().lstrip("0")
    far = (today + timedelta(days=40)).strftime("%d%b%y").upper().lstrip("0")
    past = (today - timedelta(days=3)).strftime("%d%b%y").upper().lstrip("0")
    options = [
        (f"BTC-{near}-90000-C", 10.0),
        (f"BTC-{near}-100000-C", 10.0),
        (f"BTC-{near}-110000-P", 10.0),
        (f"BTC-{near}-100000-P", 30.0),
        (f"BTC-{far}-50000-C", 1000.0),
        (f"BTC-{past}-10000-P", 1000.0),
        ("BTC-PERPETUAL", 5.0),
    ]
    urls = deribit_standin(server, market, options)
    client = ExchangeClient("deribit", url_overrides=urls, timeout_s=2.0)
    provider = deribit_max_pain_provider(client, lambda: datetime.now(UTC))

    async def body() -> list[Any]:
        try:
            return [await provider.fetch("BTC"), await provider.fetch("SOL")]
        finally:
            await client.close()

    btc, sol = asyncio.run(body())
    assert isinstance(btc, Observed)
    assert btc.value == 100_000.0
    assert btc.source == "deribit"
    assert isinstance(sol, Unavailable)
    assert "no option open interest for SOL" in sol.reason


def test_unknown_url_override_key_is_refused_at_construction() -> None:
    """D-EX-1: a typo in data.exchange_urls fails loudly, naming the known keys."""
    with pytest.raises(ValueError, match="'fapiPublik' is not a ccxt urls"):
        ExchangeClient("binanceusdm", url_overrides={"fapiPublik": "http://127.0.0.1:1"})
    with pytest.raises(ValueError, match="no exchange 'nope'"):
        ExchangeClient("nope")
