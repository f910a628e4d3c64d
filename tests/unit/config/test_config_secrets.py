"""Secrets come only from the environment or a secrets file, and are redacted in every dump."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bigalpha.config import ConfigError, load_settings
from bigalpha.logging_setup import JsonLineFormatter, SecretMaskFilter, secret_values

KEY = "cg-live-key-0123456789abcdef"


def test_secret_from_environment_is_redacted_in_dumps() -> None:
    settings = load_settings(env={"BIGALPHA__SECRETS__COINGLASS_API_KEY": KEY})
    assert settings.secrets.coinglass_api_key is not None
    assert settings.secrets.coinglass_api_key.get_secret_value() == KEY
    assert KEY not in repr(settings)
    assert KEY not in json.dumps(settings.redacted())
    assert KEY not in settings.model_dump_json()
    assert settings.redacted()["secrets"]["coinglass_api_key"] == "<set>"


def test_secret_from_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"BIGALPHA__SECRETS__API_TOKEN={KEY}\n")
    settings = load_settings(secrets_file=secrets, env={})
    assert settings.secrets.api_token is not None
    assert settings.secrets.api_token.get_secret_value() == KEY


def test_environment_wins_over_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("BIGALPHA__SECRETS__API_TOKEN=from-file-token\n")
    monkeypatch.setenv("BIGALPHA__SECRETS__API_TOKEN", "from-env-token")
    settings = load_settings(secrets_file=secrets)
    assert settings.secrets.api_token is not None
    assert settings.secrets.api_token.get_secret_value() == "from-env-token"


def test_secrets_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "bigalpha.toml"
    config.write_text(f'[secrets]\ncoinglass_api_key = "{KEY}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert "not allowed" in str(caught.value)
    assert KEY not in str(caught.value)


def test_missing_secrets_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"secrets file .* not found"):
        load_settings(secrets_file=tmp_path / "nope.env", env={})


def test_log_records_never_carry_a_secret() -> None:
    """I-LOG-1 with D-CG-1: a key that slips into a message or an extra is masked before it is written."""
    settings = load_settings(env={"BIGALPHA__SECRETS__COINGLASS_API_KEY": KEY})
    record = logging.LogRecord("bigalpha.test", logging.INFO, __file__, 1, "calling with key %s", (KEY,), None)
    record.data = {"header": KEY}
    SecretMaskFilter(secret_values(settings)).filter(record)
    line = JsonLineFormatter().format(record)
    assert KEY not in line
    assert "***" in line
