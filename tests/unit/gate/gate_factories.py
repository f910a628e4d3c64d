"""Builders of signals and market contexts for the gate tests: a clean LONG that every guard allows.

Plain functions (not fixtures) so hypothesis tests can call them; imported as `gate_factories`.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from bigalpha.config import Settings
from bigalpha.config.gate import GateConfig
from bigalpha.domain import Regime, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.flow import FlowDirection
from bigalpha.indicators.liquidity import Cluster, ClusterSide

NOON = datetime(2025, 12, 26, 12, 0, tzinfo=UTC)
PRICE = 100_000.0


def make_signal(**changes: Any) -> Signal:
    base = Signal(
        id=SignalId("sig-test"),
        ts=NOON,
        symbol=Symbol("BTC"),
        side=Side.LONG,
        strategy=StrategyName("alpha-ofi"),
        price=PRICE,
        expected_move_bps=50.0,
    )
    return dataclasses.replace(base, **changes)


def cluster(price: float, side: ClusterSide, usd: float = 30e6, ref: float = PRICE) -> Cluster:
    return Cluster(price=price, liquidation_usd=usd, concentration=5.0, distance_pct=abs(price - ref) / ref, side=side)


def make_context(**changes: Any) -> MarketContext:
    """Every guard allows this context for a LONG at NOON, at size × 1 (neutral OFI: no ULTRA)."""
    base = MarketContext(
        symbol=Symbol("BTC"),
        ts=NOON,
        price=PRICE,
        whale_cvd_usd=1e6,
        whale_direction=FlowDirection.BUY,
        whale_intent_cvd_usd=5e5,
        whale_intent_direction=FlowDirection.BUY,
        whale_threshold_usd=100_000.0,
        ofi=0.0,
        taker_ratio_5m=1.3,
        hurst=0.6,
        regime=Regime.TRENDING,
        long_short_ratio=1.5,
        short_share=0.4,
        fear_greed=50.0,
        short_clusters=(cluster(PRICE * 1.02, ClusterSide.SHORT_LIQ),),
        long_clusters=(cluster(PRICE * 0.98, ClusterSide.LONG_LIQ),),
    )
    return dataclasses.replace(base, **changes)


CONFIG: GateConfig = Settings().gate
LEARNED = GateLearnedState()


def config_with(**changes: Any) -> GateConfig:
    """The default gate config with some keys changed (`guards` takes a dict of switches)."""
    data = CONFIG.model_dump()
    guards = changes.pop("guards", {})
    data.update(changes)
    data["guards"] = {**data["guards"], **guards}
    return GateConfig.model_validate(data)
