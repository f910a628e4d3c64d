"""The CoinGlass V4 client against a real HTTP stand-in (D-CG-1 … D-CG-5)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from intel_coinglass_standin import KEY, CoinGlassStandIn
from intel_fakeclock import FakeClock
from intel_standin import Reply, StandIn, closed_port_url
from pydantic import SecretStr

from bigalpha.config.data import CoinGlassConfig, CoinGlassPlan, DataKind
from bigalpha.data.coinglass import CoinGlass, Endpoint, RateLimiter, TtlCache
from bigalpha.data.providers import Unavailable

T = TypeVar("T")


def make(url: str, clock: FakeClock, *, key: str | None = KEY, **overrides: Any) -> CoinGlass:
    config = CoinGlassConfig(base_url=url, **overrides)
    limiter = RateLimiter(
        config.rate_limit.min_spacing_s, config.rate_limit.max_calls_per_minute, now=clock.now, sleep=clock.sleep
    )
    return CoinGlass(
        config,
        SecretStr(key) if key is not None else None,
        limiter=limiter,
        cache=TtlCache(now=clock.now),
        now=clock.now,
        sleep=clock.sleep,
        wall=clock.wall,
    )


def run(api: CoinGlass, body: Callable[[CoinGlass], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await body(api)
        finally:
            await api.aclose()

    return asyncio.run(main())


def test_plan_is_read_at_start_and_its_rate_limit_adopted(server: StandIn) -> None:
    """D-CG-5, D-CG-2: the subscription endpoint sets the plan and the limiter follows it."""
    CoinGlassStandIn(server, plan="hobbyist")
    api = make(server.url, FakeClock())
    sub = run(api, lambda a: a.start())
    assert not isinstance(sub, Unavailable)
    assert sub.plan is CoinGlassPlan.HOBBYIST
    assert api.plan is CoinGlassPlan.HOBBYIST
    assert (api.limiter.min_spacing_s, api.limiter.max_calls_per_minute) == (2.5, 30)


def test_hobbyist_heatmap_is_never_sent(server: StandIn) -> None:
    """D-CG-5: a request the plan cannot serve returns a typed unavailable result without any call."""
    standin = CoinGlassStandIn(server, plan="hobbyist")
    api = make(server.url, FakeClock())

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.heatmap("BTC"), await a.cvd_history("BTC", "4h"), await a.aggregated_cvd_history("BTC", "4h")

    heat, cvd, agg = run(api, body)
    assert isinstance(heat, Unavailable)
    assert heat.reason == "plan hobbyist does not serve the liquidation heatmap (needs professional)"
    assert heat.permanent
    assert isinstance(cvd, Unavailable)
    assert "needs startup" in cvd.reason
    assert isinstance(agg, Unavailable)
    assert standin.calls(Endpoint.HEATMAP.value) == 0
    assert standin.calls(Endpoint.CVD_PAIR.value) == 0


def test_hobbyist_interval_under_4h_is_never_sent_but_4h_is(server: StandIn) -> None:
    """D-CG-5: intervals under 4h are refused locally on Hobbyist; 4h is served."""
    standin = CoinGlassStandIn(server, plan="hobbyist")
    api = make(server.url, FakeClock())

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.open_interest_history("BTC", "5m"), await a.open_interest_history("BTC", "4h")

    five, four = run(api, body)
    assert isinstance(five, Unavailable)
    assert five.reason == "plan hobbyist does not serve interval 5m for open-interest history (needs standard)"
    assert not isinstance(four, Unavailable)
    assert [r.query["interval"] for r in server.calls(Endpoint.OI_AGGREGATED.value)] == ["4h"]
    assert standin.calls(Endpoint.OI_AGGREGATED.value) == 1


def test_validate_reports_per_kind_what_the_plan_serves(server: StandIn) -> None:
    """D-CG-5: `validate` tells, per data kind (hence per guard), whether the plan serves it, before trading."""
    CoinGlassStandIn(server, plan="hobbyist")
    api = make(server.url, FakeClock())
    run(api, lambda a: a.start())
    report = api.validate()
    assert (
        report[DataKind.LIQUIDATION_HEATMAP]
        == "plan hobbyist does not serve the liquidation heatmap (needs professional)"
    )
    assert report[DataKind.CVD] is not None
    assert report[DataKind.OPEN_INTEREST] is not None  # 5m history needs a better plan
    assert report[DataKind.TAKER_VOLUME] is None  # the exchange list has no interval
    assert report[DataKind.FUNDING] is None
    assert report[DataKind.FEAR_GREED] is None
    assert report[DataKind.MAX_PAIN] is None


def test_every_endpoint_parses_into_typed_results(coinglass: CoinGlassStandIn, server: StandIn) -> None:
    """D-CG-1: every endpoint the guards need, numbers as strings or numbers, times normalised."""
    api = make(server.url, FakeClock())

    async def body(a: CoinGlass) -> dict[str, Any]:
        await a.start()
        return {
            "heatmap": await a.heatmap("BTC"),
            "oi": await a.open_interest_history("BTC"),
            "ls": await a.long_short_history("BTC"),
            "taker_list": await a.taker_exchange_list("BTC"),
            "taker_pair": await a.taker_history("BTC"),
            "taker_agg": await a.aggregated_taker_history("BTC"),
            "max_pain": await a.max_pain("BTC"),
            "depth_agg": await a.aggregated_depth_history("BTC"),
            "depth_pair": await a.depth_history("BTC"),
            "cvd": await a.cvd_history("BTC"),
            "cvd_agg": await a.aggregated_cvd_history("BTC"),
            "fng": await a.fear_greed_history(),
            "funding": await a.funding_exchange_list(),
            "funding_hist": await a.funding_history("BTC"),
        }

    got = run(api, body)
    for name, value in got.items():
        assert not isinstance(value, Unavailable), (name, value)
    heat = got["heatmap"]
    levels = heat.levels(3)
    assert [lv.price for lv in levels] == [95_500.0, 98_500.0]  # out-of-range and old cells dropped
    assert levels[0].liquidation_usd == 1.5e7
    assert heat.as_of.tzinfo is UTC
    assert heat.as_of.timestamp() * 1000 <= coinglass.now_ms
    assert got["oi"][-1].close == pytest.approx(6.71e10 + 2e8)
    assert got["ls"][-1].short_percent == 30.0
    assert got["taker_list"].value.buy_ratio == 52.5
    assert got["taker_pair"][0].buy_usd == 4.1e8
    assert got["max_pain"].value[0].max_pain_price == 101_000.0
    assert got["depth_agg"][0].asks_usd == 3.3e8
    assert got["depth_pair"][0].asks_quantity == 1728.9
    times = [row.ts for row in got["cvd_agg"]]
    assert times[1] > times[0]  # the seconds-unit row was normalised to ms
    assert got["fng"][-1].value == 82.0
    btc = next(c for c in got["funding"].value if c.symbol == "BTC")
    assert btc.stablecoin_margin[1].rate_percent == 0.0125
    assert btc.stablecoin_margin[2].interval_hours is None
    assert got["funding_hist"][-1].close == 0.007
    assert server.calls(Endpoint.HEATMAP.value)[0].headers["cg-api-key"] == KEY


@pytest.mark.parametrize(
    ("code", "msg", "permanent"),
    [
        ("401", "Upgrade plan", True),
        ("403", "The requested interval is not available for your current API plan.", True),
        ("400", "Required String parameter 'exchange_list' is not present", True),
        ("500", "Server Error", False),
    ],
)
def test_error_envelopes_become_unavailable(server: StandIn, code: str, msg: str, permanent: bool) -> None:
    """D-CG-4, D-CG-5: HTTP 200 with a code other than "0" is an unavailable result naming code and message."""
    standin = CoinGlassStandIn(server, plan="professional")
    clock = FakeClock()
    api = make(server.url, clock, max_retries=2)
    standin.inject(Endpoint.TAKER_EXCHANGES.value, *[Reply(200, {"code": code, "msg": msg})] * 3)

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.taker_exchange_list("BTC")

    result = run(api, body)
    assert isinstance(result, Unavailable)
    assert code in result.reason
    assert result.permanent is permanent
    expected_calls = 3 if code == "500" else 1  # 500 is retried (2 retries), the others are not
    assert standin.calls(Endpoint.TAKER_EXCHANGES.value) == expected_calls


def test_429_honours_retry_after_in_seconds_and_as_http_date(server: StandIn) -> None:
    """D-CG-4: a 429 waits what Retry-After says (seconds or HTTP date), then succeeds."""
    standin = CoinGlassStandIn(server, plan="professional")
    clock = FakeClock(wall=datetime(2025, 11, 14, 6, 0, tzinfo=UTC))
    api = make(server.url, clock, max_retries=3)
    standin.inject(
        Endpoint.FEAR_GREED.value,
        Reply(429, {"code": "429", "msg": "Too Many Requests"}, headers={"Retry-After": "7"}),
        Reply(
            429, {"code": "429", "msg": "Too Many Requests"}, headers={"Retry-After": "Fri, 14 Nov 2025 06:00:30 GMT"}
        ),
    )

    async def body(a: CoinGlass) -> Any:
        await a.start()
        clock.sleeps.clear()
        return await a.fear_greed_history()

    result = run(api, body)
    assert not isinstance(result, Unavailable)
    retry_waits = [s for s in clock.sleeps if s > 5]
    assert retry_waits[0] == 7.0
    assert retry_waits[1] == pytest.approx(30.0 - 7.0 - api.limiter.min_spacing_s, abs=0.01)
    assert standin.calls(Endpoint.FEAR_GREED.value) == 3


def test_429_without_retry_after_and_5xx_back_off_exponentially_and_give_up(server: StandIn) -> None:
    """D-CG-4: no Retry-After → backoff_base × 2^n; bounded retries; then a typed unavailable result."""
    standin = CoinGlassStandIn(server, plan="professional")
    clock = FakeClock()
    api = make(
        server.url,
        clock,
        max_retries=3,
        backoff_base_s=1.0,
        rate_limit={"min_spacing_s": 0.01, "max_calls_per_minute": 1000},
    )
    standin.inject(
        Endpoint.FEAR_GREED.value,
        Reply(429, {"code": "429"}),
        Reply(503, raw=b"<html>busy</html>"),
        Reply(500, {"code": "500"}),
        Reply(502, raw=b""),
    )

    async def body(a: CoinGlass) -> Any:
        await a.start()
        clock.sleeps.clear()
        return await a.fear_greed_history()

    result = run(api, body)
    assert isinstance(result, Unavailable)
    assert "HTTP 502" in result.reason
    assert "after 3 retries" in result.reason
    assert [s for s in clock.sleeps if s >= 0.5] == [1.0, 2.0, 4.0]
    assert standin.calls(Endpoint.FEAR_GREED.value) == 4


def test_retry_after_longer_than_allowed_is_not_waited_for(server: StandIn) -> None:
    """D-CG-4: a Retry-After beyond max_retry_wait_s returns unavailable at once instead of stalling."""
    standin = CoinGlassStandIn(server, plan="professional")
    clock = FakeClock()
    api = make(server.url, clock, max_retry_wait_s=60)
    standin.inject(Endpoint.FEAR_GREED.value, Reply(429, {"code": "429"}, headers={"Retry-After": "3600"}))

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.fear_greed_history()

    result = run(api, body)
    assert isinstance(result, Unavailable)
    assert "Retry-After 3600 s exceeds 60 s" in result.reason
    assert max(clock.sleeps, default=0) < 60


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (Reply(200, raw=b"{not json"), "not JSON"),
        (Reply(200, ["a", "list"]), "not a CoinGlass envelope"),
        (Reply(200, {"code": "0", "msg": "success"}), "has no data"),
        (Reply(200, {"code": "0", "data": []}), "no rows"),
        (
            Reply(200, {"code": "0", "data": [{"time": 1763100000000, "open": "x", "high": 1, "low": 1, "close": 1}]}),
            "data[0].open",
        ),
        (Reply(200, {"code": "0", "data": {"rows": 1}}), "expected an array"),
        (
            Reply(200, {"code": "0", "data": [{"time": None, "open": 1, "high": 1, "low": 1, "close": 1}]}),
            "data[0].time",
        ),
        (Reply(404, {"code": "404", "msg": "Endpoint not found."}), "404"),
    ],
)
def test_bad_bodies_become_unavailable_naming_the_problem(server: StandIn, reply: Reply, needle: str) -> None:
    """D-CG-4: malformed JSON, wrong types, empty data: a typed unavailable result, never an exception."""
    standin = CoinGlassStandIn(server, plan="professional")
    api = make(server.url, FakeClock())
    standin.inject(Endpoint.OI_AGGREGATED.value, reply)

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.open_interest_history("BTC")

    result = run(api, body)
    assert isinstance(result, Unavailable)
    assert needle in result.reason


def test_a_malformed_body_is_not_cached(server: StandIn) -> None:
    """D-CG-3 / D-CG-4: only parsed results are cached, so the next call asks again and recovers."""
    standin = CoinGlassStandIn(server, plan="professional")
    api = make(server.url, FakeClock())
    standin.inject(Endpoint.OI_AGGREGATED.value, Reply(200, raw=b"garbage"))

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.open_interest_history("BTC"), await a.open_interest_history("BTC")

    first, second = run(api, body)
    assert isinstance(first, Unavailable)
    assert not isinstance(second, Unavailable)


def test_slow_response_times_out_as_unavailable(server: StandIn) -> None:
    """D-CG-4: every call has a time-out; a slow answer becomes unavailable."""
    standin = CoinGlassStandIn(server, plan="professional")
    api = make(server.url, FakeClock(), timeout_s=0.2)
    standin.inject(Endpoint.FEAR_GREED.value, Reply(200, {"code": "0", "data": {}}, delay_s=0.6))

    async def body(a: CoinGlass) -> Any:
        await a.start()
        return await a.fear_greed_history()

    result = run(api, body)
    assert isinstance(result, Unavailable)
    assert "no answer within 0.2 s" in result.reason


def test_connection_refused_is_unavailable_and_plan_unknown() -> None:
    """D-CG-4, D-CG-5: nothing listening: the plan stays unknown and every request is refused with why."""
    api = make(closed_port_url(), FakeClock())

    async def body(a: CoinGlass) -> Any:
        start = await a.start()
        return start, await a.fear_greed_history()

    start, fng = run(api, body)
    assert isinstance(start, Unavailable)
    assert "ConnectError" in start.reason
    assert isinstance(fng, Unavailable)
    assert "plan unknown" in fng.reason
    assert not fng.permanent


def test_no_key_means_nothing_is_sent(server: StandIn) -> None:
    """D-CG-1: without a key the client refuses locally, naming the environment variable."""
    standin = CoinGlassStandIn(server)
    api = make(server.url, FakeClock(), key=None)
    result = run(api, lambda a: a.fear_greed_history())
    assert isinstance(result, Unavailable)
    assert "BIGALPHA__SECRETS__COINGLASS_API_KEY" in result.reason
    assert standin.calls(Endpoint.SUBSCRIPTION.value) == 0


def test_cache_ttl_per_kind_is_honoured(coinglass: CoinGlassStandIn, server: StandIn) -> None:
    """D-CG-3: OI cached 1 min, fear & greed 10 min, heatmap 5 min: a second call inside the TTL is served
    from cache, one after it asks again."""
    clock = FakeClock()
    api = make(server.url, clock)

    async def body(a: CoinGlass) -> None:
        await a.start()
        for _ in range(3):
            await a.open_interest_history("BTC")
            await a.fear_greed_history()
            await a.heatmap("BTC")
        clock.t += 59
        await a.open_interest_history("BTC")
        assert coinglass.calls(Endpoint.OI_AGGREGATED.value) == 1
        clock.t += 2
        await a.open_interest_history("BTC")
        assert coinglass.calls(Endpoint.OI_AGGREGATED.value) == 2
        clock.t += 240
        await a.heatmap("BTC")
        await a.fear_greed_history()
        assert coinglass.calls(Endpoint.HEATMAP.value) == 2
        assert coinglass.calls(Endpoint.FEAR_GREED.value) == 1
        clock.t += 300
        await a.fear_greed_history()
        assert coinglass.calls(Endpoint.FEAR_GREED.value) == 2

    run(api, body)
    assert api.cache.hits >= 6


def test_concurrent_identical_requests_share_one_call(coinglass: CoinGlassStandIn, server: StandIn) -> None:
    """D-CG-2: four symbols asking for the same funding list at once spend one call, not four."""
    api = make(server.url, FakeClock())

    async def body(a: CoinGlass) -> list[Any]:
        await a.start()
        return list(await asyncio.gather(*(a.funding_exchange_list() for _ in range(4))))

    results = run(api, body)
    assert all(not isinstance(r, Unavailable) for r in results)
    assert coinglass.calls(Endpoint.FUNDING_EXCHANGES.value) == 1


def test_api_key_never_appears_in_logs_errors_or_reprs(server: StandIn, caplog: pytest.LogCaptureFixture) -> None:
    """D-CG-1: the key goes only into the CG-API-KEY header; a server echoing it is redacted."""
    standin = CoinGlassStandIn(server, plan="professional")
    standin.echo_key_in_errors = True
    wrong = "wrong-key-SECRET-0042"
    caplog.set_level(logging.DEBUG)
    api = make(server.url, FakeClock(), key=wrong)

    async def body(a: CoinGlass) -> list[Any]:
        return [await a.start(), await a.fear_greed_history(), a.validate()]

    results = run(api, body)
    texts = [caplog.text, repr(api), str(api.config), *(repr(r) for r in results), str(api.plan_error)]
    assert all(wrong not in text for text in texts)
    assert "***" in str(api.plan_error)  # the echo was there, and was redacted
    assert server.calls(Endpoint.SUBSCRIPTION.value)[0].headers["cg-api-key"] == wrong
