"""Modes and arming (R-MODE-1).

Paper (and backtest) need nothing: fills are simulated. Test and live send real orders, so they start
only when both exchange credentials are set and a person has armed the mode with the exact confirmation
phrase, built from the effective limits so that whoever types it has read them:

    ARM TEST max 100 USD exposure 3 trades per session 20 USD loss
    ARM LIVE max 415 USD per position 3 positions 100 USD daily loss

`require_armed` raises `NotArmed` with everything that is missing, and the phrase expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bigalpha.config import Settings
from bigalpha.domain import Mode


class NotArmed(RuntimeError):
    """A mode that sends real orders was not armed; the message says what is missing."""


def _usd(amount: Decimal) -> str:
    return str(int(amount)) if amount == amount.to_integral_value() else f"{amount:.2f}"


def mode_limits(mode: Mode, settings: Settings) -> dict[str, str | int]:
    """The limits in force in `mode`: the live limits everywhere, with test mode's caps on top."""
    risk = settings.risk
    limits: dict[str, str | int] = {
        "max_position_usd": _usd(risk.max_position_usd),
        "max_concurrent_positions": risk.max_concurrent_positions,
        "daily_loss_limit_usd": _usd(risk.daily_loss_limit_usd),
        "max_trades_per_day": risk.max_trades_per_day,
    }
    if mode is Mode.TEST:
        caps = risk.test_mode
        limits.update(
            max_total_exposure_usd=_usd(caps.max_total_exposure_usd),
            max_trades_per_session=caps.max_trades_per_session,
            session_loss_limit_usd=_usd(caps.session_loss_limit_usd),
        )
    return limits


def arming_phrase(mode: Mode, settings: Settings) -> str | None:
    """The confirmation phrase that arms `mode`; None for modes that need no arming."""
    risk = settings.risk
    if mode is Mode.TEST:
        caps = risk.test_mode
        return (
            f"ARM TEST max {_usd(caps.max_total_exposure_usd)} USD exposure "
            f"{caps.max_trades_per_session} trades per session {_usd(caps.session_loss_limit_usd)} USD loss"
        )
    if mode is Mode.LIVE:
        return (
            f"ARM LIVE max {_usd(risk.max_position_usd)} USD per position "
            f"{risk.max_concurrent_positions} positions {_usd(risk.daily_loss_limit_usd)} USD daily loss"
        )
    return None


@dataclass(frozen=True, slots=True)
class ArmedMode:
    """Proof that a mode may start: only `require_armed` makes one."""

    mode: Mode
    real_orders: bool
    limits: dict[str, str | int]
    phrase: str | None


def require_armed(mode: Mode, settings: Settings, confirmation: str | None) -> ArmedMode:
    """Check that `mode` may start. Paper and backtest always may; test and live need exchange credentials
    and `confirmation` equal to `arming_phrase(mode, settings)` (runs of spaces count as one)."""
    phrase = arming_phrase(mode, settings)
    limits = mode_limits(mode, settings)
    if phrase is None:
        return ArmedMode(mode=mode, real_orders=False, limits=limits, phrase=None)
    problems: list[str] = []
    secrets = settings.secrets
    for name in ("exchange_api_key", "exchange_api_secret"):
        value = getattr(secrets, name)
        if value is None or not value.get_secret_value().strip():
            problems.append(f"the secret {name} is not set (BIGALPHA__SECRETS__{name.upper()} or the secrets file)")
    if confirmation is None or not confirmation.strip():
        problems.append(f'{mode.value} mode must be armed: pass --confirm "{phrase}"')
    elif " ".join(confirmation.split()) != phrase:
        problems.append(f'the confirmation {confirmation.strip()!r} does not match; to arm, pass --confirm "{phrase}"')
    if problems:
        raise NotArmed(
            f"refusing to start in {mode.value} mode (real orders):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return ArmedMode(mode=mode, real_orders=True, limits=limits, phrase=phrase)
