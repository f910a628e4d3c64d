"""`MarketContext`: everything the guards, the risk gate, the position manager and the dashboard read about
one symbol at one instant, and its JSON form.

Every optional value is `None` when its data was unavailable or its window is not yet full, with the
reason under `unavailable` (keyed by data kind or indicator name): never a made-up default. `ages_s` holds
the age, in seconds at `ts`, of every observed input. The field constraints are checked when a context is
read from JSON (`context_from_dict`), so a hand-written case file with, say, a fear & greed of 120 is
refused with the field's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError

from bigalpha.domain import Regime, Symbol
from bigalpha.indicators.flow import FlowDirection, IntensityBand
from bigalpha.indicators.liquidity import Cluster, Wall

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Signed = Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class ContextError(ValueError):
    """A context (or builder state) could not be read; `problems` has one 'field: message' line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class MarketContext:
    """One symbol at one instant, as the decision path sees it."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    symbol: Symbol
    ts: AwareDatetime
    price: Positive
    # order flow (A-CVD-1, A-WHALE-1, A-WHALE-2, A-OFI-1, A-TAKER-1)
    cvd_usd: Finite | None = None
    whale_cvd_usd: Finite | None = None
    whale_direction: FlowDirection | None = None
    whale_intent_cvd_usd: Finite | None = None
    whale_intent_direction: FlowDirection | None = None
    whale_threshold_usd: Positive | None = None  # the trade threshold both whale CVDs were computed with
    retail_cvd_usd: Finite | None = None
    whale_intensity: Percent | None = None
    whale_band: IntensityBand | None = None
    ofi: Signed | None = None
    taker_ratio_5m: NonNegative | None = None
    # regime (A-HURST-1, A-HURST-2, P-TREND-1)
    hurst: Unit | None = None
    hurst_stderr: NonNegative | None = None
    regime: Regime = Regime.UNKNOWN
    true_trend: bool | None = None
    # positioning (A-OI-1, A-LSR-1, A-FG-1, funding for R-T-2)
    open_interest_usd: NonNegative | None = None
    oi_delta_5m_usd: Finite | None = None
    oi_change_pct: Finite | None = None
    long_short_ratio: NonNegative | None = None
    short_share: Unit | None = None
    fear_greed: Percent | None = None
    funding: dict[str, Finite] | None = None
    funding_divergence_bps: NonNegative | None = None
    # liquidity (A-LIQ-1, A-OB-1, A-MP-1)
    short_clusters: tuple[Cluster, ...] | None = None
    long_clusters: tuple[Cluster, ...] | None = None
    major_clusters: tuple[Cluster, ...] | None = None
    top_clusters: tuple[Cluster, ...] | None = None
    nearest_cluster: Cluster | None = None
    ask_walls: tuple[Wall, ...] | None = None
    bid_walls: tuple[Wall, ...] | None = None
    max_pain: Positive | None = None
    max_pain_distance_pct: NonNegative | None = None
    max_pain_far: bool | None = None
    # account and chain (D-AAVE-1, D-SOL-1)
    health_factor: NonNegative | None = None
    priority_fee_p50: NonNegative | None = None
    jito_tip: NonNegative | None = None
    # provenance
    ages_s: dict[str, float] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


_ADAPTER: TypeAdapter[MarketContext] = TypeAdapter(MarketContext)

_FIELDS = tuple(f.name for f in fields(MarketContext))  # every field is an __init__ argument, in this order
_FIELD_INDEX = {name: i for i, name in enumerate(_FIELDS)}
_field_values = attrgetter(*_FIELDS)


def replace_context(context: MarketContext, **changes: Any) -> MarketContext:
    """`dataclasses.replace(context, **changes)`: the same constructor called with the same values, passed by
    position and read in one call (a context has some forty fields, and a backtest completes one per signal)."""
    values = list(_field_values(context))
    for name, value in changes.items():
        index = _FIELD_INDEX.get(name)
        if index is None:
            raise TypeError(f"MarketContext has no field {name!r}")
        values[index] = value
    return MarketContext(*values)


def validation_problems(error: ValidationError, prefix: str = "") -> list[str]:
    """One 'dotted.field: message' line per problem of a pydantic validation error."""
    lines = []
    for detail in error.errors(include_url=False):
        loc = ".".join(str(part) for part in (*([prefix] if prefix else []), *detail["loc"]))
        lines.append(f"{loc or '(root)'}: {detail['msg']}")
    return lines


def context_to_dict(context: MarketContext) -> dict[str, Any]:
    """JSON-ready form of a context (ISO times, enum values, lists)."""
    data: dict[str, Any] = _ADAPTER.dump_python(context, mode="json")
    return data


def context_from_dict(data: Mapping[str, Any]) -> MarketContext:
    """Read a context from its JSON form; a bad field raises `ContextError` naming it."""
    try:
        return _ADAPTER.validate_python(dict(data))
    except ValidationError as error:
        raise ContextError(validation_problems(error, "context")) from None


def context_json_schema() -> dict[str, Any]:
    """JSON Schema of a context's JSON form."""
    return _ADAPTER.json_schema()
