"""A gate case: one signal, one market context, the learned state and config overrides, as JSON.

This is the API-facing form of a gate decision (`bigalpha explain`, the REST API, replays from the store).
It is kept apart from the domain dataclasses: `ExplainCase` validates with field-named errors and publishes
a JSON Schema, then `load_case` turns it into the domain inputs of `evaluate`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from bigalpha.config import Settings
from bigalpha.config.gate import GateConfig
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import Regime, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.context import ContextError, MarketContext, validation_problems
from bigalpha.indicators.hurst import classify_regime


class SignalCase(BaseModel):
    """The signal of a case; the fields of `bigalpha.domain.Signal` that the gate reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("case", min_length=1, description="signal id (events derive their ids from it)")
    ts: AwareDatetime = Field(description="when the signal was made; golden hour (G-GOLDEN-1) reads it")
    symbol: str = Field(min_length=1, description="base asset, e.g. BTC; must match context.symbol")
    side: Side
    strategy: str = Field("explain", min_length=1)
    price: float = Field(gt=0, allow_inf_nan=False, description="the price the strategy saw (the entry)")
    conviction: float = Field(1.0, gt=0, allow_inf_nan=False)
    size_multiplier: float = Field(1.0, gt=0, allow_inf_nan=False)
    expected_move_bps: float | None = Field(
        None, allow_inf_nan=False, description="G-FEE-1: the move the strategy expects, in bps"
    )

    def to_signal(self) -> Signal:
        return Signal(
            id=SignalId(self.id),
            ts=self.ts,
            symbol=Symbol(self.symbol),
            side=self.side,
            strategy=StrategyName(self.strategy),
            price=self.price,
            conviction=self.conviction,
            size_multiplier=self.size_multiplier,
            expected_move_bps=self.expected_move_bps,
            source="explain",
        )


class CaseConfig(BaseModel):
    """Overrides applied on top of the loaded configuration, for this case only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: dict[str, Any] = Field(default_factory=dict, description="keys of the [gate] section, e.g. liq_wall_pct")
    indicators: dict[str, Any] = Field(
        default_factory=dict, description="keys of the [indicators] section (used to classify a bare Hurst value)"
    )


class ExplainCase(BaseModel):
    """A case file for `bigalpha explain`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: SignalCase
    context: MarketContext = Field(description="the market context; omitted fields are 'data unavailable'")
    learned: GateLearnedState = Field(default_factory=GateLearnedState)
    config: CaseConfig = Field(default_factory=CaseConfig)

    @model_validator(mode="after")
    def _same_symbol(self) -> ExplainCase:
        if self.signal.symbol != self.context.symbol:
            raise ValueError(
                f"signal.symbol {self.signal.symbol!r} and context.symbol {self.context.symbol!r} must match"
            )
        return self


@dataclass(frozen=True, slots=True)
class LoadedCase:
    """The domain inputs of `evaluate`."""

    signal: Signal
    context: MarketContext
    config: GateConfig
    learned: GateLearnedState


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_case(data: Any, settings: Settings) -> LoadedCase:
    """Validate a case (parsed JSON) against `settings`; any bad field raises `ContextError` naming it."""
    if not isinstance(data, Mapping):
        raise ContextError([f"(root): a case is a JSON object, got {type(data).__name__}"])
    try:
        case = ExplainCase.model_validate(dict(data))
    except ValidationError as error:
        raise ContextError(validation_problems(error)) from None
    try:
        gate = GateConfig.model_validate(_merge(settings.gate.model_dump(), case.config.gate))
    except ValidationError as error:
        raise ContextError(validation_problems(error, "config.gate")) from None
    try:
        indicators = IndicatorsConfig.model_validate(_merge(settings.indicators.model_dump(), case.config.indicators))
    except ValidationError as error:
        raise ContextError(validation_problems(error, "config.indicators")) from None
    context = case.context
    if context.regime is Regime.UNKNOWN and context.hurst is not None:
        # A hand-written case may give H alone; its regime is A-HURST-2's, as the builder would set it.
        regime = classify_regime(
            context.hurst, trending_above=indicators.hurst_trending_above, noise_below=indicators.hurst_noise_below
        )
        context = dataclasses.replace(context, regime=Regime(regime.value))
    return LoadedCase(signal=case.signal.to_signal(), context=context, config=gate, learned=case.learned)


def case_json_schema() -> dict[str, Any]:
    """JSON Schema of a case file."""
    return ExplainCase.model_json_schema()
