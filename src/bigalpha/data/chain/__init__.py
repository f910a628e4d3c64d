"""Chain readers over plain JSON-RPC: Aave v3 health factor (D-AAVE-1), Solana fees and Jito tips (D-SOL-1)."""

from bigalpha.data.chain.aave import AaveReader, decode_account_data, encode_get_user_account_data
from bigalpha.data.chain.jsonrpc import JsonRpc, RpcError
from bigalpha.data.chain.solana import SolanaFees

__all__ = ["AaveReader", "JsonRpc", "RpcError", "SolanaFees", "decode_account_data", "encode_get_user_account_data"]
