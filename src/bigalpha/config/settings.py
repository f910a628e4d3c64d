"""The root settings object and how it is loaded: defaults < config file < secrets file < environment.

A bad value fails here, at start-up, with a `ConfigError` naming the key, the value, what is allowed
and where the value came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from bigalpha.config.data import DataConfig
from bigalpha.config.execution import ExecutionConfig
from bigalpha.config.gate import GateConfig
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.config.learning import LearningConfig
from bigalpha.config.positions import PositionsConfig
from bigalpha.config.risk import RiskConfig
from bigalpha.config.secrets import SecretsConfig
from bigalpha.config.service import ApiConfig, LogConfig, StoreConfig
from bigalpha.config.setups import SetupsConfig

ENV_PREFIX = "BIGALPHA__"
CONFIG_FILE_ENV = "BIGALPHA_CONFIG"
SECRETS_FILE_ENV = "BIGALPHA_SECRETS_FILE"


# The environment `load_settings` reads: the process's, or a mapping a caller (a test) passes in.
_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("bigalpha_environment", default=None)


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading `_ENVIRONMENT` when one is set."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRONMENT.get()
        if environ is None:
            return super()._load_env_vars()
        return parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class ConfigError(ValueError):
    """The configuration cannot be used. `problems` holds one readable line per bad key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class Settings(BaseSettings):
    """Everything configurable in bigalpha, grouped by context. Defaults are the SPEC's numbers."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    data: DataConfig = Field(default_factory=DataConfig)
    indicators: IndicatorsConfig = Field(default_factory=IndicatorsConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    positions: PositionsConfig = Field(default_factory=PositionsConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    setups: SetupsConfig = Field(default_factory=SetupsConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        del env_settings, file_secret_settings  # replaced by the mapping-aware source; no secrets dir
        # The config file's content arrives as init kwargs; the environment and the secrets file
        # (a dotenv file) must override it, so init comes last.
        return _MappingEnvSource(settings_cls), dotenv_settings, init_settings

    @model_validator(mode="after")
    def _sections_agree(self) -> Settings:
        # P-TREND-1 and A-HURST-2 name the same threshold; two values would make TRUE TREND disagree with the regime.
        if self.positions.true_trend_hurst_above != self.indicators.hurst_trending_above:
            raise ValueError(
                f"positions.true_trend_hurst_above ({self.positions.true_trend_hurst_above}) must equal "
                f"indicators.hurst_trending_above ({self.indicators.hurst_trending_above})"
            )
        return self

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as JSON-ready data, every secret shown only as set or unset."""
        dump = self.model_dump(mode="json")
        dump["secrets"] = {
            name: ("<set>" if getattr(self.secrets, name) is not None else None)
            for name in type(self.secrets).model_fields
        }
        return dump


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            content = tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError([f"config file {path}: not found"]) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"config file {path}: not valid TOML: {error}"]) from error
    if "secrets" in content:
        raise ConfigError(
            [
                f"config file {path}: a [secrets] table is not allowed here; put secrets in the environment "
                f"({ENV_PREFIX}SECRETS__<NAME>) or in a secrets file ({SECRETS_FILE_ENV})"
            ]
        )
    return content


def _unknown_env_sections(env: Mapping[str, str]) -> list[str]:
    # pydantic-settings silently ignores a prefixed variable whose first part names no section; a typo
    # there would otherwise leave a limit at its default without a word.
    known = set(Settings.model_fields)
    problems = []
    for name in env:
        if name.upper().startswith(ENV_PREFIX):
            section = name[len(ENV_PREFIX) :].split("__", 1)[0].lower()
            if section not in known:
                problems.append(
                    f"environment variable {name}: unknown section {section!r}; allowed: {', '.join(sorted(known))}"
                )
    return problems


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def _describe(error: Mapping[str, Any], env: Mapping[str, str], config_file: Path | None) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(root)"
    upper_env = {name.upper() for name in env}
    if loc and _env_name(loc) in upper_env:
        source = f"environment variable {_env_name(loc)}"
    elif config_file is not None:
        source = f"config file {config_file}"
    else:
        source = "defaults"
    value = error.get("input")
    shown = "<secret>" if loc[:1] == ("secrets",) else repr(value)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] != "extra_forbidden" and (error["type"] in {"model_type", "dict_type"} or isinstance(value, dict)):
        return f"{key}: {message} (from {source})"
    return f"{key} = {shown}: {message} (from {source})"


def load_settings(
    config_file: Path | None = None,
    secrets_file: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Load and validate the configuration.

    `config_file` defaults to `$BIGALPHA_CONFIG`, then `./bigalpha.toml` if it exists; `secrets_file`
    to `$BIGALPHA_SECRETS_FILE`. Neither is required: the defaults serve.
    """
    environ = os.environ if env is None else env
    if config_file is None and environ.get(CONFIG_FILE_ENV):
        config_file = Path(environ[CONFIG_FILE_ENV])
    if config_file is None and Path("bigalpha.toml").is_file():
        config_file = Path("bigalpha.toml")
    if secrets_file is None and environ.get(SECRETS_FILE_ENV):
        secrets_file = Path(environ[SECRETS_FILE_ENV])
    if secrets_file is not None and not secrets_file.is_file():
        raise ConfigError([f"secrets file {secrets_file}: not found"])

    file_values = _read_config_file(config_file) if config_file is not None else {}
    problems = _unknown_env_sections(environ)
    if problems:
        raise ConfigError(problems)
    token = _ENVIRONMENT.set(environ)
    try:
        return Settings(_env_file=secrets_file, **file_values)
    except ValidationError as error:
        raise ConfigError(
            [_describe(detail, environ, config_file) for detail in error.errors(include_url=False)]
        ) from None
    finally:
        _ENVIRONMENT.reset(token)
