"""Free, keyless market data: ccxt exchanges (Binance USDⓈ-M, OKX, Deribit) and alternative.me (D-SRC-1, D-EX-1)."""

from bigalpha.data.exchange.alternative_me import alternative_me_provider
from bigalpha.data.exchange.ccxt_client import ExchangeClient, ExchangeDataError
from bigalpha.data.exchange.flow import OptionOpenInterest, max_pain
from bigalpha.data.exchange.providers import ExchangeSources, deribit_max_pain_provider

__all__ = [
    "ExchangeClient",
    "ExchangeDataError",
    "ExchangeSources",
    "OptionOpenInterest",
    "alternative_me_provider",
    "deribit_max_pain_provider",
    "max_pain",
]
