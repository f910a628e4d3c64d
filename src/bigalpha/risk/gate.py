"""The risk gate: the single synchronous checkpoint every entry passes, in every mode (R-*).

Four layers in order — global, tactical, macro, kill switch — and the first refusal wins; size adjustments
multiply; caps then bound the notional. Every refusal names its `RiskLayer`, a stable `DenyReason`, the
SPEC rule (`evidence["rule"]`) and the numbers it saw. The gate never fails open: an input it needs that is
missing, not finite or older than `risk.stale_data_max_age_s` refuses the entry.

Caps rather than refusals (decided): an order above a limit on its size is cut to the limit, and refused
only when what is left is below `risk.min_order_usd`. The caps: R-G-1 (`max_position_usd` less what the
symbol already holds), R-G-3 (the rest of the daily loss budget divided by the stop distance, so the loss
at the stop fits the budget), and in test mode R-MODE-1's total exposure and session-loss budget.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from bigalpha.clock import require_utc
from bigalpha.config import Settings
from bigalpha.domain import DenyReason, Mode, RiskDecision, RiskLayer, Side, Signal, evidence
from bigalpha.indicators.context import MarketContext
from bigalpha.risk._run import Number, _Cap, _finite, _missing, _refuse, _Run
from bigalpha.risk.account import CENT, AccountState, roll
from bigalpha.risk.events import risk_events
from bigalpha.risk.kill_switch import evaluate_kill_switch, input_age_s

__all__ = ["evaluate_risk", "risk_events"]


def _global(run: _Run) -> RiskDecision | None:
    risk = run.config.risk
    stop = run.signal.stop_pct if run.signal.stop_pct is not None else run.config.positions.default_stop_pct
    if _finite(stop) is None or stop <= 0:
        return _refuse(RiskLayer.GLOBAL, DenyReason.MISSING_STOP, "R-G-2", f"no usable stop ({stop})", stop_pct=stop)
    if stop > risk.max_stop_pct:
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.STOP_TOO_WIDE,
            "R-G-2",
            f"stop {stop:.4%} is wider than {risk.max_stop_pct:.2%}",
            stop_pct=stop,
            limit=risk.max_stop_pct,
        )
    run.stop_pct = stop
    stop_d = Decimal(str(stop))
    account = run.account
    loss = account.loss_today_usd
    if loss >= risk.daily_loss_limit_usd:
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.DAILY_LOSS_LIMIT,
            "R-G-3",
            f"today's loss {loss:.2f} USD has reached the limit {risk.daily_loss_limit_usd} USD",
            loss_today_usd=float(loss),
            limit_usd=float(risk.daily_loss_limit_usd),
        )
    run.caps.append(
        _Cap("R-G-3", (risk.daily_loss_limit_usd - loss) / stop_d, RiskLayer.GLOBAL, DenyReason.DAILY_LOSS_LIMIT)
    )
    open_count = len(account.open_positions)
    if open_count >= risk.max_concurrent_positions:
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.MAX_CONCURRENT_POSITIONS,
            "R-G-4",
            f"{open_count} positions open (limit {risk.max_concurrent_positions})",
            open_positions=open_count,
            limit=risk.max_concurrent_positions,
        )
    held = account.notional_by_symbol().get(run.signal.symbol, Decimal(0))
    run.caps.append(_Cap("R-G-1", risk.max_position_usd - held, RiskLayer.GLOBAL, DenyReason.NOTIONAL_EXCEEDS_MAX))
    run.seen.update(stop_pct=stop, loss_today_usd=float(loss), open_positions=open_count)
    if run.mode is Mode.TEST:
        return _test_mode(run, stop_d)
    return None


def _test_mode(run: _Run, stop_d: Decimal) -> RiskDecision | None:
    caps = run.config.risk.test_mode
    account = run.account
    if account.session_trades >= caps.max_trades_per_session:
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.TEST_MODE_CAP,
            "R-MODE-1",
            f"test mode: {account.session_trades} trades this session (limit {caps.max_trades_per_session})",
            session_trades=account.session_trades,
            limit=caps.max_trades_per_session,
        )
    loss = account.session_loss_usd
    if loss >= caps.session_loss_limit_usd:
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.TEST_MODE_CAP,
            "R-MODE-1",
            f"test mode: session loss {loss:.2f} USD has reached {caps.session_loss_limit_usd} USD",
            session_loss_usd=float(loss),
            limit_usd=float(caps.session_loss_limit_usd),
        )
    exposure = account.open_notional_usd
    run.caps.append(
        _Cap("R-MODE-1 exposure", caps.max_total_exposure_usd - exposure, RiskLayer.GLOBAL, DenyReason.TEST_MODE_CAP)
    )
    run.caps.append(
        _Cap("R-MODE-1 loss", (caps.session_loss_limit_usd - loss) / stop_d, RiskLayer.GLOBAL, DenyReason.TEST_MODE_CAP)
    )
    run.seen.update(test_exposure_usd=float(exposure), session_trades=account.session_trades)
    return None


def _shorts(run: _Run) -> RiskDecision | None:
    """R-T-1, S-XRP-SQ's risk side and R-T-2: the tactical rules that refuse shorts."""
    risk, context, symbol = run.config.risk, run.context, run.signal.symbol
    if run.signal.side is Side.SHORT:
        share = _finite(context.short_share)
        if share is None:
            return _missing(RiskLayer.TACTICAL, "R-T-1", run, "short_share", "long_short_ratio")
        limit = risk.short_share_limit(symbol)
        if share > limit:
            return _refuse(
                RiskLayer.TACTICAL,
                DenyReason.SHORT_SHARE_TOO_HIGH,
                "R-T-1",
                f"no shorts: {symbol} short share {share:.2%} is above {limit:.2%}",
                short_share=share,
                limit=limit,
            )
        squeeze = run.config.setups.xrp_squeeze
        if symbol == squeeze.symbol and share >= squeeze.short_share_at_or_above:
            return _refuse(
                RiskLayer.TACTICAL,
                DenyReason.SHORT_SHARE_TOO_HIGH,
                "S-XRP-SQ",
                f"no shorts: {symbol} short share {share:.2%} is at or above {squeeze.short_share_at_or_above:.2%}",
                short_share=share,
                limit=squeeze.short_share_at_or_above,
            )
        divergence = _finite(context.funding_divergence_bps)
        if divergence is None:
            return _missing(RiskLayer.TACTICAL, "R-T-2", run, "funding_divergence_bps", "funding")
        if divergence > risk.funding_divergence_bps:
            return _refuse(
                RiskLayer.TACTICAL,
                DenyReason.FUNDING_DIVERGENCE_LONG_BIAS,
                "R-T-2",
                f"funding diverges {divergence:.3f} bps between exchanges (above {risk.funding_divergence_bps}): "
                "long bias, shorts refused",
                funding_divergence_bps=divergence,
                limit=risk.funding_divergence_bps,
            )
        run.seen.update(short_share=share, funding_divergence_bps=divergence)
    return None


def _tactical(run: _Run) -> RiskDecision | None:
    refusal = _shorts(run)
    if refusal is not None:
        return refusal
    risk = run.config.risk
    oi_change = _finite(run.context.oi_change_pct)
    if oi_change is None:
        return _missing(RiskLayer.TACTICAL, "R-T-3", run, "oi_change_pct", "oi_delta_5m", "open_interest")
    run.seen["oi_change_pct"] = oi_change
    if abs(oi_change) > risk.oi_change_pct:
        run.multiplier *= risk.oi_change_multiplier
        run.resized_by.append(f"R-T-3 ×{risk.oi_change_multiplier} (OI change {oi_change:+.2%})")
    return None


def _macro(run: _Run) -> RiskDecision | None:
    risk, account = run.config.risk, run.account
    if risk.health_factor_required:
        hf = _finite(run.context.health_factor)
        if hf is None:
            return _missing(RiskLayer.MACRO, "R-M-1", run, "health_factor", "health_factor")
        if hf < risk.health_factor_min_entry:
            return _refuse(
                RiskLayer.MACRO,
                DenyReason.HEALTH_FACTOR_LOW,
                "R-M-1",
                f"health factor {hf:.3f} is below {risk.health_factor_min_entry}: no new entries",
                health_factor=hf,
                limit=risk.health_factor_min_entry,
            )
        run.seen["health_factor"] = hf
    if account.trades_today >= risk.max_trades_per_day:
        return _refuse(
            RiskLayer.MACRO,
            DenyReason.MAX_TRADES_PER_DAY,
            "R-M-2",
            f"{account.trades_today} trades today (limit {risk.max_trades_per_day})",
            trades_today=account.trades_today,
            limit=risk.max_trades_per_day,
        )
    if account.paused:
        return _refuse(
            RiskLayer.MACRO,
            DenyReason.PAUSED_AFTER_LOSSES,
            "R-M-3",
            f"paused after {account.pause.consecutive_losses} consecutive losses until a person resumes "
            "(`bigalpha resume`)",
            consecutive_losses=account.consecutive_losses,
            paused_at=account.pause.at.isoformat() if account.pause.at else None,
        )
    rule = run.config.setups.session
    if (
        account.session_stopped
        or account.session_consecutive_losses >= rule.stop_after_consecutive_losses
        or account.session_net_r >= rule.stop_at_r_multiple
        or account.session_trades >= rule.max_trades
    ):
        return _refuse(
            RiskLayer.MACRO,
            DenyReason.SESSION_STOPPED,
            "S-SESSION",
            f"session since {account.session_start.isoformat()} stopped: {account.session_consecutive_losses} "
            f"consecutive losses, {account.session_net_r:+.2f}R net, {account.session_trades} trades",
            session_consecutive_losses=account.session_consecutive_losses,
            session_net_r=account.session_net_r,
            session_trades=account.session_trades,
        )
    run.seen.update(trades_today=account.trades_today, session_trades=account.session_trades)
    return None


def _kill_switch(run: _Run) -> RiskDecision | None:
    risk, context, now = run.config.risk, run.context, run.now
    switch = run.account.kill_switch
    if switch.tripped:
        return _refuse(
            RiskLayer.KILL_SWITCH,
            DenyReason.KILL_SWITCH_TRIPPED,
            "R-K-4",
            f"kill switch tripped ({switch.cause.value if switch.cause else '?'}) at "
            f"{switch.at.isoformat() if switch.at else '?'} by {switch.by}: {switch.reason}",
            cause=switch.cause.value if switch.cause else None,
            by=switch.by,
        )
    context_age = (now - context.ts).total_seconds()
    if context_age > risk.stale_data_max_age_s:
        return _stale(run, "market_context", context_age)
    for feed in risk.stale_checked_feeds:
        if feed == "health_factor" and not risk.health_factor_required:
            continue
        age = input_age_s(context, feed, now)
        if age is None:
            return _missing(RiskLayer.KILL_SWITCH, "R-STALE-1", run, feed, feed)
        if age > risk.stale_data_max_age_s:
            return _stale(run, feed, age)
    verdict = evaluate_kill_switch(run.account, {run.signal.symbol: context}, risk, now)
    if verdict.block_entries:
        rule = str(verdict.evidence.get("rule", "R-K"))
        return RiskDecision(
            approved=False,
            notional_usd=Decimal(0),
            multiplier=0.0,
            layer=RiskLayer.KILL_SWITCH,
            reason=verdict.reason or DenyReason.KILL_SWITCH_TRIPPED,
            message=verdict.message if verdict.message.startswith(rule) else f"{rule}: {verdict.message}",
            evidence=evidence(flatten=verdict.flatten, **dict(verdict.evidence)),
        )
    return None


def _stale(run: _Run, feed: str, age: float) -> RiskDecision:
    limit = run.config.risk.stale_data_max_age_s
    return _refuse(
        RiskLayer.KILL_SWITCH,
        DenyReason.STALE_DATA,
        "R-STALE-1",
        f"{feed} of {run.signal.symbol} is {age:.0f} s old (limit {limit:.0f} s): standing down, no new entries",
        feed=feed,
        age_s=age,
        limit_s=limit,
    )


_LAYERS = (_global, _tactical, _macro, _kill_switch)


def _check_inputs(
    signal: Signal, context: MarketContext, account: AccountState, requested: Decimal, mode: Mode
) -> None:
    if signal.symbol != context.symbol:
        raise ValueError(f"evaluate_risk: signal {signal.id} is for {signal.symbol}, the context for {context.symbol}")
    if not isinstance(requested, Decimal) or not requested.is_finite() or requested < 0:
        raise ValueError(
            f"evaluate_risk: requested_notional of signal {signal.id} must be a Decimal ≥ 0, got {requested!r}"
        )
    if account.mode is not mode:
        raise ValueError(
            f"evaluate_risk: the account state was built for {account.mode.value}, the gate runs in {mode.value}"
        )


def evaluate_risk(
    signal: Signal,
    context: MarketContext,
    account: AccountState,
    requested_notional: Decimal,
    config: Settings,
    mode: Mode,
    now: datetime,
) -> RiskDecision:
    """The risk gate's decision on one entry: approved with the notional to send, or refused. Pure."""
    now = require_utc(now)
    _check_inputs(signal, context, account, requested_notional, mode)
    run = _Run(signal, context, roll(account, now, config), config, mode, now)
    for layer in _LAYERS:
        refusal = layer(run)
        if refusal is not None:
            return refusal
    return _size(run, requested_notional)


def _size(run: _Run, requested: Decimal) -> RiskDecision:
    risk = run.config.risk
    value = requested * Decimal(str(run.multiplier))
    binding: _Cap | None = None
    for cap in run.caps:
        if cap.limit_usd < value:
            value, binding = cap.limit_usd, cap
    notional = value.quantize(CENT, rounding=ROUND_DOWN)
    caps = {cap.rule: float(cap.limit_usd.quantize(CENT, rounding=ROUND_DOWN)) for cap in run.caps}
    numbers: dict[str, Number] = {
        "requested_usd": float(requested),
        "multiplier": run.multiplier,
        "notional_usd": float(notional),
        "capped_by": binding.rule if binding else None,
        **{f"cap {rule}": limit for rule, limit in caps.items()},
        **run.seen,
    }
    if notional < risk.min_order_usd:
        if binding is not None:
            return _refuse(
                binding.layer,
                binding.reason,
                binding.rule.split(" ")[0],
                f"{binding.rule} leaves {notional:.2f} USD, below the minimum order {risk.min_order_usd} USD",
                **numbers,
            )
        return _refuse(
            RiskLayer.GLOBAL,
            DenyReason.NOTIONAL_BELOW_MINIMUM,
            "R-G-1",
            f"the sized order is {notional:.2f} USD, below the minimum order {risk.min_order_usd} USD",
            **numbers,
        )
    notes = [*run.resized_by]
    if binding is not None:
        notes.append(f"capped by {binding.rule} at {notional:.2f} USD")
    return RiskDecision(
        approved=True,
        notional_usd=notional,
        multiplier=run.multiplier,
        message=f"approved {notional:.2f} USD" + (f" ({'; '.join(notes)})" if notes else ""),
        evidence=evidence(**numbers),
    )
