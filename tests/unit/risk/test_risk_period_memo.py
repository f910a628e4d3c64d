"""The kill switch's per-tick shortcuts: a reused calendar period and an unchanged mark give the plain results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import account
from risk_factories import settings as make_settings

from bigalpha.risk import day_start, on_mark, period_at, roll, roll_to, session_start

T0 = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=10 * 86_400_000_000).map(lambda us: T0 + timedelta(microseconds=us))


@settings(max_examples=400, deadline=None)
@given(
    first=moments,
    later_us=st.integers(min_value=0, max_value=2 * 86_400_000_000),
    hour=st.integers(min_value=0, max_value=23),
    hours=st.sampled_from([1.0, 2.5, 4.0, 5.0, 7.0, 8.0, 24.0]),
)
def test_a_period_holds_exactly_the_instants_with_its_day_and_session(
    first: datetime, later_us: int, hour: int, hours: float
) -> None:
    period = period_at(first, hour, hours)
    assert period.holds(first)
    moment = first + timedelta(microseconds=later_us)
    same = day_start(moment, hour) == period.day and session_start(moment, hour, hours) == period.session
    assert period.holds(moment) == same  # from the first instant on, it holds until its day or session ends


@settings(max_examples=200, deadline=None)
@given(opened=moments, later_us=st.integers(min_value=0, max_value=3 * 86_400_000_000))
def test_rolling_to_a_reused_period_is_rolling(opened: datetime, later_us: int) -> None:
    cfg = make_settings()
    state = account(at=opened)
    now = opened + timedelta(microseconds=later_us)
    period = period_at(opened, cfg.risk.day_start_utc_hour, cfg.setups.session.session_hours)
    if not period.holds(now):
        period = period_at(now, cfg.risk.day_start_utc_hour, cfg.setups.session.session_hours)
    assert roll_to(state, period.day, period.session) == roll(state, now, cfg)


@given(
    before=st.none() | st.sampled_from(["0", "0.00", "-0", "12.5", "12.50", "-3"]),
    after=st.none() | st.sampled_from(["0", "0.00", "-0", "12.5", "12.50", "-3"]),
)
def test_an_unchanged_mark_keeps_the_state_and_any_other_takes_it(before: str | None, after: str | None) -> None:
    state = on_mark(account(), None if before is None else Decimal(before))
    marked = on_mark(state, None if after is None else Decimal(after))
    assert str(marked.unrealized_pnl_usd) == str(None if after is None else Decimal(after))
    assert marked == state if before == after else marked.unrealized_pnl_usd is not state.unrealized_pnl_usd
