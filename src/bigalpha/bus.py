"""The signal bus: every event is persisted first, then delivered to subscribers (G-BUS-1).

An event published inside a transaction reaches subscribers only after that transaction commits, so
the dashboard never shows something the store does not have. A subscriber that fails is logged and
skipped: it can never stop the engine or keep the other subscribers from their events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bigalpha.domain import DenyReason, Event, EventType, GuardName, LogTag
from bigalpha.store import Store, StoreTx

Handler = Callable[[Event], None]
log = logging.getLogger("bigalpha.bus")

# I-LOG-1: the searchable tag each guard's events carry in the logs.
GUARD_TAGS: dict[GuardName, LogTag] = {
    GuardName.WHALE_CONFLICT: LogTag.WHALE_INTENT,
    GuardName.LIQ_WALL: LogTag.LIQ,
    GuardName.LONG_TRAP: LogTag.TRAP,
    GuardName.TAKER_AGGRESSION: LogTag.TAKER,
    GuardName.WHALE_INTENT: LogTag.WHALE_INTENT,
    GuardName.ULTRA_CONVICTION: LogTag.WHALE_INTENT,
    GuardName.FEAR_GREED: LogTag.FEAR_GREED,
    GuardName.RANDOM_REGIME: LogTag.MACRO,
    GuardName.GOLDEN_HOUR: LogTag.MACRO,
    GuardName.PROBATION: LogTag.HYPERPARAM,
    GuardName.FEE_AWARE: LogTag.MACRO,
}


def event_tag(event: Event) -> str | None:
    """The I-LOG-1 tag of `event`: an explicit `data["tag"]`, else its guard's tag."""
    tag = event.data.get("tag")
    if isinstance(tag, str):
        return tag
    if event.guard is not None:
        return GUARD_TAGS[event.guard].value
    return None


@dataclass
class _Subscription:
    handler: Handler
    types: frozenset[str] | None


@dataclass
class BusTx:
    """Publishing inside a store transaction."""

    tx: StoreTx
    pending: list[Event] = field(default_factory=list)

    def publish(self, event: Event) -> None:
        self.tx.add_event(event)
        self.pending.append(event)


class SignalBus:
    """Publish/subscribe over the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._subscriptions: list[_Subscription] = []

    def subscribe(self, handler: Handler, types: set[EventType | DenyReason] | None = None) -> Callable[[], None]:
        """Call `handler` for every event (or only those of `types`); returns the unsubscribe function."""
        subscription = _Subscription(handler, frozenset(t.value for t in types) if types else None)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Persist `event` in its own transaction, then deliver it."""
        with self.transaction() as bus_tx:
            bus_tx.publish(event)

    @contextmanager
    def transaction(self) -> Iterator[BusTx]:
        """Write records and events in one transaction; the events are delivered once it has committed."""
        with self.store.transaction() as tx:
            bus_tx = BusTx(tx)
            yield bus_tx
        for event in bus_tx.pending:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        # A backtest configures no logging (Python's default, WARNING): no record of its events is ever made.
        if log.isEnabledFor(logging.INFO):
            tag = event_tag(event)
            log.info(
                "%s %s %s",
                event.type.value,
                event.symbol or "-",
                event.message,
                extra={"tag": tag, "event_type": event.type.value, "source": event.source, "data": event.data},
            )
        for subscription in list(self._subscriptions):
            if subscription.types is not None and event.type.value not in subscription.types:
                continue
            try:
                subscription.handler(event)
            except Exception:
                log.exception("subscriber %r failed on event %s; skipped", subscription.handler, event.id)
