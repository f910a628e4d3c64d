"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import sys
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


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test marked `no_cover` runs with no tracer on its thread. Marked are the tests whose cost is volume, not
    reach: the 10,000-example risk properties, and the run-equality tests at scale (a backtest shown only some bars
    against one shown every bar, an engine's week): tracing doubled their time, and the suite's other tests reach
    the lines they reach. pytest-cov pauses its measurement for such a test,
    but in an xdist worker a second coverage collector sits beneath pytest-cov's, and coverage resumes it on the
    test's thread when pytest-cov's stops: the 10,000-example risk properties ran traced, twice as slow. This
    wrapper runs inside pytest-cov's (trylast), takes whatever tracer is left off the thread, and puts it back."""
    if item.get_closest_marker("no_cover") is None:
        return (yield)
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        return (yield)
    finally:
        sys.settrace(tracer)
