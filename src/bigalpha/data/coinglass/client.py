"""The CoinGlass V4 client (D-CG-1 … D-CG-5): async httpx, plan-aware, rate-limited, cached, fail-open.

Every public method returns a typed result or an `Unavailable` with the reason; nothing raises into the
caller (D-CG-4). A request the key's plan cannot serve is never sent (D-CG-5). The API key travels only
in the `CG-API-KEY` header: it is never logged, and any echo of it in a server message is redacted.

One client per event loop (httpx pools belong to a loop); the rate limiter is shared by the process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from pydantic import SecretStr

from bigalpha.config.data import CoinGlassConfig, CoinGlassPlan, RateLimit
from bigalpha.data.coinglass.endpoints import LABELS, Endpoint, plan_refusal, ttl_for
from bigalpha.data.coinglass.limiter import NowFn, RateLimiter, SleepFn, TtlCache
from bigalpha.data.coinglass.models import Subscription
from bigalpha.data.coinglass.parse import ParseError, parse_subscription
from bigalpha.data.providers import Unavailable

log = logging.getLogger(__name__)

SOURCE = "coinglass"
Params = tuple[tuple[str, str], ...]

_shared_lock = threading.Lock()
_shared_limiter: RateLimiter | None = None


def shared_limiter(rate: RateLimit) -> RateLimiter:
    """The one process-wide CoinGlass limiter (D-CG-2), created with `rate` on first use."""
    global _shared_limiter  # noqa: PLW0603 - one limiter per process is the rule being implemented
    with _shared_lock:
        if _shared_limiter is None:
            _shared_limiter = RateLimiter(rate.min_spacing_s, rate.max_calls_per_minute)
        return _shared_limiter


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _RetryLaterError(Exception):
    """Internal: the answer says 'try again later' (HTTP 429/5xx or body code 429/500)."""

    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class CoinGlassClient:
    """Typed access to the CoinGlass endpoints the guards need. Call `start()` once to read the plan."""

    def __init__(
        self,
        config: CoinGlassConfig,
        api_key: SecretStr | None,
        *,
        limiter: RateLimiter | None = None,
        cache: TtlCache[object] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        now: NowFn = time.monotonic,
        sleep: SleepFn = asyncio.sleep,
        wall: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.config = config
        self._key = api_key
        self._limiter = limiter if limiter is not None else shared_limiter(config.rate_limit)
        self._cache: TtlCache[object] = cache if cache is not None else TtlCache(now=now)
        self._transport = transport
        self._now = now
        self._sleep = sleep
        self._wall = wall
        self._http: httpx.AsyncClient | None = None
        self._inflight: dict[tuple[str, Params], asyncio.Future[object]] = {}
        self.plan: CoinGlassPlan | None = config.plan
        self.subscription: Subscription | None = None
        self.plan_error: str | None = None
        self._plan_checked_at: float | None = None
        self.calls_sent = 0
        if self.plan is not None:
            self._adopt_rate(self.plan)

    def __repr__(self) -> str:
        key = "set" if self._key is not None else "unset"
        return f"CoinGlassClient(base_url={self.config.base_url!r}, plan={self.plan}, key={key})"

    @property
    def cache(self) -> TtlCache[object]:
        return self._cache

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- plan (D-CG-5) -----------------------------------------------------------------------------

    async def start(self) -> Subscription | Unavailable:  # noqa: PLR0911 - one exit per plan outcome
        """Read the key's plan and adopt its rate limit. With `plan` set in config, no call is made."""
        if self.config.plan is not None:
            return Subscription(self.config.plan.value.upper(), self.config.plan, None, expired=False)
        refused = self._configured()
        if refused is not None:
            self.plan_error = refused.reason
            return refused
        self._plan_checked_at = self._now()
        data = await self._send(Endpoint.SUBSCRIPTION, ())
        if isinstance(data, Unavailable):
            self.plan_error = data.reason
            return data
        try:
            subscription = parse_subscription(data)
        except ParseError as error:
            self.plan_error = f"plan check answered an unexpected body: {error}"
            return Unavailable(self.plan_error, SOURCE)
        self.subscription = subscription
        if subscription.expired:
            self.plan, self.plan_error = None, f"subscription {subscription.level} has expired"
            return Unavailable(self.plan_error, SOURCE, permanent=True)
        if subscription.plan is None:
            self.plan, self.plan_error = None, f"unknown plan level {subscription.level!r}"
            return Unavailable(self.plan_error, SOURCE, permanent=True)
        self.plan, self.plan_error = subscription.plan, None
        self._adopt_rate(subscription.plan)
        log.info("coinglass plan %s", subscription.plan.value)
        return subscription

    def _adopt_rate(self, plan: CoinGlassPlan) -> None:
        rate = self.config.plan_rate_limits.get(plan, self.config.rate_limit)
        self._limiter.reconfigure(rate.min_spacing_s, rate.max_calls_per_minute)

    def _configured(self) -> Unavailable | None:
        if not self.config.enabled:
            return Unavailable("CoinGlass is disabled (data.coinglass.enabled)", SOURCE, permanent=True)
        if self._key is None or not self._key.get_secret_value():
            return Unavailable(
                "no CoinGlass API key (set BIGALPHA__SECRETS__COINGLASS_API_KEY)", SOURCE, permanent=True
            )
        return None

    def refusal(self, endpoint: Endpoint, interval: str | None = None) -> Unavailable | None:
        """Why this request will not be sent, decided without any network call; None when it will."""
        refused = self._configured()
        if refused is not None:
            return refused
        if self.plan is None:
            why = self.plan_error or "the plan has not been read yet"
            permanent = self.subscription is not None
            return Unavailable(f"plan unknown ({why}); {LABELS[endpoint]} not requested", SOURCE, permanent=permanent)
        reason = plan_refusal(self.plan, endpoint, interval, self.config)
        return None if reason is None else Unavailable(reason, SOURCE, permanent=True)

    async def _ensure_plan(self) -> None:
        # A failed plan read (time-out, server down) is retried, but not more often than the default TTL.
        if self.plan is not None or self._configured() is not None or self.subscription is not None:
            return
        if self._plan_checked_at is None or self._now() - self._plan_checked_at >= self.config.cache_ttl.default_s:
            await self.start()

    # -- requests ----------------------------------------------------------------------------------

    async def get(
        self,
        endpoint: Endpoint,
        params: Mapping[str, str],
        *,
        interval: str | None = None,
        parse: Callable[[object], object] = lambda data: data,
    ) -> object:
        """`parse(data)` of a successful answer (from cache while fresh), or an `Unavailable`. Only
        parsed results are cached, so a malformed body is asked for again next time."""
        await self._ensure_plan()
        refused = self.refusal(endpoint, interval)
        if refused is not None:
            return refused
        key = (endpoint.value, tuple(sorted(params.items())))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            # the same request is already on its way: share its answer instead of spending a call
            return await asyncio.shield(pending)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            data = await self._send(endpoint, key[1])
            if not isinstance(data, Unavailable):
                try:
                    data = parse(data)
                except (ValueError, TypeError) as error:  # ParseError, or a shape the parser did not foresee
                    data = Unavailable(f"{LABELS[endpoint]}: unexpected shape: {error}", SOURCE)
                else:
                    self._cache.put(key, data, ttl_for(endpoint, self.config.cache_ttl))
            future.set_result(data)
            return data
        except BaseException as error:
            future.set_result(Unavailable(f"request abandoned: {type(error).__name__}", SOURCE))
            raise
        finally:
            del self._inflight[key]

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.config.base_url,
                timeout=httpx.Timeout(self.config.timeout_s),
                transport=self._transport,
                follow_redirects=False,
            )
        return self._http

    async def _send(self, endpoint: Endpoint, params: Params) -> object:
        """One logical request with bounded retries on 429/5xx (D-CG-4)."""
        label = LABELS[endpoint]
        attempt = 0
        while True:
            try:
                return await self._send_once(endpoint, params)
            except _RetryLaterError as retry:
                if attempt >= self.config.max_retries:
                    return Unavailable(f"{label}: {retry.reason}, still failing after {attempt} retries", SOURCE)
                delay = retry.retry_after
                if delay is None:
                    delay = self.config.backoff_base_s * (2**attempt)
                if delay > self.config.max_retry_wait_s:
                    return Unavailable(
                        f"{label}: {retry.reason}; Retry-After {delay:.0f} s exceeds "
                        f"{self.config.max_retry_wait_s:g} s (data.coinglass.max_retry_wait_s)",
                        SOURCE,
                    )
                log.info("coinglass %s: %s; retry %d in %.1f s", endpoint.value, retry.reason, attempt + 1, delay)
                await self._sleep(max(delay, 0.0))
                attempt += 1

    async def _send_once(self, endpoint: Endpoint, params: Params) -> object:  # noqa: PLR0911 - one exit per failure kind
        label = LABELS[endpoint]
        key = self._key.get_secret_value() if self._key is not None else ""
        await self._limiter.acquire()
        self.calls_sent += 1
        log.debug("coinglass GET %s %s", endpoint.value, dict(params))
        try:
            response = await self._client().get(
                endpoint.value, params=dict(params), headers={"CG-API-KEY": key, "accept": "application/json"}
            )
        except httpx.TimeoutException:
            return Unavailable(f"{label}: no answer within {self.config.timeout_s:g} s", SOURCE)
        except httpx.HTTPError as error:
            return Unavailable(f"{label}: {type(error).__name__}: {self._redact(str(error))}", SOURCE)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _RetryLaterError(f"HTTP {status}", self._retry_after(response.headers.get("Retry-After")))
        try:
            body = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Unavailable(f"{label}: HTTP {status} with a body that is not JSON", SOURCE)
        if not isinstance(body, dict) or "code" not in body:
            return Unavailable(f"{label}: HTTP {status}, body is not a CoinGlass envelope", SOURCE)
        code = str(body.get("code"))
        msg = self._redact(str(body.get("msg") or ""))
        if code == "0" and status == 200:
            if "data" not in body or body["data"] is None:
                return Unavailable(f"{label}: answer has no data", SOURCE)
            return body["data"]
        if code in {"429", "500"}:
            raise _RetryLaterError(f"code {code} {msg}".strip(), self._retry_after(response.headers.get("Retry-After")))
        # 401 Upgrade plan and 403 interval are permanent for this plan (API_NOTES §0.4); so is a 400.
        permanent = code in {"400", "401", "403", "404"}
        return Unavailable(f"{label}: HTTP {status}, code {code} {msg}".strip(), SOURCE, permanent=permanent)

    def _retry_after(self, header: str | None) -> float | None:
        """Retry-After as seconds, from a number of seconds or an HTTP date."""
        if header is None or not header.strip():
            return None
        text = header.strip()
        if text.replace(".", "", 1).isdigit():
            return max(0.0, float(text))
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - self._wall()).total_seconds())

    def _redact(self, text: str) -> str:
        key = self._key.get_secret_value() if self._key is not None else ""
        return text.replace(key, "***") if key else text
