"""The live Feed over every stand-in (D-SRC-1, D-FAILOPEN, D-REC-1)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from intel_standin import StandIn
from intel_world import World

from bigalpha.clock import Clock
from bigalpha.config import Settings
from bigalpha.config.data import DataKind
from bigalpha.data.live import DataSources, LiveFeed, build_sources
from bigalpha.data.providers import Provider, ProviderChain, Result
from bigalpha.domain import Bar, MarketSnapshot, Observed


class ListRecorder:
    def __init__(self) -> None:
        self.snapshots: list[MarketSnapshot] = []

    def record(self, snapshot: MarketSnapshot) -> None:
        self.snapshots.append(snapshot)


def test_live_feed_assembles_snapshots_records_them_and_fails_open_on_hobbyist(server: StandIn) -> None:
    """D-SRC-1, D-FAILOPEN, D-REC-1: on a Hobbyist key every kind but the heatmap is served (exchange
    fallbacks included); the heatmap is unavailable with the plan's reason; every tick is recorded."""
    world = World(server, plan="hobbyist")
    settings = Settings(data=world.data_config(), secrets=world.secrets())
    recorder = ListRecorder()
    feed = LiveFeed(settings, recorder=recorder)
    try:
        ticks = list(itertools.islice(feed.ticks(), 2))
    finally:
        feed.close()
    assert feed.symbols == ("BTC", "ETH")
    assert [len(t) for t in ticks] == [2, 2]
    assert ticks[0][0].ts < ticks[1][0].ts
    assert recorder.snapshots == [s for t in ticks for s in t]
    btc = ticks[-1][0]
    assert btc.symbol == "BTC"
    assert btc.bar.close == 100_000.0
    reasons = dict(btc.unavailable)
    assert (
        "plan hobbyist does not serve the liquidation heatmap (needs professional)"
        in reasons[DataKind.LIQUIDATION_HEATMAP]
    )
    assert btc.liquidation_heatmap is None
    assert set(reasons) == {DataKind.LIQUIDATION_HEATMAP}, reasons
    assert btc.long_short is not None
    assert btc.long_short.source == "exchange:binanceusdm"
    assert btc.fear_greed is not None
    assert btc.fear_greed.source == "coinglass"
    assert btc.max_pain is not None
    assert btc.max_pain.value == 101_000.0
    assert btc.funding is not None
    assert dict(btc.funding.value) == pytest.approx({"binanceusdm": 0.0001, "okx": 0.00015})
    assert btc.health_factor is not None
    assert btc.health_factor.value == 2.35
    assert btc.priority_fees is not None
    assert btc.priority_fees.value.p50_micro_lamports == 100.0
    assert btc.book is not None
    assert btc.open_interest_usd is not None
    now = datetime.now(UTC)
    assert all(0 <= o.age_s(now) < 600 for o in (btc.funding, btc.long_short, btc.open_interest_usd))
    assert ticks[0][0].trades
    assert not ticks[1][0].trades
    assert server.calls("/api/futures/liquidation/aggregated-heatmap/model1") == []


def test_a_slow_provider_never_blocks_the_tick(server: StandIn) -> None:
    """D-FAILOPEN: a provider slower than the snapshot wait is carried over; the tick goes out without it,
    naming why, and the value arrives in a later tick."""
    released = threading.Event()
    finished = threading.Event()
    bar = Bar(datetime(2025, 11, 14, 6, 0, tzinfo=UTC), 1.0, 1.0, 1.0, 1.0, 1.0, 0.5)

    async def candles(symbol: str) -> Result[Any]:
        return Observed((bar,), datetime.now(UTC), "fake")

    async def slow_funding(symbol: str) -> Result[Any]:
        while not released.is_set():
            await asyncio.sleep(0.01)
        finished.set()
        return Observed((("x", 0.0001),), datetime.now(UTC), "slow")

    def factory(settings: Settings, clock: Clock) -> DataSources:
        sources = build_sources(
            settings.model_copy(update={"data": settings.data.model_copy(update={"providers": {}})}), clock
        )
        sources.chains[DataKind.CANDLES] = ProviderChain(
            DataKind.CANDLES, [Provider("fake", DataKind.CANDLES, candles)], clock, timeout_s=30, max_age_s=600
        )
        sources.chains[DataKind.FUNDING] = ProviderChain(
            DataKind.FUNDING, [Provider("slow", DataKind.FUNDING, slow_funding)], clock, timeout_s=30, max_age_s=600
        )
        return sources

    settings = Settings(data={"symbols": ["BTC"], "poll_interval_s": 0.05, "snapshot_wait_s": 0.05})
    feed = LiveFeed(settings, sources_factory=factory)
    try:
        ticks = feed.ticks()
        first = next(ticks)
        assert not finished.is_set()  # the tick left while funding was still being fetched
        assert dict(first[0].unavailable)[DataKind.FUNDING] == "no value yet"
        released.set()
        later = next(t for t in ticks if t[0].funding is not None)
        assert later[0].funding is not None
        assert later[0].funding.source == "slow"
    finally:
        feed.close()


def test_a_start_up_failure_surfaces_from_ticks(server: StandIn) -> None:
    """A bad exchange URL override is a configuration error raised to the engine at start, not a hang."""
    settings = Settings(data={"symbols": ["BTC"], "exchange_urls": {"binanceusdm": {"nonsense": "http://127.0.0.1:1"}}})
    feed = LiveFeed(settings)
    try:
        with pytest.raises(RuntimeError, match=r"'nonsense' is not a ccxt urls\['api'\] key"):
            next(feed.ticks())
    finally:
        feed.close()
