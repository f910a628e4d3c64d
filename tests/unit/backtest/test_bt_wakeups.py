"""The first bar that can change a shadow (L-SHADOW-1 in a backtest): a level touched exactly counts, a gap
counts, and the scan errs on the side of showing a bar (P-STOP-1, P-LADDER-1, L-MP-1)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.market import Lane
from bigalpha.backtest.wakeups import PositionWakeups, ShadowWakeups, Waker, first_touch
from bigalpha.config.positions import HoldConfig, PositionsConfig
from bigalpha.domain import AccountName, Position, PositionId, Side, Symbol
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.learning.shadow import Shadow

NAN = math.nan


def _bars(rows: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    open_, high, low = (np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))
    return open_, high, low


FLAT = [(100.0, 100.5, 99.5)] * 5


@pytest.mark.parametrize(
    ("rows", "sign", "stop", "target", "expected"),
    [
        (FLAT, 1, 99.0, 101.0, 5),  # nothing reached: end
        ([*FLAT[:2], (100.0, 100.5, 99.0), *FLAT[:2]], 1, 99.0, 101.0, 2),  # P-STOP-1: the low reaches the stop
        ([*FLAT[:3], (98.0, 98.5, 97.5), *FLAT[:1]], 1, 99.0, 101.0, 3),  # P-STOP-1: a gap through the stop
        ([*FLAT[:1], (100.0, 101.0, 99.5), *FLAT[:3]], 1, 99.0, 101.0, 1),  # P-LADDER-1: high reaches the target
        ([*FLAT[:4], (100.0, 100.5, 98.9)], 1, 99.0, NAN, 4),  # no target left: the stop alone
        ([*FLAT[:2], (100.0, 101.0, 99.5), *FLAT[:2]], -1, 101.0, 99.0, 2),  # short: the high reaches the stop
        ([*FLAT[:3], (100.0, 100.5, 99.0), *FLAT[:1]], -1, 101.0, 99.0, 3),  # short: the low reaches the target
    ],
)
def test_first_touch_finds_the_first_bar_reaching_a_level(
    rows: list[tuple[float, float, float]], sign: int, stop: float, target: float, expected: int
) -> None:
    open_, high, low = _bars(rows)
    assert first_touch(open_, high, low, 0, len(rows), sign, stop, target, NAN, True) == expected


def test_first_touch_sees_the_max_pain_from_either_side() -> None:
    """L-MP-1: the first hit is recorded on the bar reaching max pain, above the entry by the high, below by the low."""
    open_, high, low = _bars([*FLAT[:2], (100.0, 100.8, 99.2), *FLAT[:2]])
    assert first_touch(open_, high, low, 0, 5, 1, 90.0, 110.0, 100.8, True) == 2
    assert first_touch(open_, high, low, 0, 5, 1, 90.0, 110.0, 99.2, False) == 2
    assert first_touch(open_, high, low, 0, 5, 1, 90.0, 110.0, 100.9, True) == 5


def test_first_touch_starts_and_ends_where_asked() -> None:
    open_, high, low = _bars([(100.0, 100.5, 98.0), *FLAT[:4]])
    assert first_touch(open_, high, low, 1, 5, 1, 99.0, 101.0, NAN, True) == 5
    assert first_touch(open_, high, low, 1, 3, 1, 99.0, 101.0, NAN, True) == 3


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(90, 110, allow_nan=False), st.floats(0, 5, allow_nan=False), st.floats(0, 5, allow_nan=False)
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([1, -1]),
    st.floats(0.5, 15, allow_nan=False),
    st.floats(0.5, 15, allow_nan=False),
)
def test_no_bar_before_the_one_found_reaches_a_level(
    raw: list[tuple[float, float, float]], sign: int, stop_gap: float, target_gap: float
) -> None:
    """The scan never skips a bar the exit policy would act on: every bar before the one found is clear of the
    stop and the target, compared as `evaluate_exits` compares them."""
    rows = [(o, o + up, o - down) for o, up, down in raw]
    open_, high, low = _bars(rows)
    stop = 100.0 - sign * stop_gap
    target = 100.0 + sign * target_gap
    found = first_touch(open_, high, low, 0, len(rows), sign, stop, target, NAN, True)
    for j in range(found):
        adverse, favourable = (low[j], high[j]) if sign > 0 else (high[j], low[j])
        assert sign * (open_[j] - stop) > 0
        assert sign * (adverse - stop) > 0
        assert sign * (favourable - target) < 0
    if found < len(rows):
        adverse, favourable = (low[found], high[found]) if sign > 0 else (high[found], low[found])
        touched = sign * (open_[found] - stop) <= 0 or sign * (adverse - stop) <= 0 or sign * (favourable - target) >= 0
        assert touched or math.isclose(favourable, target, rel_tol=1e-8) or math.isclose(adverse, stop, rel_tol=1e-8)


def _lane(rows: list[tuple[float, float, float]]) -> Lane:
    open_, high, low = _bars(rows)

    def arrays(threshold: float) -> SnapshotArrays:
        raise AssertionError(f"not read here ({threshold})")

    return Lane(Symbol("ETH"), np.arange(len(rows), dtype=np.int64), open_, high, low, open_.copy(), arrays)


def _shadow(*, state: dict[str, object], targets: list[float] | None = None) -> Shadow:
    return Shadow(
        id="shd-1",
        signal_id="sig-1",
        symbol="ETH",
        side="LONG",
        strategy="alpha_ofi",
        blocked_by=None,
        taken=True,
        position_id=None,
        opened_at=datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        entry_price=100.0,
        stop_price=99.0,
        targets=targets if targets is not None else [101.0, 102.0],
        state=state,
    )


MINUTE_NS = 60_000_000_000
START_NS = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000


def _wakeups(rows: list[tuple[float, float, float]], hold: HoldConfig | None = None) -> ShadowWakeups:
    lane = _lane(rows)
    tick_ns = START_NS + MINUTE_NS * (1 + np.arange(len(rows), dtype=np.int64))
    return ShadowWakeups(Waker({Symbol("ETH"): lane}, tick_ns, len(rows), PositionsConfig(hold=hold or HoldConfig())))


def test_a_shadow_wakes_on_the_bar_that_reaches_its_next_target() -> None:
    rows = [*FLAT[:3], (100.0, 101.0, 99.5), *FLAT[:2]]
    wakeups = _wakeups(rows)
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": _shadow(state={"exit_state": {}})})
    assert wakeups.earliest() == 3
    assert wakeups.due(2) == set()
    assert wakeups.due_ids(3) == {"shd-1"}


TREND_META = {"hurst": 0.6, "regime": "trending", "true_trend": True, "max_pain_at_entry": None}


def test_a_true_trend_shadow_wakes_before_its_shortest_hold_runs_out() -> None:
    """P-HOLD-1: nothing is released before the shortest level (45 min by default); the hold's last
    `toward_cluster_bars` closes are shown first, so it judges the release on the closes it would hold."""
    wakeups = _wakeups(FLAT * 12)  # 60 bars closing at 00:01 … 01:00
    holding = _shadow(state={"exit_state": {"released": False}, "meta": _meta(TREND_META)})
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": holding})
    # 45 minutes have passed at the bar closing 00:45 (index 44); it is shown from 3 bars before
    assert wakeups.earliest() == 44 - HoldConfig().toward_cluster_bars
    wakeups.after_tick(41, [Symbol("ETH")], {"shd-1": holding})
    assert wakeups.earliest() == 42  # then every bar until the hold is served
    served = _shadow(state={"exit_state": {"released": True}, "meta": _meta(TREND_META)})
    wakeups.after_tick(45, [Symbol("ETH")], {"shd-1": served})
    assert wakeups.earliest() == 60  # nothing reached after the release: never


def test_a_held_shadow_wakes_before_a_level_is_touched() -> None:
    """A target reached during the hold (P-HOLD-2 blocks tier 1 and records it at the level in force)."""
    rows = [*FLAT * 2, (100.0, 101.0, 99.5), *FLAT * 10]  # bar 10 reaches the first target
    wakeups = _wakeups(rows)
    holding = _shadow(state={"exit_state": {"released": False}, "meta": _meta(TREND_META)})
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": holding})
    assert wakeups.earliest() == 10 - HoldConfig().toward_cluster_bars


def test_a_shadow_entered_far_from_max_pain_wakes_before_its_shorter_level() -> None:
    """P-HOLD-1: far from max pain (more than 2%), the levels are 90 (toward a cluster) or 75 minutes."""
    wakeups = _wakeups(FLAT * 20)  # 100 bars
    far = {**TREND_META, "max_pain_at_entry": 90.0}  # entry 100: 10% away
    holding = _shadow(state={"exit_state": {"released": False}, "meta": _meta(far)})
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": holding})
    assert wakeups.earliest() == 74 - HoldConfig().toward_cluster_bars


def test_a_zero_minute_hold_level_wakes_a_held_shadow_at_once() -> None:
    wakeups = _wakeups(FLAT * 12, HoldConfig(base_minutes=0))
    holding = _shadow(state={"exit_state": {"released": False}, "meta": _meta(TREND_META)})
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": holding})
    assert wakeups.earliest() == 1


def test_a_max_hold_wakes_the_shadow_on_the_bar_it_runs_out() -> None:
    """S-XRP-SQ's max hold: the bar at which the time is up, even if no level is touched."""
    wakeups = _wakeups(FLAT)
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": _shadow(state={"exit_state": {"max_hold_s": 150.0}})})
    # opened at 00:00, bars close at 00:01, 00:02, 00:03 …: 150 s have passed at the bar of 00:03 (index 2)
    assert wakeups.earliest() == 2


def test_a_completed_ladder_with_a_remainder_wakes_at_once() -> None:
    wakeups = _wakeups(FLAT)
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": _shadow(state={"exit_state": {}, "tiers_done": 2})})
    assert wakeups.earliest() == 1


def test_a_closed_shadow_no_longer_wakes() -> None:
    rows = [*FLAT[:3], (100.0, 101.0, 99.5), *FLAT[:2]]
    wakeups = _wakeups(rows)
    wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": _shadow(state={"exit_state": {}})})
    wakeups.after_tick(3, [Symbol("ETH")], {})
    assert wakeups.earliest() == len(rows)


def test_only_the_judged_and_the_new_shadows_are_looked_at_again() -> None:
    """After a tick the engine was told to judge only the due shadows, the others' wake-ups stand (they are
    unchanged and not yet due) and a shadow opened on the tick gets one: the same wake-ups as looking at all."""
    rows = [*FLAT[:3], (100.0, 101.0, 99.5), *FLAT * 2, (100.0, 100.5, 98.9)]  # bar 3: a target; bar 14: the stop
    first, far = _shadow(state={"exit_state": {}}), _shadow(state={"exit_state": {}}, targets=[110.0])
    far = replace(far, id="shd-2")
    selective, looking_at_all = _wakeups(rows), _wakeups(rows)
    for wakeups in (selective, looking_at_all):
        wakeups.after_tick(0, [Symbol("ETH")], {"shd-1": first, "shd-2": far})
    assert selective.due_ids(3) == {"shd-1"}  # shd-2 wakes at its stop, bar 14
    advanced = replace(first, state={"exit_state": {}, "tiers_done": 1})
    opened = replace(far, id="shd-3")
    after = {"shd-1": advanced, "shd-2": far, "shd-3": opened}
    selective.after_tick(3, [Symbol("ETH")], after, judged={"shd-1"})
    looking_at_all.after_tick(3, [Symbol("ETH")], after)
    for i in range(len(rows)):
        assert selective.due_ids(i) == looking_at_all.due_ids(i), i
    assert selective.due_ids(13) == set()
    assert selective.due_ids(14) == {"shd-1", "shd-2", "shd-3"}


def _meta(values: dict[str, object]) -> dict[str, object]:
    return {
        "hurst": values["hurst"],
        "regime": values["regime"],
        "true_trend": values["true_trend"],
        "oi_delta_5m_at_entry": 1_000.0,
        "max_pain_at_entry": values["max_pain_at_entry"],
        "nearest_cluster_price": None,
        "nearest_cluster_usd": None,
        "verdict_evidence": [],
    }


def _position(
    position_id: str, *, quantity: str = "1", stop: str = "99", targets: tuple[str, ...] = ("101", "102")
) -> Position:
    return Position(
        id=PositionId(position_id),
        symbol=Symbol("ETH"),
        side=Side.LONG,
        account=AccountName("hot"),
        opened_at=datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        entry_price=Decimal(100),
        quantity=Decimal(quantity),
        initial_quantity=Decimal(quantity),
        leverage=3,
        margin=Decimal(33),
        stop_price=Decimal(stop),
        targets=tuple(Decimal(t) for t in targets),
    )


def _position_wakeups(rows: list[tuple[float, float, float]]) -> PositionWakeups:
    tick_ns = START_NS + MINUTE_NS * (1 + np.arange(len(rows), dtype=np.int64))
    return PositionWakeups(Waker({Symbol("ETH"): _lane(rows)}, tick_ns, len(rows), PositionsConfig()))


QUIET = [(100.0, 100.4, 99.6)] * 8


def test_a_position_wakes_on_the_bar_that_reaches_its_stop_and_is_quiet_before() -> None:
    """P-STOP-1: a position is judged where `evaluate_exits` can act on it, and nowhere else, unless an order of its
    own waits for a fill."""
    rows = [*QUIET[:4], (100.0, 100.4, 99.0), *QUIET[:3]]
    wakeups = _position_wakeups(rows)
    wakeups.after_tick(0, [_position("pos-1")], {}, None, quiet=())
    assert wakeups.earliest() == 4
    assert wakeups.quiet(3, pending=()) == {"pos-1"}
    assert wakeups.quiet(3, pending={"pos-1"}) == set()
    assert wakeups.quiet(4, pending=()) == set()
    assert wakeups.due(4) == {Symbol("ETH")}
    wakeups.after_tick(4, [], {}, None, quiet=())
    assert wakeups.earliest() == len(rows)  # closed: never again


def test_a_position_wakes_where_its_loss_can_trip_the_session_drawdown() -> None:
    """R-K-1: with 0.7 USD of unrealized loss left before the kill switch trips, a one-unit long from 100 is shown
    from the first bar that reaches 99.3, before its stop at 99."""
    rows = [*QUIET[:2], (100.0, 100.4, 99.3), *QUIET[:2], (100.0, 100.4, 99.0), *QUIET[:2]]
    wakeups = _position_wakeups(rows)
    wakeups.after_tick(0, [_position("pos-1")], {}, Decimal("-0.7"), quiet=())
    assert wakeups.earliest() == 2
    wakeups.after_tick(0, [_position("pos-1")], {}, None, quiet={"pos-1"})  # the switch tripped: the stop alone
    assert wakeups.earliest() == 5


def test_two_positions_each_wake_where_their_share_of_the_floor_is_lost() -> None:
    """R-K-1 over k positions: their total loss passes the floor only if one of them loses a k-th of it, so with a
    floor of −1 USD two one-unit longs from 100 are shown from the first bar reaching 99.5, not 99."""
    rows = [*QUIET[:3], (100.0, 100.4, 99.45), *QUIET[:4]]
    wakeups = _position_wakeups(rows)
    one, two = _position("pos-1"), _position("pos-2")
    wakeups.after_tick(0, [one], {}, Decimal(-1), quiet=())
    assert wakeups.earliest() == len(rows)  # alone, its loss never reaches 1 USD on these bars
    wakeups.after_tick(0, [one, two], {}, Decimal(-1), quiet={"pos-1"})  # a second position: the level is redone
    assert wakeups.earliest() == 3
    assert wakeups.quiet(3, pending=()) == set()
