"""CoinGlass API V4: a plan-aware, rate-limited, cached client that never raises into the engine (D-CG-1 … D-CG-5)."""

from bigalpha.data.coinglass.api import KIND_ENDPOINTS, CoinGlass
from bigalpha.data.coinglass.client import SOURCE, CoinGlassClient, shared_limiter
from bigalpha.data.coinglass.endpoints import Endpoint, interval_seconds, plan_refusal
from bigalpha.data.coinglass.limiter import RateLimiter, TtlCache
from bigalpha.data.coinglass.providers import coinglass_providers

__all__ = [
    "KIND_ENDPOINTS",
    "SOURCE",
    "CoinGlass",
    "CoinGlassClient",
    "Endpoint",
    "RateLimiter",
    "TtlCache",
    "coinglass_providers",
    "interval_seconds",
    "plan_refusal",
    "shared_limiter",
]
