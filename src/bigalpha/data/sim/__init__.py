"""The market simulator (D-SIM-1): a seeded, deterministic market of USDT-margined perpetuals with
every data kind a `MarketSnapshot` carries. See docs/simulator.md."""

from bigalpha.data.sim.dataset import DatasetError, SimDataset, generate, read_dataset, write_dataset
from bigalpha.data.sim.params import RegimeSegment, SimParams, SymbolParams
from bigalpha.data.sim.scenarios import SCENARIOS, Scenario, UnknownScenarioError, build_scenario

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
