"""L-OPT-2's search space and the trials' settings: what the optimizer may search, and how a trial's values
become settings (validated like the config file)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.optimize import Bound, SpaceError, config_snippet, optimize, search_space
from bigalpha.backtest.results import BacktestResult, TradeRecord
from bigalpha.config import Settings, load_settings
from bigalpha.config.learning import LearningConfig
from bigalpha.config.overrides import OverrideError, setting_value, with_overrides

_WHOLE_NUMBERS = {
    "gate.golden_hour_start_utc",
    "gate.golden_hour_end_utc",
    "positions.hold.base_minutes",
    "positions.hold.far_from_max_pain_minutes",
    "positions.hold.toward_cluster_minutes",
    "positions.hold.toward_cluster_bars",
}


def test_the_configured_space_is_the_gate_and_exit_thresholds() -> None:
    """L-OPT-2: every range of `learning.optuna_space` names a numeric gate or exit threshold the settings take at
    both ends; a whole-number setting is searched over whole numbers; every tier of the ladder is searched."""
    settings = Settings()
    space = search_space(settings, settings.learning.optuna_space)
    assert {b.key.split(".")[0] for b in space} == {"gate", "positions"}
    assert Bound("positions.hold.base_minutes", 15.0, 60.0, integer=True) in space
    assert {b.key for b in space if b.integer} == _WHOLE_NUMBERS
    tiers = len(settings.positions.ladder.targets)
    assert {f"positions.ladder.targets[{i}]" for i in range(tiers)} <= {b.key for b in space}


_CONFIGURED = search_space(Settings(), Settings().learning.optuna_space)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_no_proposal_of_the_configured_space_breaks_a_rule_between_settings(data: st.DataObject) -> None:
    """The tiers' ranges and the holds' lie between their neighbours': any values inside them (TPE's proposals) make
    a rising ladder and keep P-HOLD-1's priority, so no trial of the configured space is pruned."""
    base = Settings()
    values: dict[str, float] = {}
    for bound in _CONFIGURED:
        if bound.integer:
            values[bound.key] = data.draw(st.integers(int(bound.low), int(bound.high)), label=bound.key)
        else:  # inside the range: two neighbours' ranges share an end, where equal tiers would be refused
            values[bound.key] = data.draw(
                st.floats(bound.low, bound.high, exclude_min=True, exclude_max=True), label=bound.key
            )
    chosen = with_overrides(base, values)
    assert chosen.positions.ladder.targets == [values[f"positions.ladder.targets[{i}]"] for i in range(4)]


def test_an_item_of_a_list_setting_is_named_by_its_index() -> None:
    """`name[i]` reads and sets one item of a list setting, the rest of the list kept; a key past the list's end,
    or an index on a setting that is no list, is refused naming both."""
    base = Settings()
    assert setting_value(base, "positions.ladder.targets[1]") == 0.01
    changed = with_overrides(base, {"positions.ladder.targets[1]": "0.012"})
    assert changed.positions.ladder.targets == [0.005, 0.012, 0.015, 0.02]
    assert setting_value(changed, "risk.stale_checked_feeds[0]", mode="json") == base.risk.stale_checked_feeds[0]
    for key, message in [
        (
            "positions.ladder.targets[4]",
            "positions.ladder.targets[4]: positions.ladder.targets has 4 items, [0] to [3]",
        ),
        ("gate.liq_wall_pct[0]", "gate.liq_wall_pct[0]: gate.liq_wall_pct is not a list, so it has no item [0]"),
        ("gate.nope[0]", "unknown setting 'gate.nope'"),
    ]:
        with pytest.raises(OverrideError) as caught:
            setting_value(base, key)
        assert message in str(caught.value)
    with pytest.raises(OverrideError, match=r"Tier-1 target 0\.005 must be below Tier-2 target 0\.004"):
        with_overrides(base, {"positions.ladder.targets[1]": 0.004})
    # in order: the whole list first, then one of its items
    both = with_overrides(base, {"positions.ladder.targets": [0.01, 0.02], "positions.ladder.fractions": [0.5, 0.5],
                                 "positions.ladder.targets[1]": 0.03})  # fmt: skip
    assert both.positions.ladder.targets == [0.01, 0.03]


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({}, "the search space is empty"),
        ({"gate.nope": [1, 2]}, "gate.nope: unknown setting 'gate.nope'"),
        ({"gate.guards.golden_hour": [0, 1]}, "holds numeric settings; gate.guards.golden_hour is True"),
        ({"positions.ladder.targets": [0, 1]}, "name one item, e.g. positions.ladder.targets[0]"),
        ({"positions.ladder.targets[9]": [0, 1]}, "positions.ladder.targets has 4 items, [0] to [3]"),
        ({"risk.stale_checked_feeds[0]": [0, 1]}, "holds numeric settings; risk.stale_checked_feeds[0] is"),
        ({"positions.ladder.targets[1]": [0.003, 0.012]}, "positions.ladder.targets[1]=0.003 (an end of its range)"),
        ({"gate.taker_min_ratio": [1.0]}, "give a range as two numbers"),
        ({"gate.taker_min_ratio": [1.5, 1.0]}, "the range 1.5..1 is empty; the low end comes first"),
        ({"positions.hold.base_minutes": [15, 30.5]}, "is a whole number: its range 15..30.5 must be too"),
        (
            {"gate.fear_greed_above": [60, 120]},
            "gate.fear_greed_above=120 (an end of its range): gate.fear_greed_above",
        ),
        ({"positions.hold.base_minutes": [15, 80]}, "positions.hold.base_minutes=80 (an end of its range)"),
    ],
)
def test_a_space_the_settings_cannot_take_is_refused_naming_the_key(
    bounds: dict[str, list[float]], message: str
) -> None:
    with pytest.raises(SpaceError) as caught:
        search_space(Settings(), bounds)
    assert message in str(caught.value)


def test_overrides_set_settings_by_dotted_key_and_validate_them_together() -> None:
    settings = Settings()
    changed = with_overrides(settings, {"gate.taker_min_ratio": "1.3", "positions.hold.base_minutes": 30})
    assert (changed.gate.taker_min_ratio, changed.positions.hold.base_minutes) == (1.3, 30)
    assert setting_value(changed, "positions.hold.base_minutes") == 30
    assert settings.gate.taker_min_ratio == 1.1  # a copy: the given settings are unchanged
    with pytest.raises(OverrideError, match=r"unknown setting 'gate\.taker'"):
        with_overrides(settings, {"gate.taker": 1})
    with pytest.raises(OverrideError, match="golden_hour"):
        with_overrides(settings, {"gate.golden_hour_start_utc": 17})  # after the window's end (16)


def test_a_configured_range_must_be_a_range() -> None:
    with pytest.raises(ValueError, match=r"optuna_space\['gate.liq_wall_pct'\] = \[0.02, 0.002\]"):
        LearningConfig(optuna_space={"gate.liq_wall_pct": [0.02, 0.002]})


def _result(pnls: list[float]) -> BacktestResult:
    """A backtest result of closed trades with these P&Ls (the figures a trial is judged by)."""
    when = datetime(2025, 1, 1, tzinfo=UTC)
    t = int(when.timestamp()) * 1_000_000_000
    trades = [TradeRecord("ETH", "LONG", when, when, 100.0, 101.0, 1.0, 0.0, 0.0, pnl, "target") for pnl in pnls]
    equity = 1000.0 + np.cumsum([0.0, *pnls])
    return BacktestResult(
        strategy="bot",
        source="test",
        symbols=("ETH",),
        bars=len(equity),
        bar_seconds=60.0,
        starting_equity=1000.0,
        trades=trades,
        equity_ns=t + np.arange(len(equity), dtype=np.int64) * 60_000_000_000,
        equity=equity,
        exposure=0.5,
        elapsed_s=0.01,
    )


def test_trials_are_judged_by_the_objective_refused_combinations_are_pruned_and_thin_ones_are_worthless(
    tmp_path: Path,
) -> None:
    """A trial whose values break a rule between settings (the golden hour's start after its end) is never run; one
    closing fewer than `min_trades` trades is worth −∞; the others are worth their objective."""
    space = search_space(Settings(), {"gate.golden_hour_start_utc": [0, 15], "gate.golden_hour_end_utc": [10, 24]})
    ran: list[tuple[int, int]] = []

    def run(settings: Settings) -> BacktestResult:
        start, end = settings.gate.golden_hour_start_utc, settings.gate.golden_hour_end_utc
        ran.append((start, end))
        # more trades the wider the window; P&L the window's width minus 10
        return _result([float(end - start - 10)] + [0.5] * (end - start - 1))

    outcome = optimize(
        Settings(), run, space, objective="net_pnl", trials=40, study="s", storage=f"sqlite:///{tmp_path}/o.db",
        min_trades=5, seed=3,
    )  # fmt: skip
    assert outcome.ran == 40
    states = {row.state for row in outcome.trials}
    assert states == {"COMPLETE", "PRUNED"}
    for row in outcome.trials:
        start, end = row.params["gate.golden_hour_start_utc"], row.params["gate.golden_hour_end_utc"]
        if start >= end:
            assert row.state == "PRUNED"
            assert "golden_hour" in row.figures["refused"]
            assert (start, end) not in ran
        elif end - start < 5:
            assert row.value == -math.inf
            assert row.figures["worthless"] == f"{end - start} trades closed, fewer than 5"
        else:
            assert row.value == pytest.approx(end - start - 10 + 0.5 * (end - start - 1))
            assert row.figures["trades"] == end - start
    assert outcome.best is not None
    assert outcome.best.value == max(row.value for row in outcome.trials if row.value is not None)
    with pytest.raises(ValueError, match="objective 'alpha'"):
        optimize(Settings(), run, space, objective="alpha", trials=1, study="s", storage=f"sqlite:///{tmp_path}/o.db",
                 min_trades=0)  # fmt: skip


def test_the_best_as_config_tables_loads_as_the_same_settings(tmp_path: Path) -> None:
    """The TOML the optimizer prints for its best, pasted into a config file, gives the settings the trial ran with;
    searched items of a list are written as the whole list, its other items as the run had them."""
    base = with_overrides(Settings(), {"positions.ladder.targets[0]": 0.004})  # a --param fixed for every trial
    params = {
        "gate.taker_min_ratio": 1.1694083670016784,
        "positions.hold.base_minutes": 46,
        "gate.liq_wall_pct": 1e-05,
        "positions.ladder.targets[3]": 0.031,
        "positions.institutional_wall_usd": 84289438.83025043,
        "positions.hold.cluster_max_pct": 0.0475,
        "positions.ladder.targets[1]": 0.0101,
    }
    snippet = config_snippet(base, params)
    assert snippet.startswith(
        "[gate]\ntaker_min_ratio = 1.1694083670016784\nliq_wall_pct = 1e-05\n\n[positions.hold]\n"
    )
    assert "[positions.ladder]\ntargets = [0.004, 0.0101, 0.015, 0.031]\n" in snippet  # the list once
    config = tmp_path / "bigalpha.toml"
    config.write_text(snippet)
    loaded = load_settings(config, env={})
    expected = with_overrides(base, params)
    for key in params:
        assert setting_value(loaded, key) == setting_value(expected, key)
    assert loaded.positions.ladder == expected.positions.ladder
