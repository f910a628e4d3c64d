"""Provider chains and the fail-open result (D-SRC-1, D-FAILOPEN, R-STALE-1 data age)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bigalpha.clock import SimulatedClock
from bigalpha.config import Settings
from bigalpha.config.data import DataKind
from bigalpha.data.providers import Provider, ProviderChain, Result, Unavailable
from bigalpha.domain import Observed

NOW = datetime(2025, 11, 14, 6, 0, tzinfo=UTC)


def value_provider(name: str, value: float, age_s: float = 0.0) -> Provider[float]:
    async def fetch(symbol: str) -> Result[float]:
        return Observed(value, NOW - timedelta(seconds=age_s), f"{name}:{symbol}")

    return Provider(name, DataKind.FUNDING, fetch)


def failing_provider(name: str, reason: str) -> Provider[float]:
    async def fetch(symbol: str) -> Result[float]:
        return Unavailable(f"{reason} for {symbol}", name)

    return Provider(name, DataKind.FUNDING, fetch)


def chain(*providers: Provider[float], timeout_s: float = 1.0, max_age_s: float = 600.0) -> ProviderChain[float]:
    return ProviderChain(DataKind.FUNDING, providers, SimulatedClock(NOW), timeout_s=timeout_s, max_age_s=max_age_s)


def test_first_provider_that_serves_wins_in_configured_order() -> None:
    """D-SRC-1: providers are tried in order; the value keeps its own time and its source."""
    result, attempts = asyncio.run(
        chain(failing_provider("coinglass", "plan"), value_provider("exchange", 0.0001, age_s=30)).fetch_with_attempts(
            "BTC"
        )
    )
    assert isinstance(result, Observed)
    assert result.value == 0.0001
    assert result.source == "exchange:BTC"
    assert result.age_s(NOW) == 30.0  # the data's own time travels with it (R-STALE-1)
    assert [a.provider for a in attempts] == ["coinglass", "exchange"]


def test_when_nothing_serves_the_reason_names_every_provider() -> None:
    """D-FAILOPEN: an unavailable result names each provider's failure."""
    result = asyncio.run(
        chain(failing_provider("coinglass", "plan hobbyist"), failing_provider("exchange", "refused")).fetch("BTC")
    )
    assert isinstance(result, Unavailable)
    assert "coinglass: plan hobbyist for BTC" in result.reason
    assert "exchange: refused for BTC" in result.reason


def test_stale_values_count_as_failures_and_the_next_provider_is_tried() -> None:
    """D-SRC-1 / R-STALE-1: a value older than max_age_s is not served; a fresher provider is."""
    result = asyncio.run(
        chain(value_provider("coinglass", 1.0, age_s=14_400), value_provider("exchange", 2.0, age_s=60)).fetch("BTC")
    )
    assert isinstance(result, Observed)
    assert result.value == 2.0
    only_stale = asyncio.run(chain(value_provider("coinglass", 1.0, age_s=14_400)).fetch("BTC"))
    assert isinstance(only_stale, Unavailable)
    assert "14400 s old, over 600 s" in only_stale.reason


def test_a_raising_or_hanging_provider_is_a_failure_not_a_crash() -> None:
    """D-FAILOPEN: nothing raises into the caller; a hung provider is cut at its time-out."""

    async def boom(symbol: str) -> Result[float]:
        raise RuntimeError(f"bug for {symbol}")

    async def hang(symbol: str) -> Result[float]:
        await asyncio.sleep(10)
        return Unavailable("never", "hang")

    result = asyncio.run(
        chain(Provider("boom", DataKind.FUNDING, boom), Provider("hang", DataKind.FUNDING, hang), timeout_s=0.05).fetch(
            "BTC"
        )
    )
    assert isinstance(result, Unavailable)
    assert "boom: provider failed: RuntimeError: bug for BTC" in result.reason
    assert "hang: no answer within 0.05 s" in result.reason


def test_a_refusing_check_skips_the_call() -> None:
    """D-CG-5 through the chain: a provider whose check refuses is never called."""
    calls: list[str] = []

    async def fetch(symbol: str) -> Result[float]:
        calls.append(symbol)
        return Unavailable("called", "x")

    gated = Provider("coinglass", DataKind.LIQUIDATION_HEATMAP, fetch, lambda: "plan hobbyist does not serve it")
    result = asyncio.run(chain(gated).fetch("BTC"))
    assert isinstance(result, Unavailable)
    assert result.permanent
    assert calls == []


def test_empty_chain_is_permanently_unavailable() -> None:
    result = asyncio.run(chain().fetch("BTC"))
    assert isinstance(result, Unavailable)
    assert result.permanent


def test_config_refuses_a_provider_that_cannot_serve_a_kind() -> None:
    """D-SRC-1: a chain naming a provider for a kind it cannot serve fails at start-up, with the reason."""
    with pytest.raises(ValueError, match="provider 'coinglass' cannot serve order_book"):
        Settings(data={"providers": {"order_book": ["coinglass"]}})
    with pytest.raises(ValueError, match="unknown provider 'bloomberg'"):
        Settings(data={"providers": {"funding": ["bloomberg"]}})
