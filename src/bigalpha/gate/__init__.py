"""The intelligence gate (G-* rules): pure guards of (signal, market context, config, learned state).

`evaluate` runs them in order and returns a `Verdict`; `verdict_events` turns its blocks, resizes and
fail-open outcomes into bus events (G-BUS-1). The gate reads nothing and publishes nothing itself.
"""

from bigalpha.gate.chain import BLOCK_ORDER, GATE_ORDER, SIZE_ORDER, evaluate
from bigalpha.gate.events import GATE_SOURCE, GUARD_TAGS, verdict_events
from bigalpha.gate.learned import GateLearnedState

__all__ = [
    "BLOCK_ORDER",
    "GATE_ORDER",
    "GATE_SOURCE",
    "GUARD_TAGS",
    "SIZE_ORDER",
    "GateLearnedState",
    "evaluate",
    "verdict_events",
]
