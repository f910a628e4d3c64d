"""CoinGlass budget over a simulated hour: every guard on, 4 symbols, one poll a minute (D-CG-2, D-CG-3, D-CG-5).

Runs the real client against the local CoinGlass stand-in (real HTTP on 127.0.0.1) with an injected clock,
so an hour takes about a second. Prints one JSON object per plan: CoinGlass calls per minute (mean and the
peak over any rolling minute), the plan's allowance as the reference and the ratio used/allowed, the
closest spacing between two calls against the configured minimum, the cache hit ratio and how many
requests the plan refused locally (never sent).

    .venv/bin/python benchmarks/bench_coinglass.py
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

STANDINS = Path(__file__).resolve().parents[1] / "tests" / "integration" / "intel" / "standins"
sys.path.insert(0, str(STANDINS))

from intel_coinglass_standin import KEY, CoinGlassStandIn  # noqa: E402 - the stand-in lives with the tests
from intel_fakeclock import FakeClock  # noqa: E402
from intel_standin import StandIn  # noqa: E402

from bigalpha.config.data import CoinGlassConfig, CoinGlassPlan  # noqa: E402
from bigalpha.data.coinglass import CoinGlass, RateLimiter, TtlCache, coinglass_providers  # noqa: E402
from bigalpha.data.providers import Unavailable  # noqa: E402

SYMBOLS = ("BTC", "ETH", "SOL", "XRP")
MINUTES = 60
POLL_S = 60.0


class RecordingLimiter(RateLimiter):
    """The real limiter, remembering every slot it granted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.granted: list[float] = []

    def reserve(self) -> float:
        slot = super().reserve()
        self.granted.append(slot)
        return slot


def peak_per_minute(slots: list[float]) -> int:
    best, start = 0, 0
    for end, slot in enumerate(slots):
        while slot - slots[start] >= 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def simulate(plan: CoinGlassPlan, url: str) -> dict[str, Any]:
    clock = FakeClock(start=0.0)
    config = CoinGlassConfig(base_url=url)
    limiter = RecordingLimiter(
        config.rate_limit.min_spacing_s, config.rate_limit.max_calls_per_minute, now=clock.now, sleep=clock.sleep
    )
    api = CoinGlass(
        config,
        SecretStr(KEY),
        limiter=limiter,
        cache=TtlCache(now=clock.now),
        now=clock.now,
        sleep=clock.sleep,
        wall=clock.wall,
    )
    providers = coinglass_providers(api)
    refused = served = unavailable = 0
    try:
        await api.start()
        for minute in range(MINUTES):
            clock.t = max(clock.t, minute * POLL_S)
            for symbol in SYMBOLS:
                for provider in providers.values():
                    if provider.check() is not None:
                        refused += 1  # the chain never calls a provider its plan refuses
                        continue
                    result = await provider.fetch(symbol)
                    if isinstance(result, Unavailable):
                        unavailable += 1
                    else:
                        served += 1
    finally:
        await api.aclose()
    slots = limiter.granted
    spacing = min((b - a for a, b in itertools.pairwise(slots)), default=None)
    allowed = config.plan_rate_limits[plan]
    peak = peak_per_minute(slots)
    return {
        "plan": plan.value,
        "symbols": len(SYMBOLS),
        "simulated_minutes": MINUTES,
        "coinglass_calls": api.calls_sent,
        "calls_per_minute_mean": round(api.calls_sent / MINUTES, 2),
        "calls_per_minute_peak": peak,
        "allowed_calls_per_minute": allowed.max_calls_per_minute,
        "ratio_peak_to_allowed": round(peak / allowed.max_calls_per_minute, 4),
        "min_spacing_s_observed": None if spacing is None else round(spacing, 3),
        "min_spacing_s_allowed": allowed.min_spacing_s,
        "cache_hit_ratio": round(api.cache.hit_ratio, 4),
        "values_served": served,
        "unavailable_answers": unavailable,
        "refused_by_plan_never_sent": refused,
    }


def main() -> None:
    results = []
    for plan in (CoinGlassPlan.HOBBYIST, CoinGlassPlan.PROFESSIONAL):
        with StandIn() as server:
            CoinGlassStandIn(server, plan=plan.value, now_ms=int(time.time() * 1000))
            started = time.perf_counter()
            result = asyncio.run(simulate(plan, server.url))
            result["wall_s"] = round(time.perf_counter() - started, 3)
            results.append(result)
    print(json.dumps({"benchmark": "coinglass_budget", "results": results}, indent=2))


if __name__ == "__main__":
    main()
