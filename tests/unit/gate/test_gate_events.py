"""Bus events of a verdict (G-BUS-1, I-LOG-1, D-FAILOPEN)."""

from __future__ import annotations

import pytest
from gate_factories import CONFIG, LEARNED, PRICE, cluster, make_context, make_signal

from bigalpha.domain import DenyReason, EventType, GuardName, LogTag, Side
from bigalpha.gate import GATE_SOURCE, GUARD_TAGS, evaluate, verdict_events
from bigalpha.indicators.liquidity import ClusterSide


def test_a_block_is_one_event_typed_by_its_reason_with_the_evidence():
    """G-BUS-1: type = the DenyReason, source, guard, symbol, direction, time and evidence numbers."""
    signal = make_signal()
    ctx = make_context(short_clusters=(cluster(PRICE * 1.003, ClusterSide.SHORT_LIQ),))
    verdict = evaluate(signal, ctx, CONFIG, LEARNED)
    [event] = verdict_events(signal, verdict)
    assert event.type is DenyReason.LIQ_WALL_CONFLICT
    assert event.source == GATE_SOURCE == "intelligence_gate"
    assert event.guard is GuardName.LIQ_WALL
    assert event.symbol == "BTC"
    assert event.side is Side.LONG
    assert event.ts == signal.ts
    assert event.data["tag"] == "LIQ"
    assert event.data["evidence"]["distance_pct"] == pytest.approx(0.003)
    assert event.data["evidence"]["cluster_price"] == pytest.approx(PRICE * 1.003)
    assert event.data["signal_id"] == signal.id


def test_resizes_and_fail_opens_are_events_and_plain_allows_are_not():
    """G-BUS-1 + D-FAILOPEN: GUARD_RESIZE per resize, GUARD_DATA_UNAVAILABLE per fail-open naming the data."""
    signal = make_signal()
    ctx = make_context(fear_greed=90.0, long_short_ratio=None, unavailable={"long_short_ratio": "feed down"})
    events = verdict_events(signal, evaluate(signal, ctx, CONFIG, LEARNED))
    kinds = {(e.type, e.guard) for e in events}
    assert kinds == {
        (EventType.GUARD_DATA_UNAVAILABLE, GuardName.LONG_TRAP),
        (EventType.GUARD_RESIZE, GuardName.FEAR_GREED),
    }
    trap = next(e for e in events if e.guard is GuardName.LONG_TRAP)
    assert "feed down" in trap.data["data_unavailable"]
    assert trap.data["tag"] == "TRAP"
    greed = next(e for e in events if e.guard is GuardName.FEAR_GREED)
    assert greed.data["tag"] == "FEAR-GREED"
    assert greed.data["multiplier"] == 0.6
    assert greed.data["evidence"]["fear_greed"] == 90.0


def test_a_clean_verdict_makes_no_events():
    signal = make_signal()
    assert verdict_events(signal, evaluate(signal, make_context(), CONFIG, LEARNED)) == []


def test_event_ids_are_deterministic_per_signal_and_guard():
    """G-BUS-1: replaying a decision yields the same event ids (the store can de-duplicate)."""
    signal = make_signal()
    ctx = make_context(fear_greed=90.0)
    first = verdict_events(signal, evaluate(signal, ctx, CONFIG, LEARNED))
    again = verdict_events(signal, evaluate(signal, ctx, CONFIG, LEARNED))
    assert [e.id for e in first] == [e.id for e in again] == ["evt-sig-test-fear_greed"]


def test_every_guard_has_its_i_log_1_tag():
    """I-LOG-1: each guard logs under a searchable tag; the SPEC's named ones map as the seeds log them."""
    assert set(GUARD_TAGS) == set(GuardName)
    assert GUARD_TAGS[GuardName.LIQ_WALL] is LogTag.LIQ
    assert GUARD_TAGS[GuardName.LONG_TRAP] is LogTag.TRAP
    assert GUARD_TAGS[GuardName.TAKER_AGGRESSION] is LogTag.TAKER
    assert GUARD_TAGS[GuardName.WHALE_INTENT] is LogTag.WHALE_INTENT
    assert GUARD_TAGS[GuardName.FEAR_GREED] is LogTag.FEAR_GREED


def test_events_refuse_a_verdict_of_another_signal():
    signal = make_signal()
    verdict = evaluate(signal, make_context(), CONFIG, LEARNED)
    with pytest.raises(ValueError, match="not sig-other"):
        verdict_events(make_signal(id="sig-other"), verdict)
