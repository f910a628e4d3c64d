"""The CoinGlass rate limiter and TTL cache on a simulated clock (D-CG-2, D-CG-3)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.data.coinglass import RateLimiter, TtlCache


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


def _check(slots: list[float], spacing: float, per_minute: int) -> None:
    for a, b in itertools.pairwise(slots):
        assert b - a >= spacing - 1e-9
    for i, start in enumerate(slots):
        in_window = [s for s in slots[i:] if s < start + 60.0]
        assert len(in_window) <= per_minute


def test_hobbyist_limits_hold_over_a_simulated_busy_minute() -> None:
    """D-CG-2: 200 back-to-back calls never exceed 30 per rolling minute nor come closer than 2.5 s."""
    clock = Clock()
    limiter = RateLimiter(2.5, 30, now=clock.now, sleep=clock.sleep)

    async def burst() -> list[float]:
        return [await limiter.acquire() for _ in range(200)]

    slots = asyncio.run(burst())
    _check(slots, 2.5, 30)
    first_minute = [s for s in slots if s < 60.0]
    assert len(first_minute) == 24  # 2.5 s spacing is the binding limit: 0, 2.5, … 57.5


def test_per_minute_cap_binds_when_spacing_is_small() -> None:
    """D-CG-2: with 0.1 s spacing and 30/min, the 31st call waits for the first to leave the window."""
    clock = Clock()
    limiter = RateLimiter(0.1, 30, now=clock.now, sleep=clock.sleep)

    async def burst() -> list[float]:
        return [await limiter.acquire() for _ in range(61)]

    slots = asyncio.run(burst())
    _check(slots, 0.1, 30)
    assert slots[30] == slots[0] + 60.0
    assert slots[60] == slots[30] + 60.0


def test_concurrent_callers_share_one_budget() -> None:
    """D-CG-2: one limiter serves every caller: 40 concurrent acquires still respect both limits."""
    clock = Clock()
    limiter = RateLimiter(2.5, 30, now=clock.now, sleep=clock.sleep)

    async def many() -> list[float]:
        return sorted(await asyncio.gather(*(limiter.acquire() for _ in range(40))))

    _check(asyncio.run(many()), 2.5, 30)


@settings(max_examples=60, deadline=None)
@given(
    spacing=st.floats(min_value=0.0, max_value=5.0),
    per_minute=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=80),
)
def test_limits_hold_for_any_arrival_pattern(spacing: float, per_minute: int, gaps: list[float]) -> None:
    """D-CG-2 (property): whatever the arrival times, granted slots keep the spacing and the per-minute cap."""
    clock = Clock()
    limiter = RateLimiter(spacing, per_minute, now=clock.now, sleep=clock.sleep)
    slots = []
    for gap in gaps:
        clock.t += gap
        slots.append(limiter.reserve())
    _check(slots, spacing, per_minute)
    assert all(slot >= 0 for slot in slots)


def test_reconfigure_adopts_the_plan_limits() -> None:
    """D-CG-2: limits are configurable per plan; the limiter follows the detected plan."""
    clock = Clock()
    limiter = RateLimiter(2.5, 30, now=clock.now, sleep=clock.sleep)
    limiter.reconfigure(0.05, 1200)
    slots = [limiter.reserve() for _ in range(100)]
    _check(slots, 0.05, 1200)
    assert slots[-1] < 5.0


def test_ttl_cache_expires_entries_on_the_injected_clock() -> None:
    """D-CG-3: a value is served until its TTL passes, then it is gone."""
    clock = Clock()
    cache: TtlCache[str] = TtlCache(now=clock.now)
    cache.put("oi", "value", 60.0)
    clock.t = 59.9
    assert cache.get("oi") == "value"
    clock.t = 60.0
    assert cache.get("oi") is None
    assert cache.hits == 1
    assert cache.misses == 1
    assert cache.hit_ratio == 0.5


def test_ttl_cache_stays_bounded() -> None:
    clock = Clock()
    cache: TtlCache[int] = TtlCache(now=clock.now, max_entries=10)
    for i in range(50):
        cache.put(i, i, 100.0)
    assert cache.get(49) == 49
    assert cache.get(0) is None


def test_one_limiter_serves_every_client_of_the_process() -> None:
    """D-CG-2: clients built without an explicit limiter share the process-wide one."""
    from pydantic import SecretStr

    from bigalpha.config.data import CoinGlassConfig
    from bigalpha.data.coinglass import CoinGlass, shared_limiter

    first = CoinGlass(CoinGlassConfig(), SecretStr("k"))
    second = CoinGlass(CoinGlassConfig(), SecretStr("k"))
    assert first.limiter is second.limiter is shared_limiter(CoinGlassConfig().rate_limit)
