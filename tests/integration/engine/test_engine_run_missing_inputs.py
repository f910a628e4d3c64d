"""`bigalpha run` says at its end why entries were refused for inputs the data did not give (R-STALE-1: the risk gate
fails closed), as a backtest does: here a recording of history files, which carry no open interest. Run as a user
runs it, it also closes the recording it writes (the suite turns a file left open into an error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha.backtest.market import sim_market
from bigalpha.cli import app
from bigalpha.data.history import HistoryFeed, load_dir
from bigalpha.data.recording import SnapshotRecorder
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from sim_klines import write_sim_klines


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of simulated ETH bars written as Binance klines, replayed and recorded as a run's feed would be."""
    root = tmp_path_factory.mktemp("run")
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    write_sim_klines(sim_market(dataset, "sim", 5), root / "klines", {"ETH": 1440})
    recorder = SnapshotRecorder(root / "recording")
    for tick in HistoryFeed(load_dir(root / "klines").candles()).ticks():
        recorder.record_tick(tick)
    recorder.close()
    return root / "recording"


def _run(recording: Path, data_dir: Path, *extra: str) -> str:
    env = {
        "BIGALPHA_CONFIG": "",
        "COLUMNS": "200",
        "BIGALPHA__STORE__DATA_DIR": str(data_dir),
        "BIGALPHA__DATA__SYMBOLS": '["ETH"]',
        "BIGALPHA__INDICATORS__OFI_TAKER_WEIGHT": "1.0",  # Alpha-OFI on taker flow alone: no book in history
        "BIGALPHA__RISK__STALE_CHECKED_FEEDS": '["open_interest"]',
        "BIGALPHA__RISK__HEALTH_FACTOR_REQUIRED": "false",
    }
    args = ["run", "--feed", f"recording:{recording}", "--speed", "0", "--no-view", *extra]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_run_ends_with_the_entries_refused_for_missing_inputs(recording: Path, tmp_path: Path) -> None:
    output = " ".join(_run(recording, tmp_path / "text").split())
    assert "the risk gate refused" in output
    assert "entries for inputs the data did not give (it fails closed): R-T-" in output
    assert "R-T-3 oi_change_pct: not in history file" in output
    assert output.endswith("`bigalpha data check` shows which source serves each input")


def test_the_json_summary_counts_them_by_rule_input_and_reason(recording: Path, tmp_path: Path) -> None:
    output = _run(recording, tmp_path / "json", "--json")
    summary = json.loads(output[output.index("{") :])
    assert summary["signals"] > 0
    assert summary["entries"] == 0
    missing = summary["missing_inputs"]
    assert sum(missing.values()) > 0
    assert all(key.startswith(("R-T-3 oi_change_pct", "R-T-1 short_share")) for key in missing), missing
