"""Aave v3 health factor and Solana fees over real JSON-RPC stand-ins (D-AAVE-1, D-SOL-1)."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from intel_rpc import BLOCK_TS, POOL, WALLET, ethereum_node, jito, solana_node, words
from intel_standin import Reply, StandIn, closed_port_url
from pydantic import SecretStr

from bigalpha.data.chain import AaveReader, JsonRpc, SolanaFees
from bigalpha.data.chain.aave import UINT256_MAX
from bigalpha.data.providers import Unavailable
from bigalpha.domain import Observed

SECRET_PATH = "/v3/secret-provider-key-991"


def read_health(url: str) -> Any:
    async def main() -> Any:
        rpc = JsonRpc("ethereum", SecretStr(url), timeout_s=0.2)
        try:
            return await AaveReader(rpc, POOL, WALLET).provider().fetch("BTC")
        finally:
            await rpc.aclose()

    return asyncio.run(main())


def test_health_factor_is_read_at_the_latest_block(server: StandIn) -> None:
    """D-AAVE-1: getUserAccountData on the Pool, 18-decimal health factor, time = the block's timestamp."""
    calls: list[dict[str, Any]] = []
    ethereum_node(
        server, SECRET_PATH, lambda: words(10**11, 4 * 10**10, 10**10, 8250, 8000, 2_350_000_000_000_000_000), calls
    )
    result = read_health(server.url + SECRET_PATH)
    assert isinstance(result, Observed)
    assert result.value == pytest.approx(2.35)
    assert result.as_of == datetime.fromtimestamp(BLOCK_TS, tz=UTC)
    call = next(c for c in calls if c["method"] == "eth_call")
    assert call["params"][0]["data"] == "0xbf92857c" + WALLET[2:].rjust(64, "0")


def test_no_debt_reads_as_infinite_health(server: StandIn) -> None:
    """D-AAVE-1: max uint256 → infinity."""
    ethereum_node(server, SECRET_PATH, lambda: words(10**11, 0, 0, 0, 0, UINT256_MAX), [])
    result = read_health(server.url + SECRET_PATH)
    assert isinstance(result, Observed)
    assert math.isinf(result.value)


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (Reply(200, raw=b"not json"), "not JSON"),
        (Reply(502, raw=b""), "HTTP 502"),
        (
            Reply(200, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": f"limit for {SECRET_PATH}"}}),
            "RPC error",
        ),
        (Reply(200, {"jsonrpc": "2.0", "id": 1, "result": "0x12"}), "no block number"),
        (Reply(200, {"jsonrpc": "2.0", "id": 1}, delay_s=0.5), "no answer within 0.2 s"),
    ],
)
def test_rpc_failures_are_unavailable_and_never_show_the_url(
    server: StandIn, reply: Reply, needle: str, caplog: pytest.LogCaptureFixture
) -> None:
    """D-AAVE-1: failures are typed results; the RPC URL (it may embed a key) never appears."""
    caplog.set_level(logging.DEBUG)
    server.route(SECRET_PATH, reply, method="POST")
    result = read_health(server.url + SECRET_PATH)
    assert isinstance(result, Unavailable)
    assert needle in result.reason
    assert "secret-provider-key" not in result.reason
    assert "secret-provider-key" not in caplog.text


def test_connection_refused_is_unavailable() -> None:
    result = read_health(closed_port_url() + SECRET_PATH)
    assert isinstance(result, Unavailable)
    assert "ConnectError" in result.reason
    assert "secret-provider-key" not in result.reason


def test_solana_p50_fee_and_jito_tip(server: StandIn) -> None:
    """D-SOL-1: p50 of recent prioritization fees and the Jito tip floor in lamports; as_of the older time."""
    solana_node(server, "/solana", [0, 0, 1000, 2500, 9000])
    tip_url = jito(server)

    async def main() -> Any:
        rpc = JsonRpc("solana", SecretStr(server.url + "/solana"), timeout_s=1.0)
        try:
            return await SolanaFees(rpc, tip_url, "landed_tips_50th_percentile", timeout_s=1.0).provider().fetch("SOL")
        finally:
            await rpc.aclose()

    result = asyncio.run(main())
    assert isinstance(result, Observed)
    assert result.value.p50_micro_lamports == 1000.0
    assert result.value.jito_tip_lamports == pytest.approx(12_000.0)
    assert result.as_of == min(datetime.fromtimestamp(BLOCK_TS + 5, tz=UTC), datetime(2025, 11, 14, 6, 0, tzinfo=UTC))


def test_solana_without_jito_is_unavailable_with_the_reason(server: StandIn) -> None:
    """D-SOL-1: a PriorityFees value needs both numbers; a dead Jito endpoint is named."""
    solana_node(server, "/solana", [5])
    server.route("/tip", Reply(503, raw=b"down"))

    async def main() -> Any:
        rpc = JsonRpc("solana", SecretStr(server.url + "/solana"), timeout_s=1.0)
        try:
            return await SolanaFees(rpc, server.url + "/tip", "landed_tips_50th_percentile", timeout_s=1.0).fees("SOL")
        finally:
            await rpc.aclose()

    result = asyncio.run(main())
    assert isinstance(result, Unavailable)
    assert "jito tip floor: HTTP 503" in result.reason
