"""Sizing (R-SIZE-1): a base unit of the hot wallet, scaled by market condition, then by the signal and the
intelligence gate. The risk gate's caps come after (`evaluate_risk`); this module never caps.

`condition` is one number in [0, 1] saying how good conditions are (0 worst, 1 best; the caller decides
what feeds it). It moves both ranges linearly and together:

    base unit          = hot-wallet equity × (base_unit_min_pct + condition × (base_unit_max_pct − base_unit_min_pct))
    condition multiple = condition_multiplier_min + condition × (condition_multiplier_max − condition_multiplier_min)
    base notional      = base unit × condition multiple

With the defaults and a $1,660 wallet: condition 0 gives 2% × 0.3 = $9.96, condition 1 gives 3% × 0.6 = $29.88.
Money is `Decimal`, rounded down to the cent.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from bigalpha.config.risk import RiskConfig
from bigalpha.domain import Signal
from bigalpha.risk.account import CENT, AccountState


def condition_factors(condition: float, config: RiskConfig) -> tuple[float, float]:
    """(fraction of the wallet, condition multiplier) for `condition` in [0, 1]."""
    if not (math.isfinite(condition) and 0.0 <= condition <= 1.0):
        raise ValueError(f"condition must be a number in [0, 1], got {condition}")
    pct = config.base_unit_min_pct + condition * (config.base_unit_max_pct - config.base_unit_min_pct)
    multiple = config.condition_multiplier_min + condition * (
        config.condition_multiplier_max - config.condition_multiplier_min
    )
    return pct, multiple


def base_notional(account: AccountState, config: RiskConfig, condition: float) -> Decimal:
    """R-SIZE-1's base notional for the account's realized hot-wallet equity; zero when there is no equity."""
    pct, multiple = condition_factors(condition, config)
    equity = max(account.equity_usd, Decimal(0))
    return (equity * Decimal(str(pct)) * Decimal(str(multiple))).quantize(CENT, rounding=ROUND_DOWN)


def requested_notional(
    account: AccountState, signal: Signal, verdict_multiplier: float, config: RiskConfig, condition: float
) -> Decimal:
    """What the engine asks the risk gate for: base × the setup's size multiplier × conviction × the
    intelligence gate's multiplier (an API signal's own amount, when it gives one, replaces the base)."""
    for name, value in (
        ("size_multiplier", signal.size_multiplier),
        ("conviction", signal.conviction),
        ("verdict_multiplier", verdict_multiplier),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"signal {signal.id}: {name} must be a finite number ≥ 0, got {value}")
    if signal.requested_notional_usd is not None:
        base = signal.requested_notional_usd
        if not base.is_finite() or base < 0:
            raise ValueError(f"signal {signal.id}: requested_notional_usd must be ≥ 0, got {base}")
    else:
        base = base_notional(account, config, condition)
    factor = Decimal(str(signal.size_multiplier)) * Decimal(str(signal.conviction)) * Decimal(str(verdict_multiplier))
    return (base * factor).quantize(CENT, rounding=ROUND_DOWN)
