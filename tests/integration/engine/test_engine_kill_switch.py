"""R-K-4 through the engine: a manual trip and flatten from the CLI's store records stops every entry and
closes every position at the next tick; signals keep being judged, stored and shadowed with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from engine_harness import engine_on_sim, settings_for

from bigalpha.domain import DenyReason
from bigalpha.engine.risk_adapter import RiskGatePolicy
from bigalpha.risk import request_flatten

pytestmark = pytest.mark.slow


def test_flatten_request_closes_everything_and_blocks_entries(tmp_path: Path) -> None:
    """R-K-4: `bigalpha flatten` (a flatten request and a tripped kill switch in the store) closes every open
    position at the running engine's next tick; later signals are refused with KILL_SWITCH_TRIPPED."""
    settings = settings_for(tmp_path)
    with engine_on_sim(settings, days=1, checkpoint_every=1) as built:
        engine = built.engine
        for tick in built.feed.ticks():
            engine.process_tick(tick)
            if engine.book.positions:
                break
        assert engine.book.positions, "the simulated morning must open a position for this test"
        trip_time = engine.last_tick
        assert trip_time is not None
        request_flatten(engine.bus, "test", "manual flatten", trip_time)
        policy = engine.parts.risk
        assert isinstance(policy, RiskGatePolicy)
        policy.latches_changed()  # as an in-process caller would; a CLI change is picked up within a second
        refused_after: list[str] = []
        for tick in built.feed.ticks():
            if tick[0].ts <= trip_time:
                continue
            engine.process_tick(tick)
            if tick[0].ts >= datetime(2025, 1, 1, 16, tzinfo=UTC):
                break
        assert not engine.book.positions
        for row in built.store.verdict_rows(limit=100_000):
            if row.ts > trip_time and row.allowed:
                refused_after.append((row.risk or {}).get("reason"))
        assert refused_after, "signals keep coming while halted"
        assert None not in refused_after  # nothing approved: every signal after the trip was refused
        assert DenyReason.KILL_SWITCH_TRIPPED.value in refused_after
        closed = built.store.closed_positions()
        assert any(p.exit_reason == "flatten" for p in closed)
