"""Running the real engine on the simulator into a throw-away store, for the engine's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bigalpha.clock import SimulatedClock
from bigalpha.config import Settings, load_settings
from bigalpha.domain import Mode
from bigalpha.engine.build import Built, SimOptions, build_engine, sim_feed
from bigalpha.execution.portfolio import net_pnl
from bigalpha.store import Store

SYMBOLS = ("ETH", "SOL")


def settings_for(tmp: Path, **env: str) -> Settings:
    return load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp), "BIGALPHA__DATA__SYMBOLS": '["ETH","SOL"]', **env})


@contextmanager
def engine_on_sim(
    settings: Settings,
    *,
    days: int = 1,
    seed: int = 7,
    mode: Mode = Mode.PAPER,
    scenario: str | None = None,
    checkpoint_every: int = 30,
) -> Iterator[Built]:
    feed = sim_feed(settings, SimOptions(seed=seed, symbols=SYMBOLS, days=days, scenario=scenario), speed=None)
    built = build_engine(
        settings, mode, feed, clock=SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC)), checkpoint_every=checkpoint_every
    )
    try:
        built.engine.start()
        yield built
    finally:
        built.store.close()


def ledger(store: Store) -> dict[str, object]:
    """What must be equal between an interrupted and an uninterrupted run."""
    closed = store.closed_positions()
    wallet = store.get_state("wallet") or {}
    return {
        "positions": [(p.id, p.quantity, p.entry_price, p.realized_pnl, p.fees_paid, p.exit_reason) for p in closed],
        "open": sorted(p.id for p in store.open_positions()),
        "orders": sorted((o.client_order_id, o.status.value, o.quantity) for o in store.orders(limit=100_000)),
        "fills": sorted((f.trade_id, f.price, f.quantity) for f in store.fills()),
        "signals": sorted(s.id for s in store.signals(limit=100_000)),
        "wallet": wallet.get("balance"),
        "net": sum((net_pnl(p) for p in closed), Decimal(0)),
    }
