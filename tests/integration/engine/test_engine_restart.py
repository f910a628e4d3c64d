"""Restart safety of signals (I-PERSIST-1): ticks after the last checkpoint are processed again after a crash,
and a signal the store already has is skipped, not judged, stored or shadowed a second time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from engine_harness import engine_on_sim, settings_for
from sqlalchemy import text

from bigalpha.data.ports import Tick, tick_time
from bigalpha.engine.core import Engine
from bigalpha.json_text import dumps

pytestmark = pytest.mark.slow

UNTIL = datetime(2025, 1, 1, 9, tzinfo=UTC)  # signals, all refused before the golden hour: no orders to reconcile
NO_CHECKPOINT = 10**9  # the crash comes before the engine saves its resume point


def _run_until(engine: Engine, ticks: Iterable[Tick]) -> None:
    for tick in ticks:
        if tick_time(tick) > UNTIL:
            break
        engine.process_tick(tick)


def test_a_restarted_engine_skips_the_signals_it_handled_before_a_crash(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with engine_on_sim(settings, checkpoint_every=NO_CHECKPOINT) as built:
        _run_until(built.engine, built.feed.ticks())
        handled = built.engine.summary.signals
        stored = {signal.id for signal in built.store.signals(limit=100_000)}
        shadows = len(built.store.shadow_trades())
    assert handled > 0, "the simulated night must produce signals for this test to mean anything"
    assert len(stored) == handled == shadows

    # The process died without a checkpoint: the restarted engine resumes from nothing and sees every tick again.
    with engine_on_sim(settings, checkpoint_every=NO_CHECKPOINT) as built:
        assert built.engine.last_tick is None
        _run_until(built.engine, built.feed.ticks())
        assert built.engine.summary.signals == 0
        assert {signal.id for signal in built.store.signals(limit=100_000)} == stored
        assert len(built.store.shadow_trades()) == shadows
        assert len(built.store.verdict_rows(limit=100_000)) == handled


class _Died(Exception):
    """The process dying in the middle of a tick, after its signals were stored, before its checkpoint."""


def test_a_shadow_opened_after_the_resume_point_is_followed_after_a_crash(tmp_path: Path) -> None:
    """L-SHADOW-1 with I-PERSIST-1: the signal is skipped when its tick comes again, so its shadow (stored with it,
    missing from the checkpoint) must come from the store, or it would stay open in the table and never be judged."""
    settings = settings_for(tmp_path)
    with engine_on_sim(settings, checkpoint_every=1) as built:
        engine = built.engine
        advance = engine._advance_shadows

        def dying(*args: Any) -> None:
            if engine.summary.signals:
                raise _Died
            advance(*args)

        engine._advance_shadows = dying  # type: ignore[method-assign]
        with pytest.raises(_Died):
            _run_until(engine, built.feed.ticks())
        orphans = set(engine.open_shadows)
        saved = {row["id"] for row in (built.store.get_state("engine") or {}).get("shadows", [])}
    assert len(orphans) == 1
    assert not orphans & saved, "the checkpoint is from the tick before the signal"

    with engine_on_sim(settings, checkpoint_every=1) as built:
        assert orphans <= set(built.engine.open_shadows)
        _run_until(built.engine, built.feed.ticks())
        assert built.engine.summary.signals > 0  # later signals are handled; the one before the crash is not
        built.engine.close_shadows(UNTIL, "end of data")
        assert all(row.closed_at is not None for row in built.store.shadow_trades())


def test_the_resume_point_is_the_text_of_the_engine_state(tmp_path: Path) -> None:
    """I-PERSIST-1: the checkpoint written after every tick, assembled from the texts of its parts (the builder's
    from each bar's text, written once), is the text the column encoder writes of the engine's state as one value:
    before the buffers fill, once they have wrapped round, and with shadows open."""
    settings = settings_for(tmp_path)
    with engine_on_sim(settings, checkpoint_every=1) as built:
        engine = built.engine
        compared = 0
        for index, tick in enumerate(built.feed.ticks()):
            if tick_time(tick) > UNTIL:
                break
            engine.process_tick(tick)
            if index % 97 != 5:  # a spread of ticks: comparing every one would only repeat the same check
                continue
            assert engine.last_tick is not None
            expected = {
                "last_tick": engine.last_tick.isoformat(),
                "builder": engine.builder.state_dict(),
                "learned": engine.learned.to_dict(),
                "strategies": {strategy.name: strategy.state_dict() for strategy in engine.parts.strategies},
                "scheduler": engine.scheduler.state_dict(),
                "funding_slot": engine.funding_slot,
                "shadows": [shadow.to_dict() for shadow in engine.open_shadows.values()],
                "whale_probe": engine.whale_probe.state_dict(),
            }
            with built.store.engine.connect() as connection:
                saved = connection.execute(text("SELECT value FROM state WHERE key = 'engine'")).scalar_one()
            assert saved == dumps(expected)
            compared += 1
        wrapped = max(len(symbol["bars"]) for symbol in engine.builder.state_dict()["symbols"].values())
    assert compared > 3
    assert wrapped == engine.builder.capacity, "the run must outlast the builder's buffer"
    assert engine.summary.signals > 0, "shadows must be open for the check to cover them"
