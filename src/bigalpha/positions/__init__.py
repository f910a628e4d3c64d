"""Positions and exits (SPEC section 4): TRUE TREND, force-holds, ladder exits, wall-adjusted targets, stops.

Pure functions of a position, a market context, a bar, `now` and the config; the engine persists the
`HoldState` each call returns. See docs/positions.md.
"""

from bigalpha.positions.entry import EntryPlan, entry_meta, plan_entry, verdict_evidence
from bigalpha.positions.exits import ExitAction, ExitDecision, ExitKind, evaluate_exits
from bigalpha.positions.holds import (
    HoldReason,
    HoldState,
    HoldStatus,
    cluster_ahead,
    far_from_max_pain,
    initial_hold_state,
    is_true_trend,
    required_hold,
    update_hold,
)
from bigalpha.positions.ladder import TargetMove, ladder_fractions, ladder_targets, wall_adjusted_targets
from bigalpha.positions.magnet import MaxPainRecord, max_pain_hit_rate, max_pain_reached, max_pain_record

__all__ = [
    "EntryPlan",
    "ExitAction",
    "ExitDecision",
    "ExitKind",
    "HoldReason",
    "HoldState",
    "HoldStatus",
    "MaxPainRecord",
    "TargetMove",
    "cluster_ahead",
    "entry_meta",
    "evaluate_exits",
    "far_from_max_pain",
    "initial_hold_state",
    "is_true_trend",
    "ladder_fractions",
    "ladder_targets",
    "max_pain_hit_rate",
    "max_pain_reached",
    "max_pain_record",
    "plan_entry",
    "required_hold",
    "update_hold",
    "verdict_evidence",
    "wall_adjusted_targets",
]
