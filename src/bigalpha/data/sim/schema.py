"""The dataset's tables: names, columns, Arrow types. docs/simulator.md documents each column's unit.

In memory a table is a `Frame`: a dict of equal-length NumPy columns, rows sorted by (symbol, ts).
Timestamps are int64 milliseconds since the Unix epoch, UTC; `symbol` is an int16 index into the
dataset's symbol list. On disk (`dataset.py`) timestamps become `timestamp[ms, tz=UTC]` and symbols
strings.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt
import pyarrow as pa

from bigalpha.data.sim.book import BOOK_OFFSETS_BPS

Frame = dict[str, npt.NDArray[Any]]

SCHEMA_VERSION = 1

_TS = pa.timestamp("ms", tz="UTC")
_F64 = pa.float64()
_F32 = pa.float32()
_I32 = pa.int32()
_STR = pa.string()


def _book_fields() -> list[pa.Field]:
    levels = range(len(BOOK_OFFSETS_BPS))
    return [pa.field(f"bid_usd_{i}", _F32) for i in levels] + [pa.field(f"ask_usd_{i}", _F32) for i in levels]


SCHEMAS: dict[str, pa.Schema] = {
    "bars": pa.schema(
        [
            ("symbol", _STR),
            ("ts", _TS),
            ("open", _F64),
            ("high", _F64),
            ("low", _F64),
            ("close", _F64),
            ("volume", _F64),
            ("taker_buy_volume", _F64),
            ("whale_buy_usd", _F64),
            ("whale_sell_usd", _F64),
            ("whale_buy_count", _I32),
            ("whale_sell_count", _I32),
            ("liquidated_long_usd", _F64),
            ("liquidated_short_usd", _F64),
            ("regime_hurst", _F64),
        ]
    ),
    "trades": pa.schema([("symbol", _STR), ("ts", _TS), ("price", _F64), ("quantity", _F64), ("side", _STR)]),
    "open_interest": pa.schema([("symbol", _STR), ("ts", _TS), ("open_interest_usd", _F64)]),
    "funding": pa.schema([("symbol", _STR), ("ts", _TS), ("as_of", _TS), ("binanceusdm", _F64), ("okx", _F64)]),
    "long_short": pa.schema([("symbol", _STR), ("ts", _TS), ("long_short_ratio", _F64), ("short_share", _F64)]),
    "liquidation_heatmap": pa.schema(
        [("symbol", _STR), ("ts", _TS), ("side", _STR), ("price", _F64), ("liquidation_usd", _F64)]
    ),
    "max_pain": pa.schema([("symbol", _STR), ("ts", _TS), ("max_pain", _F64), ("expiry", _TS)]),
    "book_depth": pa.schema([("symbol", _STR), ("ts", _TS), *_book_fields()]),
    "book_walls": pa.schema(
        [("symbol", _STR), ("side", _STR), ("price", _F64), ("notional_usd", _F64), ("start", _TS), ("end", _TS)]
    ),
    "fear_greed": pa.schema([("ts", _TS), ("value", _F64)]),
    "priority_fees": pa.schema([("ts", _TS), ("p50_micro_lamports", _F64), ("jito_tip_lamports", _F64)]),
    "health_factor": pa.schema([("ts", _TS), ("health_factor", _F64)]),
}

# String columns other than `symbol`, with their allowed values; in a Frame they are int8 codes.
ENUM_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("trades", "side"): ("SELL", "BUY"),
    ("liquidation_heatmap", "side"): ("long", "short"),
    ("book_walls", "side"): ("bid", "ask"),
}

TIMESTAMP_COLUMNS = frozenset({"ts", "as_of", "expiry", "start", "end"})


def frame_rows(frame: Frame) -> int:
    return len(next(iter(frame.values()))) if frame else 0
