"""Shared base for every config section: frozen, strict about unknown keys."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """A config section. Frozen so no code path can change a limit at run time; unknown keys are
    rejected so a typo in a limit's name fails at start-up instead of silently using the default."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


# A fraction of price or of a quantity, strictly between 0 and 1 (0.005 means 0.5%).
Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
# A multiplier applied to a position size.
SizeMultiplier = Annotated[float, Field(gt=0.0, le=10.0)]
PositiveSeconds = Annotated[float, Field(gt=0.0)]
