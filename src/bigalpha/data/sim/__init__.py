"""The market simulator (D-SIM-1): a seeded, deterministic market of USDT-margined perpetuals with
every data kind a `MarketSnapshot` carries. See docs/simulator.md.

Names are loaded on first use: the generator compiles Numba code, which commands that only need the
parameters or the scenario list should not pay for at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bigalpha.data.sim.dataset import DatasetError, SimDataset, generate, read_dataset, write_dataset
    from bigalpha.data.sim.params import RegimeSegment, SimParams, SymbolParams
    from bigalpha.data.sim.scenarios import SCENARIOS, Scenario, UnknownScenarioError, build_scenario

_EXPORTS = {
    "DatasetError": "dataset",
    "SimDataset": "dataset",
    "generate": "dataset",
    "read_dataset": "dataset",
    "write_dataset": "dataset",
    "RegimeSegment": "params",
    "SimParams": "params",
    "SymbolParams": "params",
    "SCENARIOS": "scenarios",
    "Scenario": "scenarios",
    "UnknownScenarioError": "scenarios",
    "build_scenario": "scenarios",
}

__all__ = [
    "SCENARIOS",
    "DatasetError",
    "RegimeSegment",
    "Scenario",
    "SimDataset",
    "SimParams",
    "SymbolParams",
    "UnknownScenarioError",
    "build_scenario",
    "generate",
    "read_dataset",
    "write_dataset",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bigalpha.data.sim' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bigalpha.data.sim.{module}"), name)
