"""bigalpha's configuration: frozen pydantic models whose defaults are the SPEC's numbers.

Import `Settings`, `load_settings` and `ConfigError` from here; each section lives in its own module.
"""

from bigalpha.config.data import CoinGlassPlan, DataKind
from bigalpha.config.settings import ConfigError, Settings, load_settings

__all__ = ["CoinGlassPlan", "ConfigError", "DataKind", "Settings", "load_settings"]
