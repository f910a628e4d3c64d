"""Secrets: only from the environment or a secrets file, never from the config file, never shown."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bigalpha.config._base import Section


class SecretsConfig(Section):
    """Every credential bigalpha may use. Each is `None` until set in the environment
    (`BIGALPHA__SECRETS__<NAME>`) or in the secrets file; `SecretStr` keeps them out of reprs and dumps."""

    coinglass_api_key: SecretStr | None = Field(None, description="D-CG-1: CoinGlass V4 API key")
    exchange_api_key: SecretStr | None = Field(None, description="D-EX-1: API key of the trading exchange")
    exchange_api_secret: SecretStr | None = Field(None, description="D-EX-1: API secret of the trading exchange")
    exchange_password: SecretStr | None = Field(None, description="D-EX-1: API passphrase (OKX)")
    ethereum_rpc_url: SecretStr | None = Field(None, description="D-AAVE-1: Ethereum JSON-RPC URL (may embed a key)")
    solana_rpc_url: SecretStr | None = Field(None, description="D-SOL-1: Solana JSON-RPC URL (may embed a key)")
    api_token: SecretStr | None = Field(None, description="I-API-3: bearer token of the REST and WebSocket API")
    database_url: SecretStr | None = Field(
        None, description="I-PERSIST-1: database URL with a password; overrides store.url"
    )

    def names_set(self) -> list[str]:
        """Names of the secrets that have a value (never the values)."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]
