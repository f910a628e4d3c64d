"""Every stand-in on one local server (their paths do not overlap), and settings pointing at them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from intel_coinglass_standin import KEY, CoinGlassStandIn
from intel_exchanges import Market, binance_standin, deribit_standin, okx_standin
from intel_rpc import WALLET, ethereum_node, jito, solana_node, words
from intel_standin import StandIn


class World:
    def __init__(self, server: StandIn, *, plan: str = "hobbyist") -> None:
        self.server = server
        self.market = Market(now_ms=int(time.time() * 1000))
        self.coinglass = CoinGlassStandIn(server, plan=plan, now_ms=self.market.now_ms)
        self.urls = {
            "binanceusdm": binance_standin(server, self.market),
            "okx": okx_standin(server, self.market),
            "deribit": deribit_standin(
                server, self.market, [("BTC-29DEC28-100000-C", 5.0), ("BTC-29DEC28-90000-P", 5.0)]
            ),
        }
        now_s = self.market.now_ms // 1000
        hf = 2_350_000_000_000_000_000
        ethereum_node(
            server, "/eth/secret-key-123", lambda: words(10**11, 4 * 10**10, 10**10, 8250, 8000, hf), [], now_s - 12
        )
        solana_node(server, "/sol", [0, 100, 200], now_s - 5)
        when = datetime.fromtimestamp(now_s - 30, tz=UTC).isoformat()
        self.jito_url = jito(server, "/tip", when)
        server.route(
            "/fng/", {"data": [{"value": "55", "timestamp": str(int(time.time()) - 60)}], "metadata": {"error": None}}
        )

    def data_config(self, **extra: Any) -> dict[str, Any]:
        fast = {"min_spacing_s": 0.01, "max_calls_per_minute": 1000}
        config: dict[str, Any] = {
            "symbols": ["BTC", "ETH"],
            "poll_interval_s": 0.3,
            "snapshot_wait_s": 2.0,
            "fetch_timeout_s": 3.0,
            "coinglass": {
                "base_url": self.server.url,
                "rate_limit": fast,
                "plan_rate_limits": dict.fromkeys(
                    ("hobbyist", "startup", "standard", "professional", "enterprise"), fast
                ),
            },
            "exchange_urls": self.urls,
            "exchange_rate_limit": False,  # local stand-ins need no politeness; keeps the suite fast
            "alternative_me_url": f"{self.server.url}/fng/",
            "aave": {"enabled": True, "wallet_address": WALLET},
            "solana": {"enabled": True, "jito_tip_url": self.jito_url},
        }
        config.update(extra)
        return config

    def secrets(self, *, coinglass: bool = True) -> dict[str, str]:
        secrets = {
            "ethereum_rpc_url": f"{self.server.url}/eth/secret-key-123",
            "solana_rpc_url": f"{self.server.url}/sol",
        }
        if coinglass:
            secrets["coinglass_api_key"] = KEY
        return secrets
