"""Lossless JSON-ready encoding of `MarketSnapshot` (D-REC-1).

Used by the snapshot recorder, and by the API and `bigalpha explain` to show the exact data a decision
saw. `snapshot_from_dict(snapshot_to_dict(s)) == s` for every snapshot, and the dict survives
`json.dumps`/`json.loads` unchanged:

- datetimes are ISO 8601 strings with their UTC offset, to the microsecond;
- floats stay floats (JSON keeps every bit of a float through Python's shortest repr), except
  non-finite ones, written as the strings "nan", "inf", "-inf" so the JSON stays standard;
- enums are their stable string values; tuples become lists;
- `Observed[T]` is {"value", "as_of", "source"}; book and heatmap levels are [price, size] pairs.

Malformed input raises `CodecError` naming the field (e.g. `book.value.asks[3]`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bigalpha.config.data import DataKind
from bigalpha.domain import (
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    PriorityFees,
    Symbol,
    Trade,
)

CODEC_VERSION = 1
T = TypeVar("T")


class CodecError(ValueError):
    """A snapshot dict that cannot be decoded; the message names the field."""


# --- encoding --------------------------------------------------------------------------------


def _f(x: float) -> float | str:
    if math.isfinite(x):
        return float(x)
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _t(moment: datetime) -> str:
    return moment.isoformat()


def _observed(obs: Observed[T] | None, encode: Callable[[T], Any]) -> dict[str, Any] | None:
    if obs is None:
        return None
    return {"value": encode(obs.value), "as_of": _t(obs.as_of), "source": obs.source}


def _book(book: OrderBook) -> dict[str, Any]:
    return {
        "bids": [[_f(level.price), _f(level.quantity)] for level in book.bids],
        "asks": [[_f(level.price), _f(level.quantity)] for level in book.asks],
    }


def snapshot_to_dict(snapshot: MarketSnapshot) -> dict[str, Any]:
    """A JSON-ready dict holding everything in `snapshot`."""
    bar = snapshot.bar
    return {
        "v": CODEC_VERSION,
        "symbol": str(snapshot.symbol),
        "ts": _t(snapshot.ts),
        "bar": {
            "ts": _t(bar.ts),
            "open": _f(bar.open),
            "high": _f(bar.high),
            "low": _f(bar.low),
            "close": _f(bar.close),
            "volume": _f(bar.volume),
            "taker_buy_volume": _f(bar.taker_buy_volume),
        },
        "trades": [
            {"ts": _t(t.ts), "price": _f(t.price), "quantity": _f(t.quantity), "side": t.side.value}
            for t in snapshot.trades
        ],
        "book": _observed(snapshot.book, _book),
        "open_interest_usd": _observed(snapshot.open_interest_usd, _f),
        "long_short": _observed(
            snapshot.long_short,
            lambda v: {"long_short_ratio": _f(v.long_short_ratio), "short_share": _f(v.short_share)},
        ),
        "liquidation_heatmap": _observed(
            snapshot.liquidation_heatmap, lambda v: [[_f(x.price), _f(x.liquidation_usd)] for x in v]
        ),
        "max_pain": _observed(snapshot.max_pain, _f),
        "fear_greed": _observed(snapshot.fear_greed, _f),
        "funding": _observed(snapshot.funding, lambda v: [[venue, _f(rate)] for venue, rate in v]),
        "priority_fees": _observed(
            snapshot.priority_fees,
            lambda v: {"p50_micro_lamports": _f(v.p50_micro_lamports), "jito_tip_lamports": _f(v.jito_tip_lamports)},
        ),
        "health_factor": _observed(snapshot.health_factor, _f),
        "unavailable": [[kind.value, reason] for kind, reason in snapshot.unavailable],
    }


# --- decoding --------------------------------------------------------------------------------


def _get(data: Any, key: str, where: str) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"{where or 'snapshot'}: expected an object, got {type(data).__name__}")
    if key not in data:
        raise CodecError(f"{where}.{key}: missing" if where else f"{key}: missing")
    return data[key]


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CodecError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, str) and value not in ("nan", "inf", "-inf"):
        raise CodecError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise CodecError(f"{where}: expected a string, got {value!r}")
    return value


def _time(value: Any, where: str) -> datetime:
    text = _str(value, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CodecError(f"{where}: not an ISO 8601 time: {text!r}") from error
    if moment.tzinfo is None:
        raise CodecError(f"{where}: time {text!r} has no UTC offset")
    return moment


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise CodecError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _pair(value: Any, where: str) -> tuple[Any, Any]:
    items = _list(value, where)
    if len(items) != 2:
        raise CodecError(f"{where}: expected a pair, got {len(items)} items")
    return items[0], items[1]


def _decode_observed(data: Any, where: str, decode: Callable[[Any, str], T]) -> Observed[T] | None:
    if data is None:
        return None
    return Observed(
        value=decode(_get(data, "value", where), f"{where}.value"),
        as_of=_time(_get(data, "as_of", where), f"{where}.as_of"),
        source=_str(_get(data, "source", where), f"{where}.source"),
    )


def _levels(value: Any, where: str) -> tuple[BookLevel, ...]:
    out = []
    for i, item in enumerate(_list(value, where)):
        price, qty = _pair(item, f"{where}[{i}]")
        out.append(BookLevel(_float(price, f"{where}[{i}][0]"), _float(qty, f"{where}[{i}][1]")))
    return tuple(out)


def _decode_book(value: Any, where: str) -> OrderBook:
    return OrderBook(
        bids=_levels(_get(value, "bids", where), f"{where}.bids"),
        asks=_levels(_get(value, "asks", where), f"{where}.asks"),
    )


def _decode_heatmap(value: Any, where: str) -> tuple[LiquidationLevel, ...]:
    out = []
    for i, item in enumerate(_list(value, where)):
        price, usd = _pair(item, f"{where}[{i}]")
        out.append(LiquidationLevel(_float(price, f"{where}[{i}][0]"), _float(usd, f"{where}[{i}][1]")))
    return tuple(out)


def _decode_funding(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    out = []
    for i, item in enumerate(_list(value, where)):
        venue, rate = _pair(item, f"{where}[{i}]")
        out.append((_str(venue, f"{where}[{i}][0]"), _float(rate, f"{where}[{i}][1]")))
    return tuple(out)


def _decode_long_short(value: Any, where: str) -> LongShort:
    return LongShort(
        long_short_ratio=_float(_get(value, "long_short_ratio", where), f"{where}.long_short_ratio"),
        short_share=_float(_get(value, "short_share", where), f"{where}.short_share"),
    )


def _decode_fees(value: Any, where: str) -> PriorityFees:
    return PriorityFees(
        p50_micro_lamports=_float(_get(value, "p50_micro_lamports", where), f"{where}.p50_micro_lamports"),
        jito_tip_lamports=_float(_get(value, "jito_tip_lamports", where), f"{where}.jito_tip_lamports"),
    )


def _decode_trade(value: Any, where: str) -> Trade:
    side = _str(_get(value, "side", where), f"{where}.side")
    try:
        order_side = OrderSide(side)
    except ValueError as error:
        raise CodecError(f"{where}.side: {side!r} is not BUY or SELL") from error
    return Trade(
        ts=_time(_get(value, "ts", where), f"{where}.ts"),
        price=_float(_get(value, "price", where), f"{where}.price"),
        quantity=_float(_get(value, "quantity", where), f"{where}.quantity"),
        side=order_side,
    )


def _decode_bar(value: Any, where: str) -> Bar:
    def num(key: str) -> float:
        return _float(_get(value, key, where), f"{where}.{key}")

    return Bar(
        ts=_time(_get(value, "ts", where), f"{where}.ts"),
        open=num("open"),
        high=num("high"),
        low=num("low"),
        close=num("close"),
        volume=num("volume"),
        taker_buy_volume=num("taker_buy_volume"),
    )


def _decode_unavailable(value: Any, where: str) -> tuple[tuple[DataKind, str], ...]:
    out = []
    for i, item in enumerate(_list(value, where)):
        kind, reason = _pair(item, f"{where}[{i}]")
        try:
            data_kind = DataKind(_str(kind, f"{where}[{i}][0]"))
        except ValueError as error:
            raise CodecError(f"{where}[{i}][0]: unknown data kind {kind!r}") from error
        out.append((data_kind, _str(reason, f"{where}[{i}][1]")))
    return tuple(out)


def snapshot_from_dict(data: Any) -> MarketSnapshot:
    """The snapshot `snapshot_to_dict` encoded; `CodecError` names the first bad field."""
    version = _get(data, "v", "")
    if version != CODEC_VERSION:
        raise CodecError(f"v: snapshot codec version {version!r}; this bigalpha reads {CODEC_VERSION}")

    def obs(key: str, decode: Callable[[Any, str], T]) -> Observed[T] | None:
        return _decode_observed(_get(data, key, ""), key, decode)

    return MarketSnapshot(
        symbol=Symbol(_str(_get(data, "symbol", ""), "symbol")),
        ts=_time(_get(data, "ts", ""), "ts"),
        bar=_decode_bar(_get(data, "bar", ""), "bar"),
        trades=tuple(_decode_trade(t, f"trades[{i}]") for i, t in enumerate(_list(_get(data, "trades", ""), "trades"))),
        book=obs("book", _decode_book),
        open_interest_usd=obs("open_interest_usd", _float),
        long_short=obs("long_short", _decode_long_short),
        liquidation_heatmap=obs("liquidation_heatmap", _decode_heatmap),
        max_pain=obs("max_pain", _float),
        fear_greed=obs("fear_greed", _float),
        funding=obs("funding", _decode_funding),
        priority_fees=obs("priority_fees", _decode_fees),
        health_factor=obs("health_factor", _float),
        unavailable=_decode_unavailable(_get(data, "unavailable", ""), "unavailable"),
    )
