"""The signal bus: persisted first, delivered after commit, subscribers isolated (G-BUS-1)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bigalpha.bus import SignalBus, event_tag
from bigalpha.config import load_settings
from bigalpha.domain import DenyReason, Event, EventId, EventType, GuardName, Side, Symbol
from bigalpha.logging_setup import configure_logging
from bigalpha.store import Store

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def _event(n: int, kind: EventType | DenyReason = EventType.SIGNAL, guard: GuardName | None = None) -> Event:
    return Event(
        id=EventId(f"evt-{n}"),
        ts=T0,
        type=kind,
        source="test",
        symbol=Symbol("BTC"),
        side=Side.LONG,
        guard=guard,
        data={"n": n},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path)}))
    yield opened
    opened.close()


def test_published_events_are_persisted_and_delivered_in_order(store: Store) -> None:
    """G-BUS-1: every event is persisted and streamed."""
    bus = SignalBus(store)
    seen: list[str] = []
    bus.subscribe(lambda event: seen.append(event.id))
    for n in range(3):
        bus.publish(_event(n))
    assert seen == ["evt-0", "evt-1", "evt-2"]
    assert [event.id for _, event in store.events()] == seen


def test_subscription_by_type_filters(store: Store) -> None:
    bus = SignalBus(store)
    blocks: list[Event] = []
    bus.subscribe(blocks.append, {DenyReason.LIQ_WALL_CONFLICT})
    bus.publish(_event(1))
    bus.publish(_event(2, DenyReason.LIQ_WALL_CONFLICT, GuardName.LIQ_WALL))
    assert [event.id for event in blocks] == ["evt-2"]


def test_events_of_a_failed_transaction_are_neither_stored_nor_delivered(store: Store) -> None:
    bus = SignalBus(store)
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with pytest.raises(RuntimeError), bus.transaction() as tx:
        tx.publish(_event(1))
        raise RuntimeError("write failed half-way")
    assert seen == []
    assert store.events() == []


def test_a_failing_subscriber_does_not_stop_the_others(store: Store) -> None:
    bus = SignalBus(store)
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise ValueError(f"cannot handle {event.id}")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(_event(1))
    assert [event.id for event in seen] == ["evt-1"]


def test_unsubscribe_stops_delivery(store: Store) -> None:
    bus = SignalBus(store)
    seen: list[Event] = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(_event(1))
    unsubscribe()
    bus.publish(_event(2))
    assert len(seen) == 1


def test_guard_events_are_logged_under_their_searchable_tag(store: Store, tmp_path: Path) -> None:
    """I-LOG-1: a liquidation-wall block is written to the JSON log with tag LIQ."""
    settings = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path)})
    path = configure_logging(settings, console=False)
    assert path is not None
    bus = SignalBus(store)
    bus.publish(_event(1, DenyReason.LIQ_WALL_CONFLICT, GuardName.LIQ_WALL))
    for handler in logging.getLogger("bigalpha").handlers:
        handler.flush()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert any(line["tag"] == "LIQ" and line["event_type"] == "LIQ_WALL_CONFLICT" for line in lines)
    assert event_tag(_event(2, DenyReason.LONG_TRAP_DETECTED, GuardName.LONG_TRAP)) == "TRAP"
