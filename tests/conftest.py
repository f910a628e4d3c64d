"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI draws every property's examples the same way each run, so a red build is the change's and never a new draw's;
# `make test` elsewhere keeps drawing new ones (and replays the failures it found, from .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = PROJECT_ROOT.parent / "shared"


def _shared_subdir(*parts: str) -> Path:
    path = SHARED_DIR.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"{path} is absent: it holds third-party data that a user's clone does not have")
    return path


@pytest.fixture
def market_fixtures() -> Path:
    """Real market data in ../shared/fixtures/market (skips when absent)."""
    return _shared_subdir("fixtures", "market")


@pytest.fixture
def coinglass_fixtures() -> Path:
    """Documented CoinGlass V4 response shapes in ../shared/fixtures/coinglass (skips when absent)."""
    return _shared_subdir("fixtures", "coinglass")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL to a fresh database on a throw-away PostgreSQL server (skips where unavailable)."""
    from postgres_server import postgres_server, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server() as url:
        yield url
