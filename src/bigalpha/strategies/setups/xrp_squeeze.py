"""S-XRP-SQ: while XRP's shorts are heavy, never short; scalp dips long with short holds.

The setup never emits a short. Its other half, refusing anyone else's XRP short while the short share is at
or above `short_share_at_or_above`, is a risk-side rule applied by the risk gate (`bigalpha.risk.gate`)
whether this setup is enabled or not.

A dip is a close at least `dip_bps` below the highest high of the last `dip_lookback_minutes`. While shorts
are at or above the share (when `require_heavy_shorts`; an unknown share means no scalp), a dip gives a
long scalp: stop 22 bps, target(s) `targets_bps`, held between `min_hold_s` and `max_hold_s` (45–60 s). The
hold is not a field of `Signal`: the position manager reads it with `hold_window(position.strategy, …)`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from bigalpha.config.setups import XrpSqueeze
from bigalpha.domain import MarketSnapshot, Side, Signal, StrategyName
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.setups._common import (
    BPS,
    SetupState,
    at_least,
    check_input,
    cooling_down,
    load_state,
    make_signal,
)


class _SqueezeState(SetupState):
    highs: list[tuple[datetime, float]] = Field(default_factory=list)


class XrpSqueezeSetup:
    """S-XRP-SQ as a `Strategy`.

    The highs of the lookback live outside `_SqueezeState` while the setup runs, in a window pruned from its
    oldest end; `state_dict` writes them back into the state's list, in the same order."""

    NAME = "s-xrp-sq"

    def __init__(self, config: XrpSqueeze) -> None:
        self._cfg = config
        self._lookback = timedelta(minutes=config.dip_lookback_minutes)
        self._cooldown = timedelta(seconds=config.cooldown_s)
        self._load(_SqueezeState())

    def _load(self, state: _SqueezeState) -> None:
        self._highs: deque[tuple[datetime, float]] = deque(state.highs)
        self._state = state.model_copy(update={"highs": []})

    def remember(self, at: datetime, high: float) -> None:
        """Take in a bar's high at `at` (after the last instant seen) without judging it: `on_market` minus the
        signal, for a backtest that does not show this setup the bars on which it cannot signal."""
        self._state.last_ts = at
        self._push(at, high)

    def _push(self, at: datetime, high: float) -> None:
        since, highs = at - self._lookback, self._highs
        while highs and highs[0][0] <= since:
            highs.popleft()
        highs.append((at, high))

    @property
    def name(self) -> StrategyName:
        return StrategyName(self.NAME)

    @property
    def config(self) -> XrpSqueeze:
        return self._cfg

    @property
    def remembers_highs(self) -> bool:
        return bool(self._highs)

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        cfg, state = self._cfg, self._state
        if not cfg.enabled or context.symbol != cfg.symbol:
            return ()
        check_input(self.NAME, state, snapshot, context)
        now = context.ts
        state.last_ts = now
        self._push(now, snapshot.bar.high)
        recent_high = max(high for _, high in self._highs)
        dip_bps = (recent_high - context.price) / recent_high * BPS
        if not at_least(dip_bps, cfg.dip_bps) or cooling_down(state, now, self._cooldown):
            return ()
        if cfg.require_heavy_shorts:
            share = context.short_share
            if share is None or share < cfg.short_share_at_or_above:
                return ()
        state.last_signal_at = now
        return (
            make_signal(
                self.NAME,
                context,
                Side.LONG,
                size_multiplier=cfg.size_multiplier,
                stop_bps=cfg.stop_bps,
                targets_bps=cfg.targets_bps,
            ),
        )

    def state_dict(self) -> dict[str, Any]:
        return self._state.model_copy(update={"highs": list(self._highs)}).model_dump(mode="json")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._load(load_state(_SqueezeState, self.NAME, state))
