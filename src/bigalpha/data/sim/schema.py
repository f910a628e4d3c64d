"""The dataset's tables: names, columns, Arrow types. docs/simulator.md documents each column's unit.

In memory a table is a `Frame`: a dict of equal-length NumPy columns, rows sorted by (symbol, ts).
Timestamps are int64 milliseconds since the Unix epoch, UTC; `symbol` is an int16 index into the
dataset's symbol list. On disk (`dataset.py`) timestamps become `timestamp[ms, tz=UTC]` and symbols
strings.

The Arrow types (`arrow_schemas()`, also as `SCHEMAS`) are made on first use: Arrow costs ~40 MB resident once
imported, and a dataset generated in memory (a backtest's) never needs it; `TABLES` names the tables without it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy.typing as npt

from bigalpha.data.sim.book import BOOK_OFFSETS_BPS

if TYPE_CHECKING:
    import pyarrow as pa

Frame = dict[str, npt.NDArray[Any]]

SCHEMA_VERSION = 1

# Every table, in the order of the schemas (the order tables are generated, written and read in).
TABLES: tuple[str, ...] = (
    "bars",
    "trades",
    "open_interest",
    "funding",
    "long_short",
    "liquidation_heatmap",
    "max_pain",
    "book_depth",
    "book_walls",
    "fear_greed",
    "priority_fees",
    "health_factor",
)


@cache
def arrow_schemas() -> dict[str, pa.Schema]:
    """Each table's columns and their Arrow types, in the order of `TABLES`."""
    import pyarrow as pa

    ts, f64, f32, i32, text = pa.timestamp("ms", tz="UTC"), pa.float64(), pa.float32(), pa.int32(), pa.string()
    levels = range(len(BOOK_OFFSETS_BPS))
    book = [pa.field(f"bid_usd_{i}", f32) for i in levels] + [pa.field(f"ask_usd_{i}", f32) for i in levels]
    return {
        "bars": pa.schema(
            [
                ("symbol", text),
                ("ts", ts),
                ("open", f64),
                ("high", f64),
                ("low", f64),
                ("close", f64),
                ("volume", f64),
                ("taker_buy_volume", f64),
                ("whale_buy_usd", f64),
                ("whale_sell_usd", f64),
                ("whale_buy_count", i32),
                ("whale_sell_count", i32),
                ("liquidated_long_usd", f64),
                ("liquidated_short_usd", f64),
                ("regime_hurst", f64),
            ]
        ),
        "trades": pa.schema([("symbol", text), ("ts", ts), ("price", f64), ("quantity", f64), ("side", text)]),
        "open_interest": pa.schema([("symbol", text), ("ts", ts), ("open_interest_usd", f64)]),
        "funding": pa.schema([("symbol", text), ("ts", ts), ("as_of", ts), ("binanceusdm", f64), ("okx", f64)]),
        "long_short": pa.schema([("symbol", text), ("ts", ts), ("long_short_ratio", f64), ("short_share", f64)]),
        "liquidation_heatmap": pa.schema(
            [("symbol", text), ("ts", ts), ("side", text), ("price", f64), ("liquidation_usd", f64)]
        ),
        "max_pain": pa.schema([("symbol", text), ("ts", ts), ("max_pain", f64), ("expiry", ts)]),
        "book_depth": pa.schema([("symbol", text), ("ts", ts), *book]),
        "book_walls": pa.schema(
            [("symbol", text), ("side", text), ("price", f64), ("notional_usd", f64), ("start", ts), ("end", ts)]
        ),
        "fear_greed": pa.schema([("ts", ts), ("value", f64)]),
        "priority_fees": pa.schema([("ts", ts), ("p50_micro_lamports", f64), ("jito_tip_lamports", f64)]),
        "health_factor": pa.schema([("ts", ts), ("health_factor", f64)]),
    }


def __getattr__(name: str) -> dict[str, pa.Schema]:
    # `SCHEMAS`, as the module always offered it, made on first use.
    if name == "SCHEMAS":
        return arrow_schemas()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# String columns other than `symbol`, with their allowed values; in a Frame they are int8 codes.
ENUM_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("trades", "side"): ("SELL", "BUY"),
    ("liquidation_heatmap", "side"): ("long", "short"),
    ("book_walls", "side"): ("bid", "ask"),
}

TIMESTAMP_COLUMNS = frozenset({"ts", "as_of", "expiry", "start", "end"})


def frame_rows(frame: Frame) -> int:
    return len(next(iter(frame.values()))) if frame else 0
