"""`bigalpha sim …` (I-CLI-1): generation, scenarios, calibration, and clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha.cli import app
from bigalpha.data.sim import read_dataset

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BIGALPHA"):
            monkeypatch.delenv(name)


def test_sim_writes_a_dataset_and_prints_the_manifest(tmp_path: Path) -> None:
    """D-SIM-1: `bigalpha sim --days 1 --seed 3 --out DIR --json`."""
    out = tmp_path / "ds"
    result = runner.invoke(
        app, ["sim", "--symbols", "BTC,SOL", "--days", "1", "--seed", "3", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["seed"] == 3
    assert manifest["symbols"] == ["BTC", "SOL"]
    dataset = read_dataset(out)
    assert dataset.symbols == ("BTC", "SOL")
    assert dataset.row_counts()["bars"] == 2 * 1440


def test_sim_with_hurst_scenario_and_start(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = [
        "sim",
        "--days",
        "1",
        "--hurst",
        "0.7",
        "--scenario",
        "fee_spike",
        "--start",
        "2025-03-07",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    dataset = read_dataset(out)
    assert dataset.scenario == "fee_spike"
    assert dataset.params.regimes[0].hurst == 0.7
    assert dataset.params.start.isoformat() == "2025-03-07T00:00:00+00:00"
    assert "bars.parquet" in result.stdout


def test_sim_scenarios_lists_every_scenario() -> None:
    result = runner.invoke(app, ["sim", "scenarios", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert {"flush_reclaim", "fail_break", "squeeze", "liquidation_cascade", "fee_spike"} <= set(listed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbols", "BTC,DOGE"], "unknown symbol(s) DOGE"),
        (["--scenario", "moon"], "known scenarios: fail_break"),
        (["--days", "0"], "--days: must be positive"),
        (["--days", "-3"], "--days: must be positive"),
        (["--hurst", "1.2"], "--hurst: must be strictly between 0 and 1"),
        (["--start", "01/02/2025"], "--start: '01/02/2025' is not a date"),
        (["--symbols", "BTC", "--scenario", "squeeze"], "needs symbol(s) XRP"),
    ],
)
def test_bad_arguments_fail_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sim", *args, "--out", str(tmp_path / "ds")])
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "ds").exists()


def test_out_is_required() -> None:
    result = runner.invoke(app, ["sim", "--days", "1"])
    assert result.exit_code != 0
    assert "--out" in result.output


def test_unwritable_out_dir_fails_clearly(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        result = runner.invoke(app, ["sim", "--days", "1", "--out", str(locked / "ds")])
        assert result.exit_code != 0
        assert "is not writable" in " ".join(result.output.split())
    finally:
        locked.chmod(0o700)


def test_refuses_to_write_into_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    """Loses nothing: a directory with other files in it is left alone."""
    target = tmp_path / "photos"
    target.mkdir()
    (target / "cat.jpg").write_bytes(b"meow")
    result = runner.invoke(app, ["sim", "--days", "1", "--out", str(target)])
    assert result.exit_code != 0
    assert "holds no simulator dataset" in " ".join(result.output.split())
    assert [p.name for p in target.iterdir()] == ["cat.jpg"]


def test_out_that_is_a_file_fails(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(app, ["sim", "--days", "1", "--out", str(target)])
    assert result.exit_code != 0
    assert "is not a directory" in " ".join(result.output.split())


def test_calibrate_prints_and_writes_markdown(market_fixtures: Path, tmp_path: Path) -> None:
    out = tmp_path / "calibration.md"
    result = runner.invoke(app, ["sim", "calibrate", "--real", str(market_fixtures), "--days", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "| fact | symbol | real | sim |" in result.stdout
    assert out.read_text() == result.stdout


def test_calibrate_with_a_missing_real_dir_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sim", "calibrate", "--real", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "is not a directory" in " ".join(result.output.split())
