"""Solana priority fees and the Jito tip floor (D-SOL-1), plain JSON over httpx.

p50 is the median of `getRecentPrioritizationFees` (micro-lamports per compute unit) over the slots
the node returns; its time is the newest slot's block time. The Jito tip floor comes in SOL and is
converted to lamports. A `PriorityFees` value needs both; its `as_of` is the older of the two times.
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime

import httpx

from bigalpha.config.data import DataKind
from bigalpha.data.chain.jsonrpc import JsonRpc, RpcError
from bigalpha.data.providers import Provider, Result, Unavailable
from bigalpha.domain import Observed, PriorityFees

SOURCE = "solana"
LAMPORTS_PER_SOL = 1_000_000_000


def p50_fee(fees: object) -> tuple[float, int]:
    """Median prioritization fee and the newest slot; raises ValueError naming the bad entry."""
    if not isinstance(fees, list) or not fees:
        raise ValueError("getRecentPrioritizationFees returned no fees")
    values: list[float] = []
    newest = -1
    for i, entry in enumerate(fees):
        if not isinstance(entry, dict):
            raise ValueError(f"fees[{i}] is not an object")
        fee, slot = entry.get("prioritizationFee"), entry.get("slot")
        if not isinstance(fee, int | float) or isinstance(fee, bool) or not isinstance(slot, int):
            raise ValueError(f"fees[{i}] needs numeric prioritizationFee and integer slot, got {entry!r:.80}")
        values.append(float(fee))
        newest = max(newest, slot)
    return statistics.median(values), newest


def jito_tip(body: object, field: str) -> tuple[float, datetime]:
    """Tip floor in lamports at `field` (a percentile, in SOL) and its time."""
    entry = body[0] if isinstance(body, list) and body else body
    if not isinstance(entry, dict):
        raise ValueError("Jito tip floor is not an object or a one-element array")
    value = entry.get(field)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"Jito tip floor has no number at {field!r}")
    raw_time = entry.get("time")
    if not isinstance(raw_time, str):
        raise ValueError("Jito tip floor has no time")
    try:
        moment = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Jito tip floor time {raw_time!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return float(value) * LAMPORTS_PER_SOL, moment.astimezone(UTC)


class SolanaFees:
    """Reads p50 priority fees from a Solana RPC node and the tip floor from Jito."""

    def __init__(
        self,
        rpc: JsonRpc,
        jito_url: str,
        jito_field: str,
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._rpc = rpc
        self._jito_url = jito_url
        self._jito_field = jito_field
        self._timeout_s = timeout_s
        self._transport = transport

    async def _jito(self) -> tuple[float, datetime]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(self._timeout_s), transport=self._transport) as http:
            try:
                response = await http.get(self._jito_url)
            except httpx.TimeoutException:
                raise RpcError(f"jito tip floor: no answer within {self._timeout_s:g} s") from None
            except httpx.HTTPError as error:
                raise RpcError(f"jito tip floor: {type(error).__name__}") from None
        if response.status_code != 200:
            raise RpcError(f"jito tip floor: HTTP {response.status_code}")
        try:
            return jito_tip(json.loads(response.content), self._jito_field)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RpcError("jito tip floor: the answer is not JSON") from None
        except ValueError as error:
            raise RpcError(f"jito tip floor: {error}") from None

    async def fees(self, symbol: str) -> Result[PriorityFees]:
        del symbol  # network-wide fees
        try:
            try:
                p50, slot = p50_fee(await self._rpc.call("getRecentPrioritizationFees", [[]]))
            except ValueError as error:
                raise RpcError(f"solana getRecentPrioritizationFees: {error}") from None
            block_time = await self._rpc.call("getBlockTime", [slot])
            if not isinstance(block_time, int) or isinstance(block_time, bool):
                raise RpcError(f"solana getBlockTime: no time for slot {slot}")
            tip, tip_time = await self._jito()
        except RpcError as error:
            return Unavailable(str(error), SOURCE)
        as_of = min(datetime.fromtimestamp(block_time, tz=UTC), tip_time)
        return Observed(PriorityFees(p50, tip), as_of, SOURCE)

    def provider(self) -> Provider[PriorityFees]:
        return Provider(SOURCE, DataKind.PRIORITY_FEES, self.fees)


def solana_unconfigured(enabled: bool, rpc_url_set: bool) -> str | None:
    if not enabled:
        return "Solana reader is off (data.solana.enabled)"
    if not rpc_url_set:
        return "no Solana RPC URL (BIGALPHA__SECRETS__SOLANA_RPC_URL)"
    return None
