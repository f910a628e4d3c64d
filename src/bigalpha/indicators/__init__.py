"""Market indicators: pure, vectorized functions of price and flow arrays.

The same functions run over whole arrays in a backtest (`indicator_columns`) and over the trailing buffer
live (`ContextBuilder`), which assembles everything the decision path reads into a `MarketContext`.
"""

from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.columns import IndicatorColumns, SnapshotArrays, arrays_from_snapshots, indicator_columns
from bigalpha.indicators.context import ContextError, MarketContext, context_from_dict, context_to_dict
from bigalpha.indicators.flow import FlowDirection, IntensityBand
from bigalpha.indicators.liquidity import Cluster, ClusterSide, Wall

__all__ = [
    "Cluster",
    "ClusterSide",
    "ContextBuilder",
    "ContextError",
    "FlowDirection",
    "IndicatorColumns",
    "IntensityBand",
    "MarketContext",
    "SnapshotArrays",
    "Wall",
    "arrays_from_snapshots",
    "context_from_dict",
    "context_to_dict",
    "indicator_columns",
]
