"""JSON-RPC stand-ins: an Ethereum node answering the Aave Pool call, a Solana node, and Jito's tip floor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intel_standin import Reply, Request, StandIn

POOL = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2"
WALLET = "0x2222222222222222222222222222222222222222"
BLOCK_TS = 1_763_100_000


def words(*values: int) -> str:
    return "0x" + "".join(f"{v:064x}" for v in values)


def ethereum_node(
    server: StandIn, path: str, account_words: Callable[[], str], calls: list[dict[str, Any]], block_ts: int = BLOCK_TS
) -> None:
    def handle(req: Request) -> Reply:
        body = req.json()
        calls.append(body)
        method, params = body["method"], body["params"]
        if method == "eth_getBlockByNumber":
            return Reply(
                200, {"jsonrpc": "2.0", "id": body["id"], "result": {"number": "0x1234", "timestamp": hex(block_ts)}}
            )
        if method == "eth_call":
            call, block = params
            if call["to"] != POOL or not call["data"].startswith("0xbf92857c") or block != "0x1234":
                return Reply(
                    200,
                    {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": "execution reverted"}},
                )
            return Reply(200, {"jsonrpc": "2.0", "id": body["id"], "result": account_words()})
        return Reply(
            200, {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": "method not found"}}
        )

    server.route(path, handle, method="POST")


def solana_node(server: StandIn, path: str, fees: list[int], block_ts: int = BLOCK_TS) -> None:
    def handle(req: Request) -> Reply:
        body = req.json()
        if body["method"] == "getRecentPrioritizationFees":
            result: Any = [{"slot": 300_000_000 + i, "prioritizationFee": f} for i, f in enumerate(fees)]
        elif body["method"] == "getBlockTime":
            result = block_ts + 5
        else:
            return Reply(200, {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": "nope"}})
        return Reply(200, {"jsonrpc": "2.0", "id": body["id"], "result": result})

    server.route(path, handle, method="POST")


def jito(server: StandIn, path: str = "/api/v1/bundles/tip_floor", when: str = "2025-11-14T06:00:00Z") -> str:
    server.route(
        path,
        [
            {
                "time": when,
                "landed_tips_25th_percentile": 1e-6,
                "landed_tips_50th_percentile": 1.2e-5,
                "landed_tips_75th_percentile": 5e-5,
            }
        ],
    )
    return f"{server.url}{path}"
