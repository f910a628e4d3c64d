"""The `Strategy` port. A strategy is a small state machine: it sees every market context of its
symbols, in time order, and may emit signals. Its state is serializable so a restart resumes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bigalpha.domain import MarketSnapshot, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.context import MarketContext


class Strategy(Protocol):
    """Emits signals from market contexts; never places orders, never reads the clock."""

    @property
    def name(self) -> str: ...

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        """Signals for this instant (usually none)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """JSON-ready state that `load_state_dict` restores exactly (I-PERSIST-1)."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


def signal_id(strategy: str, symbol: Symbol, ts: datetime) -> SignalId:
    """A signal's id, derived from what produced it: re-running the same instant after a crash gives the
    same id, so nothing downstream is duplicated."""
    return SignalId(f"sig-{strategy}-{symbol}-{ts.strftime('%Y%m%dT%H%M%S%f')}")


def strategy_name(name: str) -> StrategyName:
    return StrategyName(name)
