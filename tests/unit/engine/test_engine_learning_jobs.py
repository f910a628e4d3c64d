"""The learning jobs' shortcuts give what the plain reads would: the whale-tuning history kept in memory is the
stored one (after a restart, a swapped store, a failed write), and the max-pain review reads only the hold states
that can count, with the same report as reading every trade's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bigalpha.bus import SignalBus
from bigalpha.config import Settings, load_settings
from bigalpha.domain import Event, Position, PositionId, Symbol
from bigalpha.engine import learning_jobs as jobs
from bigalpha.engine.book import EXIT_STATE_PREFIX
from bigalpha.engine.learning_jobs import TUNING_HISTORY, TUNING_KEY, learning_jobs
from bigalpha.gate.learned import GateLearnedState
from bigalpha.json_text import dumps
from bigalpha.learning.review import probation_changes, probation_review, symbol_results
from bigalpha.positions import HoldState, max_pain_hit_rate, max_pain_record
from bigalpha.store import Store, StoreTx
from bigalpha.store.tables import PositionRow, StateRow
from store_cases import T0, make_position, make_shadow, make_signal

SETTINGS = load_settings(env={})


def _engine(store: Store) -> SimpleNamespace:
    """What the jobs read of the engine: its store, its bus and the learned state."""
    return SimpleNamespace(store=store, bus=SignalBus(store), learned=GateLearnedState.initial(SETTINGS))


def _tune(holder: SimpleNamespace) -> Callable[[datetime], None]:
    return {name: run for name, _, run in learning_jobs(SETTINGS, lambda: holder.engine)}["whale_threshold_tuning"]


def _open(path: Path) -> Store:
    return Store.open(SETTINGS, url=f"sqlite:///{path}")


def _stored_runs(store: Store) -> list[dict[str, Any]]:
    """The stored runs, read otherwise than by `get_state`: the test counts the job's calls of that."""
    runs: list[dict[str, Any]] = store.get_states([TUNING_KEY])[TUNING_KEY]["runs"]
    return runs


def test_the_tuning_history_is_read_once_per_engine_and_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run stores the stored runs plus its own (the last 200); only an engine's first run reads them, and a new
    engine (a restart) or another store reads what that store holds, whatever this process wrote before."""
    store = _open(tmp_path / "store.db")
    store.set_state(TUNING_KEY, {"runs": [{"at": f"earlier-{n}"} for n in range(TUNING_HISTORY - 2)]}, T0)
    reads: list[str] = []
    get_state = Store.get_state
    monkeypatch.setattr(Store, "get_state", lambda self, key: reads.append(key) or get_state(self, key))
    holder = SimpleNamespace(engine=_engine(store))
    tune = _tune(holder)
    for k in range(1, 5):
        before = _stored_runs(store)
        now = T0 + timedelta(hours=12 * k)
        tune(now)
        after = _stored_runs(store)
        assert after == [*before, after[-1]][-TUNING_HISTORY:]
        assert after[-1]["at"] == now.isoformat()
    assert len(after) == TUNING_HISTORY
    assert _job_reads(reads) == 1

    store.set_state(TUNING_KEY, {"runs": [{"at": "left-by-the-crashed-process"}]}, T0)
    holder.engine = _engine(store)
    tune(T0 + timedelta(days=3))
    assert [run["at"] for run in _stored_runs(store)] == [
        "left-by-the-crashed-process",
        (T0 + timedelta(days=3)).isoformat(),
    ]
    assert _job_reads(reads) == 2

    other = _open(tmp_path / "other.db")
    holder.engine.store, holder.engine.bus = other, SignalBus(other)
    tune(T0 + timedelta(days=4))
    assert [run["at"] for run in _stored_runs(other)] == [(T0 + timedelta(days=4)).isoformat()]
    assert _job_reads(reads) == 3
    store.close()
    other.close()


def test_a_run_whose_write_fails_leaves_the_history_as_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's transaction is rolled back whole: the next run goes on from the runs stored, not the failed one."""
    store = _open(tmp_path / "store.db")
    holder = SimpleNamespace(engine=_engine(store))
    tune = _tune(holder)
    first, failed, third = (T0 + timedelta(hours=12 * k) for k in (1, 2, 3))
    tune(first)

    def failing(tx: StoreTx, event: Event) -> None:
        raise RuntimeError(f"cannot write {event.type}")

    with monkeypatch.context() as patch:
        patch.setattr(StoreTx, "add_event", failing)
        with pytest.raises(RuntimeError, match="cannot write"):
            tune(failed)
    assert [run["at"] for run in _stored_runs(store)] == [first.isoformat()]
    tune(third)
    assert [run["at"] for run in _stored_runs(store)] == [first.isoformat(), third.isoformat()]
    store.close()


def test_the_stored_history_is_the_text_dumps_writes_of_it(tmp_path: Path) -> None:
    """The history is written from each run's text: the stored text is the one `dumps` writes of the stored value,
    runs read back from the store (after a restart) included, whatever values they hold."""
    store = _open(tmp_path / "store.db")
    stored = [{"at": "earlier", "pnl_by_multiplier": {"0.8": 1e-7, "1.0": -12.5}, "n": [1, 2.5, None, "é"]}, {}]
    store.set_state(TUNING_KEY, {"runs": stored}, T0)
    holder = SimpleNamespace(engine=_engine(store))
    tune = _tune(holder)
    for k in range(1, 4):
        tune(T0 + timedelta(hours=12 * k))
        with store.engine.connect() as connection:
            value = connection.execute(select(StateRow.value).where(StateRow.key == TUNING_KEY)).scalar_one()
        assert isinstance(value, dict)
        runs = value["runs"]
        assert runs[:2] == stored
        assert len(runs) == 2 + k
        with store.engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT value FROM state WHERE key = ?", (TUNING_KEY,)).scalar_one()
        assert raw == dumps({"runs": runs})
    store.close()


def _job_reads(reads: list[str]) -> int:
    return reads.count(TUNING_KEY)


# -- the max-pain review (L-MP-1) ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = _open(tmp_path_factory.mktemp("max-pain") / "store.db")
    yield opened
    opened.close()


class _NotingReads:
    """The store, noting the keys of each `get_states`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.asked: list[list[str]] = []

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        self.asked.append(list(keys))
        return self.store.get_states(keys)

    def closed_positions(self, since: datetime | None = None) -> list[Position]:
        return self.store.closed_positions(since)


def _reference_review(store: Store, trades: list[Position], settings: Settings) -> dict[str, object]:
    """The review as it was: every trade's hold state read, each record built from it."""
    records = []
    states = store.get_states([EXIT_STATE_PREFIX + position.id for position in trades])
    for position in trades:
        state = states.get(EXIT_STATE_PREFIX + position.id)
        record = max_pain_record(position, HoldState.from_dict(state) if state else HoldState())
        if record is not None:
            records.append(record)
    rate = max_pain_hit_rate(records)
    return {
        "true_trend_trades": len(records),
        "hit_rate": rate,
        "recommend_raising_magnet_conviction": rate is not None and rate > settings.learning.max_pain_hit_rate,
        "threshold": settings.learning.max_pain_hit_rate,
    }


_TRADES = st.lists(
    st.tuples(
        st.booleans(),  # has metadata
        st.booleans(),  # TRUE TREND
        st.one_of(st.none(), st.floats(min_value=90_000.0, max_value=110_000.0)),  # max pain at entry
        st.one_of(st.none(), st.booleans()),  # no stored hold state, or one with the max pain hit or not
    ),
    max_size=10,
)


@settings(max_examples=60, deadline=None)
@given(trades=_TRADES)
def test_the_max_pain_review_reads_only_the_states_that_count(
    store: Store, trades: list[tuple[bool, bool, float | None, bool | None]]
) -> None:
    """Whether a trade has a max-pain record depends on its metadata only: the states of the others are not read,
    and the report is the one made from every trade's state. A trade's state is read once: the next review reads
    only the trades closed since (a closed position and its exit state are final)."""
    with store.transaction() as tx:
        tx.connection.execute(delete(StateRow))
        tx.connection.execute(delete(PositionRow))
    base = dataclasses.replace(make_position(), signal_id=None)
    positions = []
    for n, (has_meta, true_trend, max_pain, hit) in enumerate(trades):
        meta = (
            dataclasses.replace(base.meta, true_trend=true_trend, max_pain_at_entry=max_pain)
            if has_meta and base.meta is not None
            else None
        )
        closed_at = T0 + timedelta(minutes=n // 2)  # two closes at each instant
        position = dataclasses.replace(
            base, id=PositionId(f"pos-{n}"), meta=meta, quantity=Decimal(0), closed_at=closed_at
        )
        positions.append(position)
        if hit is not None:
            state = HoldState(max_pain_hit=hit, max_pain_hit_at=T0 if hit else None)
            store.set_state(EXIT_STATE_PREFIX + position.id, state.to_dict(), T0)
    counted = [
        EXIT_STATE_PREFIX + p.id
        for p in positions
        if p.meta is not None and p.meta.true_trend and p.meta.max_pain_at_entry is not None
    ]
    half = len(positions) // 2
    engine = SimpleNamespace(store=_NotingReads(store))
    closed = jobs.ClosedTrades(SETTINGS)
    for batch in (positions[:half], positions[half:]):
        with store.transaction() as tx:
            for position in batch:
                tx.save_position(position)
        assert closed.positions(engine) == store.closed_positions()  # type: ignore[arg-type]
        expected = _reference_review(store, store.closed_positions(), SETTINGS)
        assert jobs._max_pain_review(closed.max_pain_records(engine), SETTINGS) == expected  # type: ignore[arg-type]
    asked = [key for keys in engine.store.asked for key in keys]
    assert sorted(asked) == sorted(counted)  # each read once


def test_the_review_pairs_a_trade_held_for_days_with_its_shadow_and_judges_it_once(tmp_path: Path) -> None:
    """L-SHADOW-1: a live trade that closes in the review's window after three days is compared with its shadow,
    opened at its signal three days before (further back than the day the review otherwise reads), and the
    next review leaves the pair alone."""
    store = _open(tmp_path / "store.db")
    review = {name: run for name, _, run in learning_jobs(SETTINGS, lambda: holder.engine)}["learning_review"]
    holder = SimpleNamespace(engine=_engine(store))
    opened, closed = T0 - timedelta(days=3), T0 - timedelta(hours=1)
    with store.transaction() as tx:
        for n, (shadow_return, live_pnl) in enumerate(((0.02, "8.3"), (-0.01, "-8.3"))):
            signal = dataclasses.replace(make_signal(n), ts=opened)
            position = dataclasses.replace(
                make_position(),
                id=PositionId(f"pos-{n}"),
                signal_id=signal.id,
                opened_at=opened,
                quantity=make_position().quantity * 0,
                realized_pnl=Decimal(live_pnl),  # on 415 USD: +2 % and -2 %
                closed_at=closed,
            )
            shadow = make_shadow(signal, blocked_by=None)
            shadow.position_id = position.id
            shadow.closed_at = closed - timedelta(minutes=5)
            shadow.return_pct = shadow_return
            tx.add_signal(signal)
            tx.save_position(position)
            tx.add_shadow(shadow)
    review(T0)
    raised = holder.engine.learned.slippage_bps
    assert raised == {"BTC": SETTINGS.gate.default_slippage_bps + SETTINGS.learning.slippage_step_bps}
    review(T0 + timedelta(hours=4))
    assert holder.engine.learned.slippage_bps == raised
    store.close()


_RESULTS = st.lists(
    st.tuples(
        st.sampled_from(["BTC", "ETH"]),
        st.integers(min_value=0, max_value=23),  # hour opened (golden hour or not)
        st.decimals(min_value=-50, max_value=50, places=2),  # realized P&L
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(trades=_RESULTS)
def test_the_probation_review_reads_each_closed_trade_once_and_judges_as_over_all_of_them(
    store: Store, trades: list[tuple[str, int, Decimal]]
) -> None:
    """L-PROB-1: the review's results per symbol, kept from one run to the next, are those of every trade closed so
    far, and so are its probation changes."""
    with store.transaction() as tx:
        tx.connection.execute(delete(PositionRow))
    base = dataclasses.replace(make_position(), signal_id=None, quantity=Decimal(0))
    positions = [
        dataclasses.replace(
            base,
            id=PositionId(f"pos-{n}"),
            symbol=Symbol(symbol),
            opened_at=T0.replace(hour=hour),
            closed_at=T0 + timedelta(days=1, minutes=n // 3),
            realized_pnl=pnl,
        )
        for n, (symbol, hour, pnl) in enumerate(trades)
    ]
    engine = SimpleNamespace(store=store)
    closed = jobs.ClosedTrades(SETTINGS)
    learned = GateLearnedState.initial(SETTINGS)
    for batch in (positions[: len(positions) // 3], positions[len(positions) // 3 :]):
        with store.transaction() as tx:
            for position in batch:
                tx.save_position(position)
        everything = store.closed_positions()
        assert closed.positions(engine) == everything  # type: ignore[arg-type]
        assert closed.results() == symbol_results(everything, SETTINGS)
        assert probation_changes(closed.results(), learned, SETTINGS) == probation_review(everything, learned, SETTINGS)
