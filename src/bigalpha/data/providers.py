"""Provider chains per data kind (D-SRC-1) and the fail-open result (D-FAILOPEN).

A provider answers one data kind for one symbol with either an `Observed` value (`as_of` is the time
the data describes, never the fetch time, so its age is known everywhere downstream, R-STALE-1) or an
`Unavailable` reason. A chain tries its providers in the configured order and returns the first fresh
value; when none serves, its `Unavailable` names every provider's failure. Nothing here raises into
the caller: a provider that raises, hangs past its time-out or returns stale data is one failure more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bigalpha.clock import Clock
from bigalpha.config.data import DataKind
from bigalpha.domain import GuardName, Observed

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why a value could not be had. `permanent` marks a failure that retrying cannot cure with the
    current plan or configuration (a plan-gated endpoint, a missing key), as opposed to a time-out."""

    reason: str
    source: str = ""
    permanent: bool = False

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.source else self.reason


Result = Observed[T] | Unavailable


@dataclass(frozen=True, slots=True)
class TakerFlow:
    """Taker buy and sell volume (USD) over a window ending at the value's `as_of` (A-TAKER-1)."""

    buy_usd: float
    sell_usd: float
    window_s: float

    @property
    def ratio(self) -> float | None:
        """Buy / sell; None when nothing was sold (the ratio is undefined, not infinite)."""
        return self.buy_usd / self.sell_usd if self.sell_usd > 0 else None


@dataclass(frozen=True, slots=True)
class CvdPoint:
    """One bucket of volume delta (A-CVD-1): taker buy and sell volume (USD) from `ts` on."""

    ts: datetime
    buy_usd: float
    sell_usd: float

    @property
    def delta(self) -> float:
        return self.buy_usd - self.sell_usd


FetchFn = Callable[[str], Awaitable[Result[T]]]


@dataclass(frozen=True, slots=True)
class Provider(Generic[T]):
    """One named source of one data kind: `fetch(symbol)` never raises by contract, and the chain
    guards that contract anyway. `check()` says without any network call whether the source can
    serve at all (plan, keys, config): a reason string, or None when it can."""

    name: str
    kind: DataKind
    fetch: FetchFn[T]
    check: Callable[[], str | None] = lambda: None


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one provider answered within a chain: for `data check` and the logs."""

    provider: str
    result: Result[Any]


class ProviderChain(Generic[T]):
    """Providers of one data kind, tried in order; the first fresh value wins (D-SRC-1)."""

    def __init__(
        self,
        kind: DataKind,
        providers: Sequence[Provider[T]],
        clock: Clock,
        *,
        timeout_s: float,
        max_age_s: float,
    ) -> None:
        self.kind = kind
        self.providers = tuple(providers)
        self._clock = clock
        self._timeout_s = timeout_s
        self._max_age_s = max_age_s

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.providers)

    async def fetch(self, symbol: str) -> Result[T]:
        result, _ = await self.fetch_with_attempts(symbol)
        return result

    async def fetch_with_attempts(self, symbol: str) -> tuple[Result[T], tuple[Attempt, ...]]:
        """The chain's answer and every provider's answer on the way to it."""
        attempts: list[Attempt] = []
        if not self.providers:
            return Unavailable(f"no provider configured for {self.kind.value}", permanent=True), ()
        for provider in self.providers:
            result = await self._one(provider, symbol)
            attempts.append(Attempt(provider.name, result))
            if isinstance(result, Observed):
                return result, tuple(attempts)
        reasons = "; ".join(f"{a.provider}: {_reason(a.result)}" for a in attempts)
        permanent = all(isinstance(a.result, Unavailable) and a.result.permanent for a in attempts)
        unavailable = Unavailable(f"{self.kind.value} for {symbol} unavailable ({reasons})", permanent=permanent)
        log.info("data %s %s unavailable: %s", self.kind.value, symbol, reasons)
        return unavailable, tuple(attempts)

    async def _one(self, provider: Provider[T], symbol: str) -> Result[T]:
        refused = _safe_check(provider)
        if refused is not None:
            return Unavailable(refused, source=provider.name, permanent=True)
        try:
            result = await asyncio.wait_for(provider.fetch(symbol), timeout=self._timeout_s)
        except TimeoutError:
            return Unavailable(f"no answer within {self._timeout_s:g} s", source=provider.name)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a provider bug must not reach the engine (D-FAILOPEN)
            return Unavailable(f"provider failed: {type(error).__name__}: {error}", source=provider.name)
        if isinstance(result, Unavailable):
            return result
        age = result.age_s(self._clock.now())
        if age > self._max_age_s:
            return Unavailable(f"value is {age:.0f} s old, over {self._max_age_s:g} s", source=provider.name)
        return result


def _safe_check(provider: Provider[T]) -> str | None:
    try:
        return provider.check()
    except Exception as error:  # a broken check is a reason, not a crash
        return f"check failed: {type(error).__name__}: {error}"


def _reason(result: Result[Any]) -> str:
    return result.reason if isinstance(result, Unavailable) else "served"


# Which data each consumer judges by (for `data check` and `validate`): a guard whose kinds are all
# unavailable fails open (D-FAILOPEN); a risk-gate rule stands down instead (R-STALE-1).
GUARD_KINDS: dict[GuardName, tuple[DataKind, ...]] = {
    GuardName.WHALE_CONFLICT: (DataKind.TRADES,),
    GuardName.LIQ_WALL: (DataKind.LIQUIDATION_HEATMAP,),
    GuardName.LONG_TRAP: (DataKind.LONG_SHORT_RATIO,),
    GuardName.TAKER_AGGRESSION: (DataKind.TAKER_VOLUME,),
    GuardName.WHALE_INTENT: (DataKind.TRADES,),
    GuardName.ULTRA_CONVICTION: (DataKind.TRADES, DataKind.ORDER_BOOK),
    GuardName.FEAR_GREED: (DataKind.FEAR_GREED,),
}
OTHER_CONSUMERS: dict[str, tuple[DataKind, ...]] = {
    "R-T-1 short share": (DataKind.LONG_SHORT_RATIO,),
    "R-T-2 funding divergence": (DataKind.FUNDING,),
    "R-T-3 open-interest change": (DataKind.OPEN_INTEREST,),
    "R-M-1 / R-K-3 health factor": (DataKind.HEALTH_FACTOR,),
    "P-HOLD-1 max pain": (DataKind.MAX_PAIN,),
    "A-OB-1 walls": (DataKind.ORDER_BOOK,),
    "S-SOL-FADE priority fees": (DataKind.PRIORITY_FEES,),
}
