"""The risk adapter's remembered kill-switch check (engine/risk_adapter.py) gives, tick after tick, the checks and
the account a policy judging every tick afresh gives: through marks that repeat and change, health factors that
are fresh, stale, missing or critical, session boundaries, and the trips they cause."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigalpha.bus import SignalBus
from bigalpha.config import Settings, load_settings
from bigalpha.domain import Mode, Symbol
from bigalpha.engine.policies import KillCheck
from bigalpha.engine.risk_adapter import RiskGatePolicy
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import load_kill_switch
from bigalpha.store import Store

T0 = datetime(2025, 6, 2, 7, 50, tzinfo=UTC)  # ten minutes before a session boundary
MARKS = ["0", "0.00", "-3", "-30"]  # -30 USD is past R-K-1's 1.2% of the paper balance
FRESH, CRITICAL = st.floats(min_value=2.05, max_value=5.0), st.floats(min_value=1.2, max_value=1.99)

ticks = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=900),  # seconds since the last tick
        st.sampled_from(MARKS),
        # the health factor: fresh (most ticks), critical, missing, or with no known age (-1)
        st.one_of(FRESH, FRESH, CRITICAL, st.none(), st.just(-1.0)),
        st.sampled_from([0.0, 30.0, 599.0, 601.0]),  # its age at the context's time (stale above 600 s)
    ),
    min_size=1,
    max_size=40,
)


def _context(symbol: str, now: datetime, hf: float | None, age: float) -> MarketContext:
    if hf is not None and hf < 0:
        return MarketContext(symbol=Symbol(symbol), ts=now, price=100.0, health_factor=2.5)  # no known age
    return MarketContext(
        symbol=Symbol(symbol),
        ts=now,
        price=100.0,
        health_factor=hf,
        ages_s={"health_factor": age},
        unavailable={} if hf is not None else {"health_factor": "feed down"},
    )


def _policies(tmp_path: Path) -> Iterator[tuple[Settings, RiskGatePolicy]]:
    for name in ("remembered", "afresh"):
        cfg = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path / name)})
        store = Store.open(cfg)
        policy = RiskGatePolicy(cfg, Mode.BACKTEST, store, SignalBus(store))
        policy.restore(T0)
        yield cfg, policy


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=ticks)
def test_the_remembered_check_is_the_check_judged_afresh(
    tmp_path_factory: pytest.TempPathFactory, path: list[tuple[int, str, float | None, float]]
) -> None:
    (_, remembered), (_, afresh) = _policies(tmp_path_factory.mktemp("kill"))
    now = T0
    for seconds, mark, hf, age in path:
        now += timedelta(seconds=seconds)
        contexts = {Symbol("ETH"): _context("ETH", now, hf, age)}
        afresh._kill_memo = None  # the plain path: nothing remembered from the last tick
        expected: KillCheck = afresh.kill_switch(Decimal(mark), contexts, now)
        got = remembered.kill_switch(Decimal(mark), contexts, now)
        assert got == expected
        assert remembered.account == afresh.account
        assert load_kill_switch(remembered.store) == load_kill_switch(afresh.store)


def test_an_unchanged_flat_book_reuses_its_check(tmp_path: Path) -> None:
    (_, policy), _ = _policies(tmp_path)
    contexts = {Symbol("ETH"): _context("ETH", T0, 3.0, 0.0)}
    first = policy.kill_switch(Decimal(0), contexts, T0)
    later = T0 + timedelta(minutes=1)
    again = policy.kill_switch(Decimal(0), {Symbol("ETH"): _context("ETH", later, 3.1, 0.0)}, later)
    assert again is first  # same account, health factor fresh and not critical: the same check
    critical = policy.kill_switch(Decimal(0), {Symbol("ETH"): _context("ETH", later, 1.5, 0.0)}, later)
    assert critical.flatten
    assert critical.halted
