"""Restarts on a real SQLite store: latched states come back, counters are rebuilt from positions (I-PERSIST-1,
R-K-4, R-M-3), and the CLI acts on the same store (I-CLI-1)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha.bus import SignalBus
from bigalpha.cli import app
from bigalpha.config import Settings, load_settings
from bigalpha.domain import (
    AccountName,
    DenyReason,
    Mode,
    Position,
    PositionId,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
)
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import (
    KillCause,
    account_from_store,
    evaluate_risk,
    new_account,
    on_entry,
    on_position_closed,
    pending_flatten,
    record_pause,
    refresh_latches,
    request_flatten,
    resume_trading,
    trip_kill_switch,
)
from bigalpha.store import Store

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
FEEDS = ("funding", "open_interest", "long_short_ratio", "health_factor")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path / "var")})


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    yield opened
    opened.close()


def _position(pid: str, pnl: str, opened: datetime, closed: datetime | None) -> Position:
    return Position(
        id=PositionId(pid),
        symbol=Symbol("BTC"),
        side=Side.LONG,
        account=AccountName("hot"),
        opened_at=opened,
        entry_price=Decimal(100000),
        quantity=Decimal(0) if closed else Decimal("0.001"),
        initial_quantity=Decimal("0.001"),
        leverage=5,
        margin=Decimal(20),
        stop_price=Decimal(99700),
        targets=(),
        realized_pnl=Decimal(pnl),
        closed_at=closed,
        exit_reason="test" if closed else None,
    )


def _entry_allowed(settings: Settings, store: Store, now: datetime) -> DenyReason | None:
    account = account_from_store(store, settings, now, mode=Mode.PAPER)
    signal = Signal(SignalId("s"), now, Symbol("BTC"), Side.LONG, StrategyName("t"), 100000.0, stop_pct=0.003)
    context = MarketContext(
        symbol=Symbol("BTC"),
        ts=now,
        price=100000.0,
        short_share=0.5,
        funding_divergence_bps=0.1,
        oi_change_pct=0.0,
        health_factor=3.0,
        ages_s=dict.fromkeys(FEEDS, 0.0),
    )
    decision = evaluate_risk(signal, context, account, Decimal(50), settings, Mode.PAPER, now)
    return None if decision.approved else decision.reason


def test_a_tripped_kill_switch_comes_back_tripped_after_a_restart(settings: Settings, store: Store) -> None:
    """R-K-4: trip, close the store, open it again: still tripped, entries refused, until a reset."""
    trip_kill_switch(SignalBus(store), KillCause.SESSION_DRAWDOWN, "R-K-1: 20 USD", "engine", T0)
    store.close()
    reopened = Store.open(settings)
    try:
        account = account_from_store(reopened, settings, T0 + timedelta(days=3), mode=Mode.PAPER)
        assert account.kill_switch.tripped
        assert account.kill_switch.cause is KillCause.SESSION_DRAWDOWN
        assert _entry_allowed(settings, reopened, T0 + timedelta(days=3)) is DenyReason.KILL_SWITCH_TRIPPED
    finally:
        reopened.close()


def test_counters_rebuilt_from_the_store_equal_the_live_ones(settings: Settings, store: Store) -> None:
    """I-PERSIST-1: replaying stored positions gives the counters the engine had in memory."""
    live = new_account(Mode.PAPER, settings, T0, Decimal(1660))
    plan = [("a", "-1.00", 0, 5), ("b", "2.50", 10, 30), ("c", "-0.40", 40, 50), ("d", "0", 60, None)]
    for pid, pnl, opened_min, closed_min in plan:
        opened = T0 + timedelta(minutes=opened_min)
        live = on_entry(live, position_id=pid, symbol="BTC", notional=Decimal(100), now=opened, config=settings)
        closed = T0 + timedelta(minutes=closed_min) if closed_min is not None else None
        position = _position(pid, pnl, opened, closed)
        with store.transaction() as tx:
            tx.save_position(position)
        if closed is not None:
            live = on_position_closed(live, position, closed, settings)
    now = T0 + timedelta(minutes=70)
    rebuilt = account_from_store(store, settings, now, mode=Mode.PAPER)
    for name in ("equity_usd", "realized_pnl_today_usd", "trades_today", "consecutive_losses", "session_trades"):
        assert getattr(rebuilt, name) == getattr(live, name), name
    assert rebuilt.session_net_r == pytest.approx(live.session_net_r)
    assert rebuilt.open_positions == live.open_positions
    assert rebuilt.unrealized_pnl_usd is None  # an open position: unknown until the engine marks it


def test_pause_survives_a_restart_and_a_resume_clears_it(settings: Settings, store: Store) -> None:
    """R-M-3: two losses pause; the pause is persisted, comes back after a restart, and a person's resume ends it."""
    bus = SignalBus(store)
    live = new_account(Mode.PAPER, settings, T0, Decimal(1660))
    for n in range(2):
        opened, closed = T0 + timedelta(minutes=2 * n), T0 + timedelta(minutes=2 * n + 1)
        position = _position(f"l{n}", "-1", opened, closed)
        with store.transaction() as tx:
            tx.save_position(position)
        before = on_entry(
            live, position_id=position.id, symbol="BTC", notional=Decimal(100), now=opened, config=settings
        )
        live = on_position_closed(before, position, closed, settings)
        record_pause(bus, before, live, closed)
    assert live.paused
    later = T0 + timedelta(hours=30)  # another day, another session: the pause stays until a person acts
    assert _entry_allowed(settings, store, later) is DenyReason.PAUSED_AFTER_LOSSES
    resume_trading(bus, "cli:alice", "reviewed", later)
    assert not refresh_latches(live, store).paused
    assert _entry_allowed(settings, store, later + timedelta(minutes=1)) is None


def test_flatten_request_waits_for_the_next_engine(settings: Settings, store: Store) -> None:
    """R-K-4: a flatten asked while no engine runs is still pending when one starts."""
    request_flatten(SignalBus(store), "cli:alice", "exchange outage", T0)
    store.close()
    reopened = Store.open(settings)
    try:
        pending = pending_flatten(reopened)
        assert pending is not None
        assert pending.by == "cli:alice"
    finally:
        reopened.close()


# -- the CLI on the same store ---------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BIGALPHA"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BIGALPHA__STORE__DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_cli_trip_status_validate_and_reset(cli_env: Path) -> None:
    """R-K-4 / I-CLI-1: trip from the CLI (confirmed), status shows it, validate fails, reset clears it."""
    refused = runner.invoke(app, ["kill-switch", "trip"], input="n\n")
    assert refused.exit_code == 1
    tripped = runner.invoke(app, ["kill-switch", "trip", "--reason", "drill", "--by", "alice"], input="y\n")
    assert tripped.exit_code == 0, tripped.output
    status = runner.invoke(app, ["kill-switch", "status", "--json"])
    data = json.loads(status.stdout)
    assert data["kill_switch"]["tripped"] is True
    assert (data["kill_switch"]["by"], data["trading_state"]) == ("alice", "HALTED")
    validate = runner.invoke(app, ["validate", "--json"])
    assert validate.exit_code == 1
    checks = {c["check"]: c for c in json.loads(validate.stdout)["checks"] if c["component"] == "risk"}
    assert not checks["kill switch"]["ok"]
    assert "TRIPPED" in checks["kill switch"]["detail"]
    assert runner.invoke(app, ["kill-switch", "reset", "--yes"]).exit_code == 0
    after = json.loads(runner.invoke(app, ["risk", "status", "--mode", "test", "--json"]).stdout)
    assert after["kill_switch"]["tripped"] is False
    assert after["limits"]["max_total_exposure_usd"] == "100"


def test_cli_flatten_and_resume(cli_env: Path) -> None:
    """R-K-4, R-M-3: flatten records a request and trips; resume with nothing paused says so."""
    flattened = runner.invoke(app, ["flatten", "--yes", "--json"])
    assert flattened.exit_code == 0
    data = json.loads(flattened.stdout)
    assert data["kill_switch"]["tripped"] is True
    assert data["flatten"]["done_at"] is None
    resumed = runner.invoke(app, ["resume", "--yes"])
    assert resumed.exit_code == 0
    assert "not paused" in resumed.stdout
    ledger = json.loads(runner.invoke(app, ["risk", "ledger", "--json"]).stdout)
    assert {"name": "cold", "balance_usd": "6600", "read_only": True} in ledger
