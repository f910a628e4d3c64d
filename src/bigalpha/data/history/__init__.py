"""Historical market data: loaders for the formats users have, quality checks, and replay as a `Feed`.

from bigalpha.data.history import load, load_dir, HistoryFeed

candles = load("BTC_USDT_USDT-15m-futures.feather")        # Candles, with candles.quality
folder = load_dir("user_data/data/binance/futures").joined()  # a symbol's daily or monthly files as one series
feed = HistoryFeed(folder.candles("1h"), funding=folder.funding())
"""

from bigalpha.data.history.api import (
    SUPPORTED_FORMATS,
    HistoryDir,
    detect_format,
    load,
    load_candles,
    load_dir,
    load_funding,
    load_trades,
)
from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.feed import NOT_IN_HISTORY, HistoryFeed
from bigalpha.data.history.join import join_pieces
from bigalpha.data.history.model import (
    AggTrades,
    Candles,
    FundingRates,
    HistoryData,
    HistoryKind,
    MarkPrices,
    Positioning,
    SourceFormat,
)
from bigalpha.data.history.report import Example, Gap, Issue, IssueCode, QualityReport

__all__ = [
    "NOT_IN_HISTORY",
    "SUPPORTED_FORMATS",
    "AggTrades",
    "Candles",
    "DataFormatError",
    "Example",
    "FundingRates",
    "Gap",
    "HistoryData",
    "HistoryDir",
    "HistoryFeed",
    "HistoryKind",
    "Issue",
    "IssueCode",
    "MarkPrices",
    "Positioning",
    "QualityReport",
    "SourceFormat",
    "detect_format",
    "join_pieces",
    "load",
    "load_candles",
    "load_dir",
    "load_funding",
    "load_trades",
]
