"""A CoinGlass V4 stand-in: the documented paths and response shapes (fixtures/coinglass/API_NOTES.md)
with the project's own numbers, the plan rules of the real service (401 "Upgrade plan", 403 interval),
key checking, and a queue of injected faults per path."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from intel_standin import Reply, Request, StandIn

KEY = "cg-test-key-7f3a9c"
PLANS = ("hobbyist", "startup", "standard", "professional", "enterprise")
GATED = {
    "/api/futures/liquidation/aggregated-heatmap/model1": "professional",
    "/api/futures/cvd/history": "startup",
    "/api/futures/aggregated-cvd/history": "startup",
}
MIN_INTERVAL_S = {"hobbyist": 4 * 3600, "startup": 1800, "standard": 0, "professional": 0, "enterprise": 0}
UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def ok(data: Any) -> Reply:
    return Reply(200, {"code": "0", "msg": "success", "data": data})


def error(code: str, msg: str) -> Reply:
    return Reply(200, {"code": code, "msg": msg})


class CoinGlassStandIn:
    """Serves on `server.url`; `now_ms` anchors the newest row of every series."""

    def __init__(self, server: StandIn, *, plan: str = "professional", now_ms: int = 1_763_100_000_000) -> None:
        self.server = server
        self.plan = plan
        self.now_ms = now_ms
        self.faults: dict[str, deque[Reply]] = defaultdict(deque)
        self.echo_key_in_errors = False
        for path, build in self._bodies().items():
            server.route(path, self._handler(path, build))

    def inject(self, path: str, *replies: Reply) -> None:
        """The next requests to `path` get these replies, in order, before normal service resumes."""
        self.faults[path].extend(replies)

    def calls(self, path: str) -> int:
        return len(self.server.calls(path))

    def _handler(self, path: str, build: Any) -> Any:
        def handle(req: Request) -> Reply:
            if self.faults[path]:
                return self.faults[path].popleft()
            key = req.headers.get("cg-api-key")
            if key is None:
                return error("400", "API key missing.")
            if key != KEY:
                return error(
                    "400", f"Invalid API key provided: {key}" if self.echo_key_in_errors else "Invalid API key provided"
                )
            needed = GATED.get(path)
            if needed is not None and PLANS.index(self.plan) < PLANS.index(needed):
                return error("401", "Upgrade plan")
            interval = req.query.get("interval")
            if interval is not None and int(interval[:-1]) * UNIT_S[interval[-1]] < MIN_INTERVAL_S[self.plan]:
                return error("403", "The requested interval is not available for your current API plan.")
            return build(req)

        return handle

    def _times(self, n: int, step_ms: int) -> list[int]:
        last = self.now_ms - self.now_ms % step_ms
        return [last - (n - 1 - i) * step_ms for i in range(n)]

    def _step(self, req: Request) -> int:
        interval = req.query.get("interval", "4h")
        return int(interval[:-1]) * UNIT_S[interval[-1]] * 1000

    def _bodies(self) -> dict[str, Any]:
        def subscription(_req: Request) -> Reply:
            return ok({"level": self.plan.upper(), "expire_time": self.now_ms + 86_400_000 * 30, "expired": False})

        def heatmap(_req: Request) -> Reply:
            y_axis = [95_000.0 + 250.0 * i for i in range(20)]
            candles = [[t // 1000, "96800", "96900", "96700", "96850.5", "1234567.8"] for t in self._times(6, 300_000)]
            # a band at row 14 (98,500: shorts liquidate above price), one at row 2 (95,500: longs below)
            cells = [[x, 14, 2.0e7 + x] for x in range(6)] + [[x, 2, "1.5e7"] for x in range(3, 6)] + [[1, 7, 9.0e6]]
            cells.append([5, 99, 1.0])  # out of range: must be dropped
            return ok({"y_axis": y_axis, "liquidation_leverage_data": cells, "price_candlesticks": candles})

        def oi(req: Request) -> Reply:
            rows = [
                {
                    "time": t,
                    "open": str(6.70e10 + i),
                    "high": 6.72e10,
                    "low": "6.69e10",
                    "close": str(6.71e10 + i * 1e8),
                }
                for i, t in enumerate(self._times(3, self._step(req)))
            ]
            return ok(rows)

        def long_short(req: Request) -> Reply:
            return ok(
                [
                    {
                        "time": t,
                        "global_account_long_percent": 70.0,
                        "global_account_short_percent": 30.0,
                        "global_account_long_short_ratio": 2.33,
                    }
                    for t in self._times(3, self._step(req))
                ]
            )

        def taker_list(req: Request) -> Reply:
            return ok(
                {
                    "symbol": req.query.get("symbol"),
                    "buy_ratio": "52.5",
                    "sell_ratio": 47.5,
                    "buy_vol_usd": 1.05e9,
                    "sell_vol_usd": "9.5e8",
                    "exchange_list": [
                        {
                            "exchange": "Binance",
                            "buy_ratio": 52.0,
                            "sell_ratio": 48.0,
                            "buy_vol_usd": 5.2e8,
                            "sell_vol_usd": 4.8e8,
                        }
                    ],
                }
            )

        def taker_pair(req: Request) -> Reply:
            return ok(
                [
                    {"time": t, "taker_buy_volume_usd": "4.1e8", "taker_sell_volume_usd": "3.5e8"}
                    for t in self._times(2, self._step(req))
                ]
            )

        def taker_agg(req: Request) -> Reply:
            return ok(
                [
                    {"time": t, "aggregated_buy_volume_usd": 3.5e9, "aggregated_sell_volume_usd": 3.6e9}
                    for t in self._times(2, self._step(req))
                ]
            )

        def max_pain(_req: Request) -> Reply:
            return ok(
                [
                    {
                        "date": "281231",
                        "max_pain_price": "101000",
                        "call_open_interest": 2241.6,
                        "put_open_interest": 3321.9,
                        "call_open_interest_notional": 2.1e8,
                        "put_open_interest_notional": 3.2e8,
                        "call_open_interest_market_value": 1.6e6,
                        "put_open_interest_market_value": 8.3e6,
                    },
                    {"date": "200101", "max_pain_price": "9000", "call_open_interest": 1.0, "put_open_interest": 1.0},
                ]
            )

        def depth_agg(req: Request) -> Reply:
            return ok(
                [
                    {
                        "aggregated_bids_usd": 3.1e8,
                        "aggregated_bids_quantity": 3250.5,
                        "aggregated_asks_usd": "3.3e8",
                        "aggregated_asks_quantity": 3544.3,
                        "time": t,
                    }
                    for t in self._times(2, self._step(req))
                ]
            )

        def depth_pair(req: Request) -> Reply:
            return ok(
                [
                    {
                        "bids_usd": 1.4e8,
                        "bids_quantity": 1547.8,
                        "asks_usd": 1.6e8,
                        "asks_quantity": "1728.9",
                        "time": t,
                    }
                    for t in self._times(2, self._step(req))
                ]
            )

        def cvd_pair(req: Request) -> Reply:
            return Reply(
                200,
                {
                    "code": "0",
                    "data": [
                        {"time": t, "taker_buy_vol": 3.7e8, "taker_sell_vol": 3.5e8, "cum_vol_delta": 2.0e7 * (i + 1)}
                        for i, t in enumerate(self._times(2, self._step(req)))
                    ],
                },
            )

        def cvd_agg(req: Request) -> Reply:
            # the docs' mixed units: first row in ms, the next in seconds
            times = self._times(2, self._step(req))
            return Reply(
                200,
                {
                    "code": "0",
                    "data": [
                        {
                            "time": times[0],
                            "agg_taker_buy_vol": 4.6e8,
                            "agg_taker_sell_vol": 4.1e8,
                            "cum_vol_delta": 4.6e7,
                        },
                        {
                            "time": times[1] // 1000,
                            "agg_taker_buy_vol": 4.0e8,
                            "agg_taker_sell_vol": 4.2e8,
                            "cum_vol_delta": 2.6e7,
                        },
                    ],
                },
            )

        def fear_greed(_req: Request) -> Reply:
            days = self._times(3, 86_400_000)
            return ok(
                {
                    "data_list": [30.0, 45.0, 82.0],
                    "price_list": [95000.0, 96000.0, 97000.0],
                    "time_list": [*days[:2], self.now_ms - 60_000],
                }
            )

        def funding_list(_req: Request) -> Reply:
            return ok(
                [
                    {
                        "symbol": "BTC",
                        "stablecoin_margin_list": [
                            {
                                "exchange": "Binance",
                                "funding_rate": 0.01,
                                "funding_rate_interval": 8,
                                "next_funding_time": self.now_ms + 3_600_000,
                            },
                            {
                                "exchange": "OKX",
                                "funding_rate": "0.0125",
                                "funding_rate_interval": 8,
                                "next_funding_time": None,
                            },
                            {
                                "exchange": "Bybit",
                                "funding_rate": -0.005,
                                "funding_rate_interval": None,
                                "next_funding_time": None,
                            },
                        ],
                        "token_margin_list": [
                            {
                                "exchange": "Binance",
                                "funding_rate": None,
                                "funding_rate_interval": None,
                                "next_funding_time": None,
                            }
                        ],
                    },
                    *(
                        {
                            "symbol": coin,
                            "stablecoin_margin_list": [
                                {
                                    "exchange": "Binance",
                                    "funding_rate": 0.008,
                                    "funding_rate_interval": 8,
                                    "next_funding_time": self.now_ms,
                                }
                            ],
                            "token_margin_list": [],
                        }
                        for coin in ("ETH", "SOL", "XRP")
                    ),
                ]
            )

        def funding_history(req: Request) -> Reply:
            return ok(
                [
                    {"time": t, "open": "0.0062", "high": "0.0071", "low": "0.0049", "close": "0.0070"}
                    for t in self._times(2, self._step(req))
                ]
            )

        return {
            "/api/user/account/subscription": subscription,
            "/api/futures/liquidation/aggregated-heatmap/model1": heatmap,
            "/api/futures/open-interest/aggregated-history": oi,
            "/api/futures/global-long-short-account-ratio/history": long_short,
            "/api/futures/taker-buy-sell-volume/exchange-list": taker_list,
            "/api/futures/v2/taker-buy-sell-volume/history": taker_pair,
            "/api/futures/aggregated-taker-buy-sell-volume/history": taker_agg,
            "/api/option/max-pain": max_pain,
            "/api/futures/orderbook/aggregated-ask-bids-history": depth_agg,
            "/api/futures/orderbook/ask-bids-history": depth_pair,
            "/api/futures/cvd/history": cvd_pair,
            "/api/futures/aggregated-cvd/history": cvd_agg,
            "/api/index/fear-greed-history": fear_greed,
            "/api/futures/funding-rate/exchange-list": funding_list,
            "/api/futures/funding-rate/history": funding_history,
        }
