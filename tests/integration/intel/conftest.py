"""Stand-in servers for the market-intelligence tests: real HTTP on 127.0.0.1, started per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standins"))

from intel_coinglass_standin import CoinGlassStandIn
from intel_standin import StandIn


@pytest.fixture
def server() -> Iterator[StandIn]:
    with StandIn() as standin:
        yield standin


@pytest.fixture
def coinglass(server: StandIn) -> CoinGlassStandIn:
    return CoinGlassStandIn(server, plan="professional")
