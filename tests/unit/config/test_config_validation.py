"""The configuration: defaults are the SPEC's numbers, bad values fail at start-up naming key and value."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from bigalpha.config import ConfigError, Settings, load_settings

SPEC_FILE = Path(__file__).resolve().parents[3].parent / "shared" / "SPEC.md"


def test_defaults_load_without_any_file_or_environment() -> None:
    settings = load_settings(env={})
    assert settings.risk.max_position_usd == Decimal(415)  # R-G-1
    assert settings.gate.liq_wall_pct == 0.005  # G-LIQ-1
    assert settings.positions.ladder.targets == [0.005, 0.010, 0.015, 0.020]  # P-LADDER-1


def test_spec_numbers_are_defaults_with_their_rule_ids() -> None:
    """Each threshold field names its SPEC rule in its description (the schema carries it)."""
    schema = Settings.model_json_schema()
    text = str(schema)
    for rule in (
        "R-G-1",
        "R-G-2",
        "R-G-3",
        "R-G-4",
        "R-T-1",
        "R-T-2",
        "R-T-3",
        "R-M-1",
        "R-M-2",
        "R-M-3",
        "R-K-1",
        "R-K-2",
        "R-K-3",
        "R-STALE-1",
        "R-LEDGER-1",
        "R-SIZE-1",
        "R-MODE-1",
        "G-LIQ-1",
        "G-TRAP-1",
        "G-TAKER-1",
        "G-WHALE-2",
        "G-FG-1",
        "G-HURST-1",
        "G-GOLDEN-1",
        "G-PROB-1",
        "G-FEE-1",
        "P-HOLD-1",
        "P-LADDER-1",
        "P-WALL-1",
        "L-SHADOW-1",
        "L-PROB-1",
        "L-MP-1",
        "L-OPT-1",
        "L-OPT-2",
        "D-CG-2",
        "D-CG-3",
        "A-HURST-1",
        "A-HURST-2",
        "A-LIQ-1",
        "A-OB-1",
        "A-MP-1",
        "A-WHALE-1",
        "S-BTC-L",
        "S-BTC-S",
        "S-SOL-FADE",
        "S-XRP-SQ",
        "S-SESSION",
    ):
        assert rule in text, f"no config field cites {rule}"


@pytest.mark.skipif(not SPEC_FILE.is_file(), reason="../shared/SPEC.md is absent (a user's clone)")
def test_every_configurable_spec_rule_is_in_the_schema() -> None:
    """Rules the SPEC calls configurable, and every R-*, G-*, P-*, S-* number, appear in config descriptions."""
    ids = set(re.findall(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \|", SPEC_FILE.read_text(), flags=re.MULTILINE))
    numbered = {rule for rule in ids if rule.split("-")[0] in {"R", "G", "P", "S", "L", "D"}}
    # Rules that are behaviour, not numbers, have no field of their own.
    behaviour_only = {
        "G-BUS-1",
        "G-WHALE-1",
        "G-WHALE-3",
        "P-TREND-1",
        "P-META-1",
        "P-HOLD-2",
        "P-STOP-1",
        "L-GUARD-1",
        "R-K-4",
        "D-CG-4",
        "D-CG-5",
        "D-FAILOPEN",
        "D-SIM-1",
        "D-REC-1",
        "D-SRC-1",
        "D-EX-1",
        "D-AAVE-1",
        "D-SOL-1",
        "D-CG-1",
        "S-OFI",
        "P-PERP-1",
    }
    schema_text = str(Settings.model_json_schema())
    missing = sorted(rule for rule in numbered - behaviour_only if rule not in schema_text)
    assert not missing, f"SPEC rules with numbers but no config field: {missing}"


def test_environment_overrides_a_nested_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGALPHA__RISK__MAX_POSITION_USD", "300")
    monkeypatch.setenv("BIGALPHA__POSITIONS__HOLD__BASE_MINUTES", "30")
    settings = load_settings()
    assert settings.risk.max_position_usd == Decimal(300)
    assert settings.positions.hold.base_minutes == 30


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bigalpha.toml"
    config.write_text("[risk]\nmax_position_usd = 200\nmax_trades_per_day = 4\n")
    settings = load_settings(config, env={"BIGALPHA__RISK__MAX_POSITION_USD": "250"})
    assert settings.risk.max_position_usd == Decimal(250)
    assert settings.risk.max_trades_per_day == 4


@pytest.mark.parametrize(
    ("toml", "key", "value_text"),
    [
        ("[risk]\nmax_position_usd = -5\n", "risk.max_position_usd", "-5"),
        ("[risk]\nmax_concurrent_positions = 'three'\n", "risk.max_concurrent_positions", "'three'"),
        ("[gate]\nliq_wal_pct = 0.01\n", "gate.liq_wal_pct", "0.01"),
        ("[nonsense]\nx = 1\n", "nonsense", "1"),
    ],
)
def test_bad_file_values_name_key_and_value(tmp_path: Path, toml: str, key: str, value_text: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    message = str(caught.value)
    assert key in message
    assert value_text in message
    assert str(config) in message


def test_contradictory_tiers_are_refused(tmp_path: Path) -> None:
    """P-LADDER-1: a Tier-1 target above Tier 4 is a contradiction, named with both values."""
    config = tmp_path / "bad.toml"
    config.write_text("[positions.ladder]\ntargets = [0.03, 0.01, 0.015, 0.02]\n")
    with pytest.raises(ConfigError, match=r"Tier-1 target 0.03 must be below Tier-2 target 0.01"):
        load_settings(config, env={})


def test_hold_priority_is_enforced() -> None:
    """P-HOLD-1: the priority 90 > 75 > 45 cannot be inverted by config."""
    with pytest.raises(ConfigError, match="priority"):
        load_settings(env={"BIGALPHA__POSITIONS__HOLD__BASE_MINUTES": "100"})


def test_unknown_environment_section_is_refused() -> None:
    with pytest.raises(ConfigError, match="BIGALPHA__RSIK__MAX_POSITION_USD"):
        load_settings(env={"BIGALPHA__RSIK__MAX_POSITION_USD": "1"})


def test_unknown_environment_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"risk.max_positon_usd = '1'.*environment variable"):
        load_settings(env={"BIGALPHA__RISK__MAX_POSITON_USD": "1"})


def test_read_only_account_cannot_be_the_trading_account() -> None:
    """R-LEDGER-1: the cold ledger cannot be configured as the account orders go to."""
    with pytest.raises(ConfigError, match="read-only"):
        load_settings(env={"BIGALPHA__RISK__TRADING_ACCOUNT": "cold"})


def test_settings_are_frozen() -> None:
    settings = load_settings(env={})
    with pytest.raises(ValueError, match="frozen"):
        settings.risk.max_position_usd = Decimal(10**6)  # type: ignore[misc]


def test_missing_and_malformed_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[risk\nmax = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, env={})
