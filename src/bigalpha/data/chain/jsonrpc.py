"""A minimal JSON-RPC 2.0 client over httpx (D-AAVE-1, D-SOL-1): no chain SDK.

RPC URLs often embed a provider key, so the URL is a secret: it never appears in a log line or an
error message (any echo of it is replaced by the endpoint's public name).
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

log = logging.getLogger(__name__)


class _RedactSecrets(logging.Filter):
    """httpx logs every request's full URL at INFO; an RPC URL may hold a provider key, so the URLs
    registered here are replaced in httpx's and httpcore's records before any handler sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret, name in self.secrets.items():
                message = message.replace(secret, name)
            record.msg, record.args = message, None
        return True


_REDACTOR = _RedactSecrets()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_REDACTOR)


def secret_parts(url: str) -> list[str]:
    """The URL and its path-and-query (where provider keys usually live), longest first."""
    if not url:
        return []
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return [url, tail] if len(tail) > 1 else [url]


def register_secret_url(url: str, name: str) -> None:
    """Keep `url` out of httpx's and httpcore's log records."""
    for part in secret_parts(url):
        _REDACTOR.secrets[part] = name


class RpcError(Exception):
    """A JSON-RPC call failed; the message names the endpoint by its public name, never its URL."""


class JsonRpc:
    """JSON-RPC calls to one endpoint. `name` ("ethereum", "solana") stands for the URL in messages."""

    def __init__(
        self,
        name: str,
        url: SecretStr,
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._timeout_s = timeout_s
        self._transport = transport
        self._ids = itertools.count(1)
        self._http: httpx.AsyncClient | None = None
        register_secret_url(url.get_secret_value(), f"<{name} rpc url>")

    def __repr__(self) -> str:
        return f"JsonRpc({self.name!r})"

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _redact(self, text: str) -> str:
        for part in secret_parts(self._url.get_secret_value()):
            text = text.replace(part, f"<{self.name} rpc url>")
        return text

    async def call(self, method: str, params: list[Any]) -> Any:
        """The `result` of one call; raises `RpcError` on any failure (transport, HTTP, JSON, RPC error)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout_s), transport=self._transport)
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        log.debug("%s rpc %s", self.name, method)
        try:
            response = await self._http.post(self._url.get_secret_value(), json=payload)
        except httpx.TimeoutException:
            raise RpcError(f"{self.name} {method}: no answer within {self._timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise RpcError(f"{self.name} {method}: {type(error).__name__}: {self._redact(str(error))}") from None
        if response.status_code != 200:
            raise RpcError(f"{self.name} {method}: HTTP {response.status_code}")
        try:
            body = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RpcError(f"{self.name} {method}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise RpcError(f"{self.name} {method}: the answer is not a JSON-RPC object")
        if body.get("error") is not None:
            rpc_error = body["error"]
            message = rpc_error.get("message") if isinstance(rpc_error, dict) else rpc_error
            raise RpcError(f"{self.name} {method}: RPC error: {self._redact(str(message))}")
        if "result" not in body:
            raise RpcError(f"{self.name} {method}: the answer has no result")
        return body["result"]
