"""The command-line program starts without the heavy libraries only some commands need: every command pays for
what the program imports at start, and the emergency ones (`bigalpha kill-switch trip`, `bigalpha flatten`)
should answer at once. Each heavy library is imported where it is used (`benchmarks/bench_cli.py` times it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Libraries the start of the program must not import: the numerical and data stacks of the indicators, backtests
# and the simulator; the exchanges' and data sources' clients; the optimizer and the reports.
HEAVY = ("scipy", "numba", "llvmlite", "pandas", "pyarrow", "ccxt", "httpx", "optuna", "plotly", "alembic")


def _loaded_after(statement: str) -> set[str]:
    """The top-level packages loaded in a fresh interpreter by `statement`."""
    probe = f"import sys\n{statement}\nprint(' '.join(sorted({{name.partition('.')[0] for name in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "statement",
    [
        "import bigalpha.cli",
        # what `bigalpha kill-switch status` and the other risk commands import before they open the store
        "import bigalpha.cli.risk_cmd, bigalpha.risk.kill_switch, bigalpha.risk.rebuild, bigalpha.bus",
    ],
)
def test_the_program_starts_without_the_heavy_libraries(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "bigalpha" in loaded
    assert not loaded & set(HEAVY), f"{statement!r} imported {sorted(loaded & set(HEAVY))}"


def test_the_indicators_import_scipy_at_their_first_estimate() -> None:
    """The Hurst estimator still reaches SciPy's FFT when it estimates (and gives a number)."""
    loaded = _loaded_after(
        "import numpy as np\n"
        "from bigalpha.indicators.hurst import hurst_exponent\n"
        "assert 0 < hurst_exponent(np.cumprod(1 + np.random.default_rng(0).normal(0, 0.01, 101)) * 100) < 1"
    )
    assert "scipy" in loaded
