"""The learning loop's periodic jobs, run on the engine's clock (L-SHADOW-1, L-GUARD-1, L-PROB-1, L-OPT-1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bigalpha.config import Settings
from bigalpha.domain import Event, EventId, EventType, GuardName, LogTag, new_id
from bigalpha.engine.book import EXIT_STATE_PREFIX
from bigalpha.json_text import JsonText, dumps, json_list_text, json_object_text
from bigalpha.learning.review import (
    SymbolResults,
    add_result,
    guard_effectiveness,
    probation_changes,
    slippage_review,
)
from bigalpha.learning.whale_tuning import WhaleIntentAnswers, adopt, tune_whale_threshold
from bigalpha.positions import HoldState, MaxPainRecord, max_pain_hit_rate, max_pain_record

if TYPE_CHECKING:
    from bigalpha.domain import Position
    from bigalpha.engine.core import Engine
    from bigalpha.store import Store

Job = tuple[str, timedelta, Callable[[datetime], None]]
TUNING_KEY = "learning.whale_tuning"
TUNING_HISTORY = 200  # runs kept in the store; each is also an event


class TuningHistory:
    """The whale-tuning runs kept in the store (`TUNING_KEY`), as last written: each run's JSON text.

    The learning loop is the only writer of that state, so the runs it last wrote are the stored ones: a run
    appends to them without reading back and decoding the whole history each time. The first read by an engine
    comes from the store (a restarted engine goes on from the stored runs, I-PERSIST-1), and so does the first
    after the engine or its store is another object (a restart in the same process).

    A run is kept as the text `dumps` writes of it, made once (when the run is made, or read from the store): the
    history's text is assembled from them (`history_text`), the text `dumps` writes of the whole, without
    encoding up to 200 runs again every 12 hours."""

    def __init__(self) -> None:
        self._source: tuple[Engine, Store] | None = None
        self._texts: list[str] = []

    def appended(self, engine: Engine, run: dict[str, Any]) -> list[str]:
        """The texts of the stored runs with `run` after them, the last `TUNING_HISTORY` (nothing is kept yet:
        hand them to `written` once stored)."""
        if self._source is None or self._source[0] is not engine or self._source[1] is not engine.store:
            runs = (engine.store.get_state(TUNING_KEY) or {}).get("runs", [])
            self._texts = [dumps(stored) for stored in runs]
            self._source = (engine, engine.store)
        return [*self._texts, dumps(run)][-TUNING_HISTORY:]

    def written(self, engine: Engine, texts: list[str]) -> None:
        """The runs of these texts are now stored (their transaction has committed, or been kept in a batched
        store's)."""
        self._texts = texts
        self._source = (engine, engine.store)


class ClosedTrades:
    """The closed positions the 4-hour review reads, kept from one run to the next, with their L-MP-1 records and
    their L-PROB-1 results per symbol.

    A closed position is final: the engine is the only writer of positions and never changes one once it is closed,
    nor its exit state. So a run reads from the store only the positions closed since the latest it holds, and the
    max-pain record of each new one; a long backtest's review no longer reads every trade of the run again every
    4 hours. The first read by an engine comes from the store whole, and so does the first after the engine or its
    store is another object (a restart in the same process)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._source: tuple[Engine, Store] | None = None
        self._positions: list[Position] = []
        self._ids: set[str] = set()
        self._pnls: dict[str, tuple[list[float], list[float]]] = {}  # symbol → (net P&Ls, golden-hour ones)
        self._records: list[MaxPainRecord] = []
        self._recorded = 0  # how many of the positions' records are in `_records`

    def positions(self, engine: Engine) -> list[Position]:
        """Every closed position, by closing time, as `Store.closed_positions` reads them."""
        store = engine.store
        if self._source is None or self._source[0] is not engine or self._source[1] is not store:
            self._source = (engine, store)
            self._positions, self._ids, self._records, self._recorded, self._pnls = [], set(), [], 0, {}
        latest = self._positions[-1].closed_at if self._positions else None
        for position in store.closed_positions(since=latest):
            if position.id not in self._ids:  # closed at the latest instant held: read again, kept once
                self._positions.append(position)
                self._ids.add(position.id)
                pnls, golden = self._pnls.setdefault(position.symbol, ([], []))
                add_result(position, self._settings, pnls, golden)
        return list(self._positions)

    def results(self) -> dict[str, SymbolResults]:
        """`symbol_results` of the positions `positions` read last (a store gives them in closing order)."""
        return {symbol: SymbolResults(list(pnls), list(golden)) for symbol, (pnls, golden) in self._pnls.items()}

    def max_pain_records(self, engine: Engine) -> list[MaxPainRecord]:
        """L-MP-1's record of each TRUE TREND position with a known max pain at entry, among those `positions` read
        last, with the hold state its exit state stored."""
        fresh = self._positions[self._recorded :]
        # Whether a trade has a record depends on its metadata only (TRUE TREND, a known max pain at entry), never on
        # its hold state: only those trades' states are read, most trades' not at all.
        recorded = [position for position in fresh if max_pain_record(position, HoldState()) is not None]
        keys = [EXIT_STATE_PREFIX + position.id for position in recorded]
        states = engine.store.get_states(keys) if keys else {}
        for position in recorded:
            state = states.get(EXIT_STATE_PREFIX + position.id)
            record = max_pain_record(position, HoldState.from_dict(state) if state else HoldState())
            if record is not None:
                self._records.append(record)
        self._recorded = len(self._positions)
        return list(self._records)


def history_text(texts: list[str]) -> JsonText:
    """The stored history `{"runs": [...]}` of runs with these texts: the text `dumps` writes of it."""
    return JsonText(json_object_text([("runs", json_list_text(texts))]))


def learning_jobs(settings: Settings, engine: Callable[[], Engine]) -> list[Job]:
    """The 4-hour review; it reads the store and updates the gate's learned state (persisted by the engine)."""
    history = TuningHistory()
    closed = ClosedTrades(settings)
    answers = WhaleIntentAnswers(settings)  # G-WHALE-3's answers, from one tuning run to the next

    def review(now: datetime) -> None:
        current = engine()
        window_start = now - timedelta(hours=settings.learning.review_interval_hours)
        lookback = window_start - timedelta(days=1)
        closed_shadows = current.store.shadow_outcomes(since=lookback)
        trades = closed.positions(current)
        # L-SHADOW-1 pairs each live trade closed in this window with its shadow, opened at the trade's signal: a
        # trade held longer than the lookback needs its shadow read from further back.
        held_since = min((p.opened_at for p in trades if p.closed_at and p.closed_at > window_start), default=None)
        paired = closed_shadows
        if held_since is not None and held_since - timedelta(days=1) < lookback:
            paired = current.store.shadow_outcomes(since=held_since - timedelta(days=1))
        learned, slippage = slippage_review(paired, trades, current.learned, settings, window_start=window_start)
        learned, probation = probation_changes(closed.results(), learned, settings)
        guards = guard_effectiveness(closed_shadows)
        magnet = _max_pain_review(closed.max_pain_records(current), settings)
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
                        "slippage": [asdict(c) for c in slippage],
                        "probation": probation,
                        "max_pain": magnet,
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

    def tune(now: datetime) -> None:
        """L-OPT-1: the whale threshold tuned over the last trades' shadows; every run is recorded."""
        current = engine()
        # Only the shadows tune_whale_threshold judges (L-OPT-1: taken, or blocked by the whale-intent guard); the
        # others' plans and states, most of the window, are not read at all.
        shadows = current.store.tuning_shadows(
            since=now - timedelta(days=3), taken_or_blocked_by=GuardName.WHALE_INTENT.value
        )
        risks = current.store.verdict_risks([shadow.signal_id for shadow in shadows if shadow.taken])
        notionals: dict[str, Decimal] = {}
        for shadow in shadows:
            approved = (risks.get(shadow.signal_id) or {}).get("notional_usd") if shadow.taken else None
            if approved is not None:
                notionals[shadow.signal_id] = Decimal(str(approved))
        run = tune_whale_threshold(shadows, notionals, current.learned, settings, answers)
        current.learned = adopt(current.learned, run)
        texts = history.appended(current, {"at": now.isoformat(), **run.to_dict()})
        with current.bus.transaction() as tx:
            tx.tx.set_state(TUNING_KEY, history_text(texts), now)
            tx.publish(
                Event(
                    id=EventId(new_id("evt")),
                    ts=now,
                    type=EventType.THRESHOLD_CHANGED
                    if run.adopted_threshold_usd is not None
                    else EventType.LEARNING_REVIEW,
                    source="learning_loop",
                    message=f"whale threshold tuning over {run.trades} trades: {run.reason}",
                    data={"tag": LogTag.HYPERPARAM.value, "rule": "L-OPT-1", **run.to_dict()},
                )
            )
        history.written(current, texts)

    return [
        ("learning_review", timedelta(hours=settings.learning.review_interval_hours), review),
        ("whale_threshold_tuning", timedelta(hours=settings.learning.optimize_interval_hours), tune),
    ]


def _max_pain_review(records: list[MaxPainRecord], settings: Settings) -> dict[str, object]:
    """L-MP-1: the max-pain target hit rate of TRUE TREND trades; above 60% it recommends raising the
    conviction of magnet-aligned trades (a recommendation in the review event; nothing is changed)."""
    rate = max_pain_hit_rate(records)
    recommend = rate is not None and rate > settings.learning.max_pain_hit_rate
    return {
        "true_trend_trades": len(records),
        "hit_rate": rate,
        "recommend_raising_magnet_conviction": recommend,
        "threshold": settings.learning.max_pain_hit_rate,
    }
