"""Aave v3 health factor over JSON-RPC (D-AAVE-1): `getUserAccountData(address)` on the Pool contract.

The call is ABI-encoded by hand (selector 0xbf92857c + the address left-padded to 32 bytes) and the
answer decoded as six uint256 words: total collateral, total debt, available borrows (base currency,
8 decimals), liquidation threshold, LTV (basis points) and the health factor (18 decimals). A health
factor of max uint256 means no debt: infinity. The value is read at the latest block, and its time is
that block's timestamp.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bigalpha.config.data import DataKind
from bigalpha.data.chain.jsonrpc import JsonRpc, RpcError
from bigalpha.data.providers import Provider, Result, Unavailable
from bigalpha.domain import Observed

SOURCE = "aave"
SELECTOR = "bf92857c"
UINT256_MAX = 2**256 - 1
WORDS = 6
_WORD_HEX = 64
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HF_DECIMALS = 10**18
_BASE_DECIMALS = 10**8


@dataclass(frozen=True, slots=True)
class AccountData:
    total_collateral_base: float
    total_debt_base: float
    available_borrows_base: float
    liquidation_threshold_bps: int
    ltv_bps: int
    health_factor: float


def encode_get_user_account_data(address: str) -> str:
    """Call data of `getUserAccountData(address)`."""
    if not _ADDRESS.match(address):
        raise ValueError(f"{address!r} is not a 20-byte hex address")
    return "0x" + SELECTOR + address[2:].lower().rjust(_WORD_HEX, "0")


def decode_account_data(result: object) -> AccountData:
    """Decode the six uint256 words; raises ValueError naming what is wrong."""
    if not isinstance(result, str) or not result.startswith("0x"):
        raise ValueError(f"eth_call result {result!r:.80} is not a 0x hex string")
    body = result[2:]
    if len(body) < WORDS * _WORD_HEX:
        raise ValueError(f"eth_call result has {len(body) // 2} bytes, getUserAccountData returns {WORDS * 32}")
    try:
        words = [int(body[i * _WORD_HEX : (i + 1) * _WORD_HEX], 16) for i in range(WORDS)]
    except ValueError:
        raise ValueError("eth_call result is not hexadecimal") from None
    hf = math.inf if words[5] == UINT256_MAX else words[5] / _HF_DECIMALS
    return AccountData(
        total_collateral_base=words[0] / _BASE_DECIMALS,
        total_debt_base=words[1] / _BASE_DECIMALS,
        available_borrows_base=words[2] / _BASE_DECIMALS,
        liquidation_threshold_bps=words[3],
        ltv_bps=words[4],
        health_factor=hf,
    )


class AaveReader:
    """Reads the configured wallet's health factor from the Aave v3 Pool."""

    def __init__(self, rpc: JsonRpc, pool_address: str, wallet_address: str) -> None:
        self._rpc = rpc
        self._pool = pool_address
        self._data = encode_get_user_account_data(wallet_address)

    async def account_data(self) -> tuple[AccountData, datetime]:
        block = await self._rpc.call("eth_getBlockByNumber", ["latest", False])
        if not isinstance(block, dict) or not isinstance(block.get("number"), str):
            raise RpcError("ethereum eth_getBlockByNumber: no block number in the answer")
        try:
            stamp = datetime.fromtimestamp(int(str(block.get("timestamp")), 16), tz=UTC)
        except ValueError:
            raise RpcError(f"ethereum eth_getBlockByNumber: bad timestamp {block.get('timestamp')!r}") from None
        result = await self._rpc.call("eth_call", [{"to": self._pool, "data": self._data}, block["number"]])
        try:
            return decode_account_data(result), stamp
        except ValueError as error:
            raise RpcError(f"ethereum getUserAccountData: {error}") from None

    async def health_factor(self, symbol: str) -> Result[float]:
        del symbol  # one wallet, whatever the symbol
        try:
            data, as_of = await self.account_data()
        except RpcError as error:
            return Unavailable(str(error), SOURCE)
        return Observed(data.health_factor, as_of, SOURCE)

    def provider(self) -> Provider[float]:
        return Provider(SOURCE, DataKind.HEALTH_FACTOR, self.health_factor)


def aave_unconfigured(enabled: bool, wallet: str | None, rpc_url_set: bool) -> str | None:
    """Why the Aave reader cannot run with this configuration, or None."""
    if not enabled:
        return "Aave reader is off (data.aave.enabled)"
    if wallet is None:
        return "no wallet address (data.aave.wallet_address)"
    if not rpc_url_set:
        return "no Ethereum RPC URL (BIGALPHA__SECRETS__ETHEREUM_RPC_URL)"
    return None
