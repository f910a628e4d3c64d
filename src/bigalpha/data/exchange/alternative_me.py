"""alternative.me fear & greed index (A-FG-1): the keyless fallback when CoinGlass does not serve it.

Every value arrives as a string, `timestamp` in unix seconds, newest first (API_NOTES §8b).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from bigalpha.config.data import DataKind
from bigalpha.data.providers import Provider, Result, Unavailable
from bigalpha.domain import Observed

SOURCE = "alternative_me"


def parse_fng(body: object) -> tuple[float, datetime]:
    """The newest index value and its time; raises ValueError naming what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("answer is not an object")
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and metadata.get("error"):
        raise ValueError(f"metadata.error: {metadata['error']}")
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise ValueError("data is missing or empty")
    points = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ValueError(f"data[{i}] is not an object")
        try:
            value = float(entry["value"])
            stamp = datetime.fromtimestamp(float(entry["timestamp"]), tz=UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise ValueError(f"data[{i}] needs numeric value and timestamp, got {entry!r:.80}") from None
        if not 0 <= value <= 100:
            raise ValueError(f"data[{i}].value {value} is outside 0-100")
        points.append((stamp, value))
    stamp, value = max(points)
    return value, stamp


def alternative_me_provider(
    url: str, *, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
) -> Provider[float]:
    async def fetch(symbol: str) -> Result[float]:
        del symbol  # one market-wide index
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), transport=transport) as http:
            try:
                response = await http.get(url, params={"limit": "1"})
            except httpx.TimeoutException:
                return Unavailable(f"no answer within {timeout_s:g} s", SOURCE)
            except httpx.HTTPError as error:
                return Unavailable(f"{type(error).__name__}: {error}", SOURCE)
        if response.status_code != 200:
            return Unavailable(f"HTTP {response.status_code}", SOURCE)
        try:
            value, stamp = parse_fng(json.loads(response.content))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Unavailable("the answer is not JSON", SOURCE)
        except ValueError as error:
            return Unavailable(str(error), SOURCE)
        return Observed(value, stamp, SOURCE)

    return Provider(SOURCE, DataKind.FEAR_GREED, fetch)
