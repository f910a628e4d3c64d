"""Shared simulated markets for the simulator tests: short (days, not months) to keep the suite fast."""

from __future__ import annotations

import pytest

from bigalpha.data.sim import SimDataset, SimParams, generate


@pytest.fixture(scope="session")
def sim_params() -> SimParams:
    return SimParams(seed=7)


@pytest.fixture(scope="session")
def two_days(sim_params: SimParams) -> SimDataset:
    """Two days of every symbol and data kind (seed 7)."""
    return generate(sim_params, 2)


@pytest.fixture(scope="session")
def five_days(sim_params: SimParams) -> SimDataset:
    return generate(sim_params, 5)
