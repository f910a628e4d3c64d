"""CoinGlass V4 paths (D-CG-1), their cache TTL kind (D-CG-3) and the plan rules (D-CG-5).

Paths are the documented ones (fixtures/coinglass/API_NOTES.md): the seeds' `cvd/exchange-list` and
`aggregated-orderbook-bid-ask-range` do not exist and are not here.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bigalpha.config.data import CacheTtl, CoinGlassConfig, CoinGlassPlan


class Endpoint(StrEnum):
    SUBSCRIPTION = "/api/user/account/subscription"
    HEATMAP = "/api/futures/liquidation/aggregated-heatmap/model1"
    OI_AGGREGATED = "/api/futures/open-interest/aggregated-history"
    LONG_SHORT = "/api/futures/global-long-short-account-ratio/history"
    TAKER_EXCHANGES = "/api/futures/taker-buy-sell-volume/exchange-list"
    TAKER_PAIR = "/api/futures/v2/taker-buy-sell-volume/history"
    TAKER_AGGREGATED = "/api/futures/aggregated-taker-buy-sell-volume/history"
    MAX_PAIN = "/api/option/max-pain"
    DEPTH_AGGREGATED = "/api/futures/orderbook/aggregated-ask-bids-history"
    DEPTH_PAIR = "/api/futures/orderbook/ask-bids-history"
    CVD_PAIR = "/api/futures/cvd/history"
    CVD_AGGREGATED = "/api/futures/aggregated-cvd/history"
    FEAR_GREED = "/api/index/fear-greed-history"
    FUNDING_EXCHANGES = "/api/futures/funding-rate/exchange-list"
    FUNDING_HISTORY = "/api/futures/funding-rate/history"


LABELS: dict[Endpoint, str] = {
    Endpoint.SUBSCRIPTION: "the plan check",
    Endpoint.HEATMAP: "the liquidation heatmap",
    Endpoint.OI_AGGREGATED: "open-interest history",
    Endpoint.LONG_SHORT: "long/short account ratio history",
    Endpoint.TAKER_EXCHANGES: "the taker buy/sell exchange list",
    Endpoint.TAKER_PAIR: "taker buy/sell history",
    Endpoint.TAKER_AGGREGATED: "aggregated taker buy/sell history",
    Endpoint.MAX_PAIN: "option max pain",
    Endpoint.DEPTH_AGGREGATED: "aggregated order-book depth history",
    Endpoint.DEPTH_PAIR: "order-book depth history",
    Endpoint.CVD_PAIR: "CVD history",
    Endpoint.CVD_AGGREGATED: "aggregated CVD history",
    Endpoint.FEAR_GREED: "fear & greed history",
    Endpoint.FUNDING_EXCHANGES: "the funding-rate exchange list",
    Endpoint.FUNDING_HISTORY: "funding-rate history",
}

PLAN_ORDER: tuple[CoinGlassPlan, ...] = tuple(CoinGlassPlan)  # cheapest first, as the enum is declared

_INTERVAL = re.compile(r"^([0-9]+)([mhdw])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def interval_seconds(interval: str) -> int:
    """`"5m"` → 300. Raises ValueError naming the interval when it is not `<n><m|h|d|w>`."""
    match = _INTERVAL.match(interval)
    if match is None:
        raise ValueError(f"interval {interval!r} is not of the form <number><m|h|d|w>")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def ttl_for(endpoint: Endpoint, ttl: CacheTtl) -> float:
    """D-CG-3: heatmap 5 min, open interest 1 min, max pain 5 min, order book 1 min, fear & greed 10 min."""
    if endpoint is Endpoint.HEATMAP:
        return ttl.heatmap_s
    if endpoint is Endpoint.OI_AGGREGATED:
        return ttl.open_interest_s
    if endpoint is Endpoint.MAX_PAIN:
        return ttl.max_pain_s
    if endpoint in (Endpoint.DEPTH_AGGREGATED, Endpoint.DEPTH_PAIR):
        return ttl.orderbook_s
    if endpoint is Endpoint.FEAR_GREED:
        return ttl.fear_greed_s
    return ttl.default_s


def plan_refusal(plan: CoinGlassPlan, endpoint: Endpoint, interval: str | None, config: CoinGlassConfig) -> str | None:
    """Why `plan` cannot serve this request, or None when it can (D-CG-5)."""
    label = LABELS[endpoint]
    needed = config.endpoint_min_plan.get(endpoint.value, CoinGlassPlan.HOBBYIST)
    if PLAN_ORDER.index(plan) < PLAN_ORDER.index(needed):
        return f"plan {plan.value} does not serve {label} (needs {needed.value})"
    if interval is not None:
        seconds = interval_seconds(interval)
        minimum = config.plan_min_interval_s.get(plan, 0)
        if seconds < minimum:
            cheapest = next(
                (
                    p
                    for p in PLAN_ORDER
                    if config.plan_min_interval_s.get(p, 0) <= seconds
                    and PLAN_ORDER.index(p) >= PLAN_ORDER.index(needed)
                ),
                None,
            )
            need = f"needs {cheapest.value}" if cheapest is not None else "no plan serves it"
            return f"plan {plan.value} does not serve interval {interval} for {label} ({need})"
    return None
