"""`bigalpha data check` against the stand-ins (D-SRC-1, D-CG-5, D-FAILOPEN)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from intel_coinglass_standin import KEY
from intel_standin import StandIn, closed_port_url
from intel_world import World
from typer.testing import CliRunner

from bigalpha.cli import app


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "bigalpha.toml"
    path.write_text("[data]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in data.items()))
    tomllib.loads(path.read_text())  # the test's own TOML must be valid
    return path


def check(
    tmp_path: Path, data: dict[str, Any], secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, Any]]:
    for name in ("COINGLASS_API_KEY", "ETHEREUM_RPC_URL", "SOLANA_RPC_URL"):
        monkeypatch.delenv(f"BIGALPHA__SECRETS__{name}", raising=False)
    for name, value in secrets.items():
        monkeypatch.setenv(f"BIGALPHA__SECRETS__{name.upper()}", value)
    config = write_config(tmp_path, data)
    result = CliRunner().invoke(app, ["--config", str(config), "data", "check", "--json"])
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def test_hobbyist_key_reports_fallbacks_and_the_guard_that_fails_open(
    server: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D-CG-5, D-SRC-1, D-FAILOPEN: with a Hobbyist key the heatmap guard fails open, the 5-minute guards fall
    back to exchange data, and the command exits 0 because funding is served."""
    world = World(server, plan="hobbyist")
    code, report = check(tmp_path, world.data_config(), world.secrets(), monkeypatch)
    assert code == 0
    assert report["coinglass"]["plan"] == "hobbyist"
    assert "needs professional" in report["coinglass"]["serves"]["liquidation_heatmap"]
    guards = {g["consumer"]: g for g in report["guards"]}
    assert guards["LIQ_WALL"]["status"] == "fails open"
    assert "plan hobbyist does not serve the liquidation heatmap" in guards["LIQ_WALL"]["detail"]
    assert guards["LONG_TRAP"]["status"] == "fallback"
    assert "exchange:binanceusdm" in guards["LONG_TRAP"]["detail"]
    assert guards["TAKER_AGGRESSION"]["status"] == "served"  # the 5m exchange list has no interval: Hobbyist serves it
    assert guards["FEAR_GREED"]["status"] == "served"
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert kinds["funding"]["served"]
    assert kinds["funding"]["required"]
    assert kinds["funding"]["age_s"] is not None
    assert kinds["funding"]["age_s"] < 600
    assert kinds["liquidation_heatmap"]["attempts"][0]["allowed"] is False
    assert server.calls("/api/futures/liquidation/aggregated-heatmap/model1") == []
    assert report["required_served"] is True


def test_no_key_still_serves_every_guard_but_the_heatmap(
    server: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D-SRC-1: without any CoinGlass key, exchange-native sources serve every guard except LIQ_WALL."""
    world = World(server)
    code, report = check(tmp_path, world.data_config(), world.secrets(coinglass=False), monkeypatch)
    assert code == 0
    statuses = {g["consumer"]: g["status"] for g in report["guards"]}
    assert statuses.pop("LIQ_WALL") == "fails open"
    assert set(statuses.values()) <= {"served", "fallback"}, statuses
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert kinds["max_pain"]["served_by"] == "deribit"
    assert kinds["fear_greed"]["served_by"] == "alternative_me"
    assert KEY not in json.dumps(report)


def test_exit_is_nonzero_when_funding_is_not_served(
    server: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-STALE-1 via data check: no key and dead exchanges leave funding unserved: non-zero exit, with the table."""
    world = World(server)
    dead = closed_port_url()
    config = world.data_config(
        exchange_urls={
            "binanceusdm": {"fapiPublic": f"{dead}/fapi/v1", "fapiData": f"{dead}/futures/data"},
            "okx": {"rest": dead},
        }
    )
    code, report = check(tmp_path, config, world.secrets(coinglass=False), monkeypatch)
    assert code == 1
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert not kinds["funding"]["served"]
    assert "binanceusdm" in kinds["funding"]["reason"]
    assert "okx" in kinds["funding"]["reason"]
    assert report["required_served"] is False
    risk = {r["consumer"]: r["status"] for r in report["risk_and_positions"]}
    assert risk["R-T-2 funding divergence"] == "stands down"


def test_table_output_names_the_plan(server: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(server, plan="hobbyist")
    for name, value in world.secrets().items():
        monkeypatch.setenv(f"BIGALPHA__SECRETS__{name.upper()}", value)
    config = write_config(tmp_path, world.data_config())
    result = CliRunner().invoke(app, ["--config", str(config), "data", "check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "CoinGlass plan: hobbyist" in result.output
    assert "fails open" in result.output
    assert "secret-key-123" not in result.output
