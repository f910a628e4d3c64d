"""The risk gate's part of `bigalpha validate` (I-CLI-1): limits per mode, accounts, kill switch, setups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bigalpha.config import Settings
from bigalpha.domain import Mode
from bigalpha.preflight import CheckResult
from bigalpha.risk.arming import arming_phrase, mode_limits
from bigalpha.risk.kill_switch import load_kill_switch, pending_flatten
from bigalpha.risk.ledger import ledger_summary
from bigalpha.risk.rebuild import account_from_store
from bigalpha.risk.sizing import condition_factors
from bigalpha.store import Store, StoreError
from bigalpha.strategies.setups import build_setups

COMPONENT = "risk"


def _sizing(settings: Settings) -> CheckResult:
    risk = settings.risk
    low_pct, low_mult = condition_factors(0.0, risk)
    high_pct, high_mult = condition_factors(1.0, risk)
    low = risk.hot_wallet_usd * Decimal(str(low_pct * low_mult))
    high = risk.hot_wallet_usd * Decimal(str(high_pct * high_mult))
    ok = high >= risk.min_order_usd
    detail = (
        f"R-SIZE-1 base notional {low:.2f}–{high:.2f} USD on a {risk.hot_wallet_usd} USD hot wallet; "
        f"orders under {risk.min_order_usd} USD are refused"
    )
    if not ok:
        detail += ": no base notional reaches the minimum order, nothing could trade"
    return CheckResult(COMPONENT, "sizing", ok, detail)


def _modes(settings: Settings) -> list[CheckResult]:
    results = []
    credentials = all(
        getattr(settings.secrets, name) is not None for name in ("exchange_api_key", "exchange_api_secret")
    )
    for mode in (Mode.PAPER, Mode.TEST, Mode.LIVE):
        limits = ", ".join(f"{key}={value}" for key, value in mode_limits(mode, settings).items())
        phrase = arming_phrase(mode, settings)
        if phrase is None:
            arming = "simulated fills, no arming needed"
        else:
            arming = f'arm with --confirm "{phrase}"; exchange credentials {"set" if credentials else "NOT set"}'
        results.append(CheckResult(COMPONENT, f"limits in {mode.value} mode", True, f"{limits}; {arming}"))
    return results


def _accounts(settings: Settings) -> CheckResult:
    accounts = ledger_summary(settings)
    read_only = [f"{a.name} ({a.balance_usd} USD)" for a in accounts if a.read_only]
    trading = accounts[0]
    return CheckResult(
        COMPONENT,
        "read-only accounts (R-LEDGER-1)",
        True,
        f"trading account {trading.name}; monitored only, never traded or moved: {', '.join(read_only) or 'none'}",
    )


def _stored_state(settings: Settings) -> CheckResult:
    try:
        store = Store.open(settings)
    except (StoreError, OSError) as error:
        return CheckResult(COMPONENT, "kill switch and counters", False, f"cannot open the store: {error}")
    try:
        switch = load_kill_switch(store)
        flatten = pending_flatten(store)
        account = account_from_store(store, settings, datetime.now(UTC), mode=Mode.PAPER)
    finally:
        store.close()
    counters = (
        f"trades today {account.trades_today}/{settings.risk.max_trades_per_day}, "
        f"consecutive losses {account.consecutive_losses}, open positions {len(account.open_positions)}"
    )
    if switch.tripped:
        when = switch.at.isoformat() if switch.at else "?"
        detail = (
            f"TRIPPED ({switch.cause.value if switch.cause else '?'}) at {when} by {switch.by}: {switch.reason}; "
            "no entries until a person runs `bigalpha kill-switch reset`"
        )
        if flatten is not None:
            detail += f"; flatten requested by {flatten.by} pending"
        return CheckResult(COMPONENT, "kill switch", False, f"{detail}; {counters}")
    if account.paused:
        return CheckResult(
            COMPONENT,
            "kill switch",
            False,
            f"armed; trading PAUSED ({account.pause.reason}): `bigalpha resume`; {counters}",
        )
    return CheckResult(COMPONENT, "kill switch", True, f"armed, not tripped; {counters}")


def _setups(settings: Settings) -> CheckResult:
    names = [strategy.name for strategy in build_setups(settings)]
    return CheckResult(COMPONENT, "tactical setups", True, f"enabled: {', '.join(names) or 'none'}")


def preflight(settings: Settings) -> list[CheckResult]:
    return [_sizing(settings), *_modes(settings), _accounts(settings), _stored_state(settings), _setups(settings)]
