"""The learning loop's periodic jobs, run on the engine's clock (L-SHADOW-1, L-GUARD-1, L-PROB-1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bigalpha.config import Settings
from bigalpha.domain import Event, EventId, EventType, LogTag, new_id
from bigalpha.learning.review import guard_effectiveness, probation_review, slippage_review

if TYPE_CHECKING:
    from bigalpha.engine.core import Engine

Job = tuple[str, timedelta, Callable[[datetime], None]]


def learning_jobs(settings: Settings, engine: Callable[[], Engine]) -> list[Job]:
    """The 4-hour review; it reads the store and updates the gate's learned state (persisted by the engine)."""

    def review(now: datetime) -> None:
        current = engine()
        window_start = now - timedelta(hours=settings.learning.review_interval_hours)
        shadows = current.store.shadow_trades(since=window_start - timedelta(days=1))
        closed_shadows = [row for row in shadows if row.closed_at is not None]
        trades = current.store.closed_positions()
        learned, slippage = slippage_review(closed_shadows, trades[-200:], current.learned, settings)
        learned, probation = probation_review(trades, learned, settings)
        guards = guard_effectiveness(closed_shadows)
        changed = learned != current.learned
        current.learned = learned
        with current.bus.transaction() as tx:
            tx.publish(
                Event(
                    id=EventId(new_id("evt")),
                    ts=now,
                    type=EventType.LEARNING_REVIEW,
                    source="learning_loop",
                    message=f"review: {len(closed_shadows)} shadows, {len(slippage)} slippage changes, "
                    f"{len(probation)} probation changes",
                    data={
                        "tag": LogTag.HYPERPARAM.value,
                        "guards": {
                            g.guard: {"blocks": g.blocks, "shadow_return_pct": g.shadow_return_pct} for g in guards
                        },
                        "slippage": [vars_of(c) for c in slippage],
                        "probation": probation,
                    },
                )
            )
            if changed:
                tx.publish(
                    Event(
                        id=EventId(new_id("evt")),
                        ts=now,
                        type=EventType.THRESHOLD_CHANGED,
                        source="learning_loop",
                        message="learned state changed",
                        data={"tag": LogTag.HYPERPARAM.value, "learned": learned.to_dict()},
                    )
                )

    return [("learning_review", timedelta(hours=settings.learning.review_interval_hours), review)]


def vars_of(change: object) -> dict[str, object]:
    return {name: getattr(change, name) for name in getattr(change, "__slots__", ())}
