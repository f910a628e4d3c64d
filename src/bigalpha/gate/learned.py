"""What the learning loop hands the gate: probation symbols, slippage buffers, the whale threshold.

The gate never reads a store: the engine passes this state in (and persists it, I-PERSIST-1), so a verdict
is a pure function of its inputs and can be replayed (`bigalpha explain`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

from bigalpha.config import Settings
from bigalpha.indicators.context import ContextError, validation_problems

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class GateLearnedState(BaseModel):
    """Learned inputs of the gate (L-PROB-1, L-SHADOW-1, L-OPT-1), JSON-serializable both ways."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    probation: frozenset[str] = Field(
        default_factory=frozenset, description="G-PROB-1 / L-PROB-1: symbols on probation (size capped)"
    )
    slippage_bps: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="G-FEE-1 / L-SHADOW-1: slippage buffer per symbol (bps); absent symbols use the config default",
    )
    whale_threshold_usd: float = Field(
        100_000.0,
        gt=0,
        allow_inf_nan=False,
        description="G-WHALE-3 / L-OPT-1: the current whale trade threshold (USD)",
    )

    @field_serializer("probation")
    def _sorted(self, probation: frozenset[str]) -> list[str]:
        return sorted(probation)

    @classmethod
    def initial(cls, settings: Settings) -> GateLearnedState:
        """Nothing learned yet: no probation, default slippage, the configured whale threshold."""
        return cls(whale_threshold_usd=settings.indicators.whale_trade_usd)

    def on_probation(self, symbol: str) -> bool:
        return symbol in self.probation

    def slippage_for(self, symbol: str, default_bps: float) -> float:
        return self.slippage_bps.get(symbol, default_bps)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateLearnedState:
        """Read the JSON form; a bad field raises `ContextError` naming it (e.g. `learned.whale_threshold_usd`)."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            raise ContextError(validation_problems(error, "learned")) from None
