"""Simulator scenarios through the whole engine: each tactical setup's entries (S-BTC-L, S-BTC-S, S-SOL-FADE,
S-XRP-SQ), TRUE TREND holds (P-HOLD-1, P-HOLD-2) and wall-adjusted targets (P-WALL-1), visible in the store
and in `bigalpha report`.

The intelligence gate's blocking guards are switched off (as the backtester's ablation does) so that each
scenario measures the setup and the risk gate, not whether the simulated flow happens to pass the guards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bigalpha.clock import SimulatedClock
from bigalpha.config import Settings, load_settings
from bigalpha.domain import EventType, Mode
from bigalpha.engine.build import SimOptions, build_engine, sim_feed, strategies
from bigalpha.reporting import report_data
from bigalpha.store import Store

pytestmark = pytest.mark.slow

UNTIL = datetime(2025, 1, 1, 17, tzinfo=UTC)
BLOCKING_GUARDS = ("whale_conflict", "liq_wall", "long_trap", "taker_aggression", "whale_intent", "fee_aware")


def _settings(tmp: Path, symbol: str) -> Settings:
    env = {"BIGALPHA__STORE__DATA_DIR": str(tmp), "BIGALPHA__DATA__SYMBOLS": f'["{symbol}"]'}
    env.update({f"BIGALPHA__GATE__GUARDS__{guard.upper()}": "false" for guard in BLOCKING_GUARDS})
    return load_settings(env=env)


def _run(tmp: Path, scenario: str, symbol: str, strategy: str) -> tuple[Settings, dict[str, object]]:
    settings = _settings(tmp, symbol)
    chosen = [s for s in strategies(settings) if s.name == strategy]
    assert chosen, f"no strategy {strategy}"
    feed = sim_feed(settings, SimOptions(symbols=(symbol,), days=1, scenario=scenario), speed=None)
    built = build_engine(
        settings,
        Mode.PAPER,
        feed,
        clock=SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC)),
        checkpoint_every=60,
        chosen_strategies=chosen,
    )
    built.engine.start()
    built.engine.run(feed, until=UNTIL)
    data = report_data(built.store, events=100_000)
    built.store.close()
    return settings, data


@pytest.mark.parametrize(
    ("scenario", "symbol", "strategy", "size", "stop_pct", "targets_pct", "refusals"),
    [
        # S-BTC-L: 0.7×, stop 28 bps (35 if the book thins), targets +25 / +50 / +90 bps
        ("flush_reclaim", "BTC", "s-btc-l", 0.7, (0.0028, 0.0035), (0.0025, 0.005, 0.009), ()),
        # S-BTC-S: 0.5×, stop 30 bps, targets +25 / +45 / +80; R-T-2 refuses shorts while funding diverges
        ("fail_break", "BTC", "s-btc-s", 0.5, (0.003,), (0.0025, 0.0045, 0.008), ("FUNDING_DIVERGENCE_LONG_BIAS",)),
        # S-SOL-FADE: 0.6× (halved under elevated Jito tips), stop 35 bps (45 when Jito is elevated)
        ("fee_spike", "SOL", "s-sol-fade", (0.6, 0.3), (0.0035, 0.0045), None, ("SHORT_SHARE_TOO_HIGH",)),
        # S-XRP-SQ: dip scalps long only, stop 22 bps
        ("squeeze", "XRP", "s-xrp-sq", 0.5, (0.0022,), None, ()),
    ],
)
def test_setup_scenario_end_to_end(
    tmp_path: Path,
    scenario: str,
    symbol: str,
    strategy: str,
    size: float | tuple[float, ...],
    stop_pct: tuple[float, ...],
    targets_pct: tuple[float, ...] | None,
    refusals: tuple[str, ...],
) -> None:
    """S-BTC-L / S-BTC-S / S-SOL-FADE / S-XRP-SQ: the scenario's event produces the setup's signal with its
    size, stop and targets; it is either taken (a position with that stop, in the report) or refused by the
    risk rule the scenario's positioning triggers (in the report's refusals)."""
    _, data = _run(tmp_path, scenario, symbol, strategy)
    store = Store.open(_settings(tmp_path, symbol))
    try:
        signals = [s for s in store.signals(limit=10_000) if s.strategy == strategy]
        assert signals, f"{scenario} produced no {strategy} signal"
        sizes = size if isinstance(size, tuple) else (size,)
        for signal in signals:
            assert signal.size_multiplier in sizes
            assert signal.stop_pct in stop_pct
            if targets_pct is not None:
                assert signal.targets_pct == targets_pct
        positions = [*store.closed_positions(), *store.open_positions()]
    finally:
        store.close()
    summary = data["summary"]
    assert isinstance(summary, dict)
    if positions:
        reported = {t["position_id"] for t in data["trades"]} | {p["position_id"] for p in data["open_positions"]}  # type: ignore[union-attr, index]
        assert {p.id for p in positions} <= reported
        for position in positions:
            distance = abs(position.entry_price - position.stop_price) / position.entry_price
            assert min(stop_pct) * 0.9 <= float(distance) <= max(stop_pct) * 1.1  # planned from the signal's price
    else:
        assert refusals, f"{scenario}: no entry and no expected refusal"
        assert set(summary["refused_by"]) & set(refusals)  # type: ignore[arg-type]


def test_xrp_scalps_end_at_their_max_hold(tmp_path: Path) -> None:
    """S-XRP-SQ: dip scalps are held 45–60 s; a scalp that reaches neither its stop nor its target is closed
    by the exit policy at the first bar past 60 s (1-minute bars: one bar after entry)."""
    _run(tmp_path, "squeeze", "XRP", "s-xrp-sq")
    store = Store.open(_settings(tmp_path, "XRP"))
    try:
        scalps = [p for p in store.closed_positions() if p.strategy == "s-xrp-sq"]
    finally:
        store.close()
    assert scalps
    for scalp in scalps:
        held = (scalp.closed_at - scalp.opened_at).total_seconds() if scalp.closed_at else None
        assert held is not None
        assert scalp.exit_reason in ("max-hold", "stop", "tier-1")
        if scalp.exit_reason == "max-hold":
            assert 60 <= held <= 120


def test_true_trend_holds_show_in_the_store_and_report(tmp_path: Path) -> None:
    """P-HOLD-1 / P-HOLD-2 through the engine: in a trending market drifting toward a short-liquidation cluster,
    TRUE TREND positions have Tier-1 exits blocked, and the blocks are events the report lists."""
    _, data = _run(tmp_path, "trend_with_cluster_above", "BTC", "alpha_ofi")
    events = data["events"]
    assert isinstance(events, list)
    blocked = [e for e in events if e["type"] == EventType.EXIT_BLOCKED_BY_HOLD.value]
    assert blocked
    for event in blocked:
        assert event["data"]["hold_minutes"] in (45, 75, 90)
        assert event["data"]["remaining_minutes"] > 0


def test_wall_adjusted_targets_show_in_the_store_and_report(tmp_path: Path) -> None:
    """P-WALL-1 through the engine: with a $40M ask wall 1.5% above price, long Tier-4 targets move to
    wall × 0.999, and each move is an event with the wall's evidence."""
    _, data = _run(tmp_path, "wall_below_target", "BTC", "alpha_ofi")
    events = data["events"]
    assert isinstance(events, list)
    moved = [e for e in events if e["type"] == EventType.TARGET_ADJUSTED.value]
    assert moved
    for event in moved:
        evidence = event["data"]
        wall = float(evidence["wall_price"])
        assert float(evidence["wall_usd"]) > 25_000_000
        assert abs(float(evidence["new_target"]) - wall * 0.999) <= wall * 1e-6
