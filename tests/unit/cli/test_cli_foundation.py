"""The command-line program's foundation commands: version, config show/schema, validate (I-CLI-1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha import __version__
from bigalpha.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("BIGALPHA"):
            monkeypatch.delenv(name)


def test_version() -> None:
    result = runner.invoke(app, ["version", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"version": __version__}


def test_every_command_has_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("version", "config", "validate"):
        assert command in result.stdout
        assert runner.invoke(app, [command, "--help"]).exit_code == 0


def test_config_show_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGALPHA__SECRETS__API_TOKEN", "super-secret-token-value")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["secrets"]["api_token"] == "<set>"
    assert "super-secret-token-value" not in result.stdout
    assert data["risk"]["max_position_usd"] == "415"


def test_config_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "risk" in schema["properties"]


def test_validate_passes_on_defaults() -> None:
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[risk]\nsurprise = 1\n", "risk.surprise"),
        ("[risk]\nmax_position_usd = -1\n", "risk.max_position_usd"),
        ("[risk]\nmax_trades_per_day = 'six'\n", "risk.max_trades_per_day"),
    ],
)
def test_validate_fails_naming_the_bad_key(tmp_path: Path, toml: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    result = runner.invoke(app, ["--config", str(config), "validate"])
    assert result.exit_code == 2
    assert key in result.output


def test_validate_reports_an_unusable_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file")
    monkeypatch.setenv("BIGALPHA__STORE__DATA_DIR", str(blocker / "var"))
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 1
    checks = json.loads(result.stdout)["checks"]
    assert any(not check["ok"] and check["component"] == "store" for check in checks)
