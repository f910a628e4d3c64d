"""Alpha-OFI (S-OFI, A-OFI-1): the flow strategy whose signals the intelligence gate filters.

Direction comes from the retail order-flow imbalance when the cumulative volume delta agrees with it:
OFI ≥ threshold with positive CVD is a LONG, OFI ≤ −threshold with negative CVD a SHORT. Conviction
rises linearly from `conviction_min` at the threshold to `conviction_max` at |OFI| = 1. One signal per
symbol per cool-down, so a persistent imbalance is one idea, not a volley.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bigalpha.config.setups import AlphaOfi
from bigalpha.domain import MarketSnapshot, Side, Signal
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.base import signal_id, strategy_name

NAME = strategy_name("alpha_ofi")


def ofi_conviction(ofi: float, config: AlphaOfi) -> float:
    """S-OFI: 1.0× at the entry threshold, rising linearly to 1.5× at |OFI| = 1 (configurable)."""
    strength = (abs(ofi) - config.entry_threshold) / (1.0 - config.entry_threshold)
    strength = min(max(strength, 0.0), 1.0)
    return config.conviction_min + (config.conviction_max - config.conviction_min) * strength


def ofi_direction(ofi: float | None, cvd_usd: float | None, threshold: float) -> Side | None:
    """LONG/SHORT when OFI passes the threshold and CVD agrees; None otherwise (or when data is missing)."""
    if ofi is None or cvd_usd is None:
        return None
    if ofi >= threshold and cvd_usd > 0:
        return Side.LONG
    if ofi <= -threshold and cvd_usd < 0:
        return Side.SHORT
    return None


class AlphaOfiStrategy:
    """S-OFI as a `Strategy`."""

    def __init__(self, config: AlphaOfi, default_stop_pct: float) -> None:
        self.config = config
        self.default_stop_pct = default_stop_pct
        self._last_signal: dict[str, datetime] = {}
        self._cooldown = timedelta(minutes=config.cooldown_minutes)  # asked on every bar that passes the threshold

    @property
    def name(self) -> str:
        return NAME

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        if not self.config.enabled:
            return ()
        side = ofi_direction(context.ofi, context.cvd_usd, self.config.entry_threshold)
        if side is None or context.ofi is None:
            return ()
        last = self._last_signal.get(snapshot.symbol)
        if last is not None and snapshot.ts - last < self._cooldown:
            return ()
        self._last_signal[snapshot.symbol] = snapshot.ts
        return (
            Signal(
                id=signal_id(NAME, snapshot.symbol, snapshot.ts),
                ts=snapshot.ts,
                symbol=snapshot.symbol,
                side=side,
                strategy=NAME,
                price=context.price,
                conviction=ofi_conviction(context.ofi, self.config),
                stop_pct=self.default_stop_pct,
                expected_move_bps=self.config.expected_move_bps,
            ),
        )

    def state_dict(self) -> dict[str, Any]:
        return {"last_signal": {symbol: ts.isoformat() for symbol, ts in sorted(self._last_signal.items())}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._last_signal = {symbol: datetime.fromisoformat(ts) for symbol, ts in state.get("last_signal", {}).items()}
