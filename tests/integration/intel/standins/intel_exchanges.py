"""Stand-ins for the exchange REST surfaces ccxt calls: Binance USDⓈ-M futures, OKX swaps, Deribit options.

Only the endpoints bigalpha's exchange providers use are served, with the exchanges' documented shapes
and the project's own numbers. `now_ms` anchors every timestamp so tests can check data ages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from intel_standin import Reply, Request, StandIn

BASES = ("BTC", "ETH", "SOL", "XRP")
PRICES = {"BTC": 100_000.0, "ETH": 3_500.0, "SOL": 200.0, "XRP": 2.5}


@dataclass
class Market:
    """The state both stand-ins serve; tests change it to inject conditions."""

    now_ms: int
    funding: dict[str, float] = field(
        default_factory=lambda: {"BTC": 0.0001, "ETH": 0.0001, "SOL": 0.00005, "XRP": 0.0}
    )
    long_ratio: float = 2.5
    oi_usd: float = 8.0e9
    buy_share: float = 0.6


def _binance_symbol(base: str) -> dict[str, Any]:
    return {
        "symbol": f"{base}USDT",
        "pair": f"{base}USDT",
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "baseAsset": base,
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "pricePrecision": 2,
        "quantityPrecision": 3,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "triggerProtect": "0.0500",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
            {"filterType": "MIN_NOTIONAL", "notional": "5"},
        ],
        "orderTypes": ["LIMIT", "MARKET"],
        "timeInForce": ["GTC"],
    }


def _base_of(symbol: str) -> str:
    for suffix in ("USDT", "-USDT-SWAP"):
        if symbol.endswith(suffix):
            return symbol[: -len(suffix)]
    return symbol


def binance_standin(server: StandIn, market: Market) -> dict[str, str]:
    """Serve Binance USDⓈ-M futures; returns the `exchange_urls` entry that points ccxt here."""

    def klines(req: Request) -> Reply:
        base = _base_of(req.query["symbol"])
        limit = int(req.query.get("limit", 10))
        start = market.now_ms - market.now_ms % 60_000 - (limit - 1) * 60_000
        price = PRICES[base]
        rows = []
        for i in range(limit):
            t = start + i * 60_000
            vol = 10.0 + i
            rows.append(
                [
                    t,
                    str(price),
                    str(price * 1.001),
                    str(price * 0.999),
                    str(price),
                    str(vol),
                    t + 59_999,
                    str(vol * price),
                    100,
                    str(vol * market.buy_share),
                    str(vol * market.buy_share * price),
                    "0",
                ]
            )
        return Reply(200, rows)

    def depth(req: Request) -> Reply:
        price = PRICES[_base_of(req.query["symbol"])]
        bids = [[str(price * (1 - 0.0001 * (i + 1))), "1.5"] for i in range(10)]
        asks = [[str(price * (1 + 0.0001 * (i + 1))), "2.0"] for i in range(10)]
        asks[3][1] = "300"  # a wall
        return Reply(200, {"lastUpdateId": 1, "E": market.now_ms, "T": market.now_ms, "bids": bids, "asks": asks})

    def agg_trades(req: Request) -> Reply:
        price = PRICES[_base_of(req.query["symbol"])]
        limit = int(req.query.get("limit", 500))
        n = min(limit, 20)
        trades = [
            {
                "a": i,
                "p": str(price),
                "q": "2.0" if i % 4 else "0.5",
                "f": i,
                "l": i,
                "T": market.now_ms - (n - i) * 1000,
                "m": i % 3 == 0,
            }
            for i in range(n)
        ]
        return Reply(200, trades)

    def premium(req: Request) -> Reply:
        base = _base_of(req.query["symbol"])
        return Reply(
            200,
            {
                "symbol": f"{base}USDT",
                "markPrice": str(PRICES[base]),
                "indexPrice": str(PRICES[base]),
                "estimatedSettlePrice": str(PRICES[base]),
                "lastFundingRate": str(market.funding[base]),
                "interestRate": "0.0001",
                "nextFundingTime": market.now_ms + 3_600_000,
                "time": market.now_ms,
            },
        )

    def oi_hist(req: Request) -> Reply:
        symbol = req.query["symbol"]
        t = market.now_ms - market.now_ms % 300_000
        return Reply(
            200,
            [
                {
                    "symbol": symbol,
                    "sumOpenInterest": "1000",
                    "sumOpenInterestValue": str(market.oi_usd * 0.99),
                    "timestamp": t - 300_000,
                },
                {
                    "symbol": symbol,
                    "sumOpenInterest": "1010",
                    "sumOpenInterestValue": str(market.oi_usd),
                    "timestamp": t,
                },
            ],
        )

    def long_short(req: Request) -> Reply:
        symbol = req.query["symbol"]
        t = market.now_ms - market.now_ms % 300_000
        long_share = market.long_ratio / (1 + market.long_ratio)
        return Reply(
            200,
            [
                {
                    "symbol": symbol,
                    "longAccount": f"{long_share:.4f}",
                    "shortAccount": f"{1 - long_share:.4f}",
                    "longShortRatio": f"{market.long_ratio:.4f}",
                    "timestamp": t,
                }
            ],
        )

    server.route(
        "/fapi/v1/exchangeInfo",
        lambda _r: Reply(
            200,
            {
                "timezone": "UTC",
                "serverTime": market.now_ms,
                "rateLimits": [],
                "exchangeFilters": [],
                "assets": [],
                "symbols": [_binance_symbol(b) for b in BASES],
            },
        ),
    )
    server.route("/fapi/v1/klines", klines)
    server.route("/fapi/v1/depth", depth)
    server.route("/fapi/v1/aggTrades", agg_trades)
    server.route("/fapi/v1/premiumIndex", premium)
    server.route("/futures/data/openInterestHist", oi_hist)
    server.route("/futures/data/globalLongShortAccountRatio", long_short)
    return {
        "fapiPublic": f"{server.url}/fapi/v1",
        "fapiData": f"{server.url}/futures/data",
        "fapiPublicV2": f"{server.url}/fapi/v2",
        "fapiPublicV3": f"{server.url}/fapi/v3",
    }


def _okx_instrument(base: str) -> dict[str, Any]:
    return {
        "instType": "SWAP",
        "instId": f"{base}-USDT-SWAP",
        "uly": f"{base}-USDT",
        "instFamily": f"{base}-USDT",
        "baseCcy": "",
        "quoteCcy": "",
        "settleCcy": "USDT",
        "ctValCcy": base,
        "ctVal": "0.01",
        "ctMult": "1",
        "ctType": "linear",
        "lotSz": "0.01",
        "minSz": "0.01",
        "tickSz": "0.1",
        "lever": "100",
        "state": "live",
        "listTime": "1606468572000",
        "expTime": "",
        "alias": "",
        "optType": "",
        "stk": "",
        "maxLmtSz": "100000000",
        "maxMktSz": "10000",
        "ruleType": "normal",
    }


def okx_standin(server: StandIn, market: Market) -> dict[str, str]:
    """Serve OKX swaps (contract size 0.01 base); returns the `exchange_urls` entry for ccxt."""

    def ok(data: Any) -> Reply:
        return Reply(200, {"code": "0", "msg": "", "data": data})

    def candles(req: Request) -> Reply:
        base = _base_of(req.query["instId"])
        limit = int(req.query.get("limit", 10))
        price = PRICES[base]
        start = market.now_ms - market.now_ms % 60_000
        rows = []
        for i in range(limit):  # newest first, as OKX sends them
            t = start - i * 60_000
            contracts = 1000.0
            rows.append(
                [
                    str(t),
                    str(price),
                    str(price * 1.001),
                    str(price * 0.999),
                    str(price),
                    str(contracts),
                    str(contracts * 0.01),
                    str(contracts * 0.01 * price),
                    "1" if i else "0",
                ]
            )
        return ok(rows)

    def books(req: Request) -> Reply:
        price = PRICES[_base_of(req.query["instId"])]
        bids = [[str(price * (1 - 0.0001 * (i + 1))), "100", "0", "3"] for i in range(10)]
        asks = [[str(price * (1 + 0.0001 * (i + 1))), "200", "0", "3"] for i in range(10)]
        return ok([{"asks": asks, "bids": bids, "ts": str(market.now_ms)}])

    def trades(req: Request) -> Reply:
        inst = req.query["instId"]
        price = PRICES[_base_of(inst)]
        n = 20
        return ok(
            [
                {
                    "instId": inst,
                    "tradeId": str(1000 + i),
                    "px": str(price),
                    "sz": "100",
                    "side": "buy" if i % 5 < 3 else "sell",
                    "ts": str(market.now_ms - i * 1000),
                }
                for i in range(n)
            ]
        )

    def funding(req: Request) -> Reply:
        inst = req.query["instId"]
        base = _base_of(inst)
        return ok(
            [
                {
                    "instType": "SWAP",
                    "instId": inst,
                    "fundingRate": str(market.funding[base] * 1.5),
                    "nextFundingRate": "",
                    "fundingTime": str(market.now_ms + 3_600_000),
                    "nextFundingTime": str(market.now_ms + 3_600_000 + 28_800_000),
                    "method": "current_period",
                    "ts": str(market.now_ms),
                }
            ]
        )

    def oi_history(req: Request) -> Reply:
        t = market.now_ms - market.now_ms % 300_000
        return ok(
            [
                [str(t), "100000", "1000", str(market.oi_usd / 2)],
                [str(t - 300_000), "99000", "990", str(market.oi_usd / 2.1)],
            ]
        )

    def long_short(req: Request) -> Reply:
        t = market.now_ms - market.now_ms % 300_000
        return ok([[str(t), str(market.long_ratio)], [str(t - 300_000), str(market.long_ratio)]])

    server.route("/api/v5/public/instruments", lambda _r: ok([_okx_instrument(b) for b in BASES]))
    server.route("/api/v5/market/candles", candles)
    server.route("/api/v5/market/history-candles", candles)
    server.route("/api/v5/market/books", books)
    server.route("/api/v5/market/trades", trades)
    server.route("/api/v5/public/funding-rate", funding)
    server.route("/api/v5/rubik/stat/contracts/open-interest-history", oi_history)
    server.route("/api/v5/rubik/stat/contracts/long-short-account-ratio-contract", long_short)
    return {"rest": server.url}


def deribit_standin(server: StandIn, market: Market, options: list[tuple[str, float]]) -> dict[str, str]:
    """Serve Deribit's option book summaries: (instrument name, open interest) pairs."""

    def summary(req: Request) -> Reply:
        currency = req.query.get("currency")
        rows = [
            {
                "instrument_name": name,
                "open_interest": oi,
                "creation_timestamp": market.now_ms,
                "base_currency": currency,
            }
            for name, oi in options
            if name.startswith(f"{currency}-")
        ]
        return Reply(200, {"jsonrpc": "2.0", "result": rows, "usIn": 0, "usOut": 0, "usDiff": 0, "testnet": False})

    server.route("/api/v2/public/get_book_summary_by_currency", summary)
    return {"rest": server.url}
