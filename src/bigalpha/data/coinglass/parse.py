"""Parsers from CoinGlass V4 `data` payloads to typed results (D-CG-1, D-CG-5).

Numbers may arrive as JSON numbers or strings; times in ms, except where the API sends seconds, so
every time goes through `_when`. A payload of the wrong shape raises `ParseError` naming the field and
its position; the client turns it into an `Unavailable` so the caller never sees an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from bigalpha.config.data import CoinGlassPlan
from bigalpha.data.coinglass.models import (
    CvdRow,
    DepthPoint,
    FearGreedPoint,
    FundingCoin,
    FundingEntry,
    Heatmap,
    HeatmapCandle,
    LongShortPoint,
    MaxPainExpiry,
    OhlcPoint,
    Subscription,
    TakerExchange,
    TakerExchangeList,
    TakerPoint,
)

T = TypeVar("T")

_MS_THRESHOLD = 1e12  # below this a unix time is in seconds (2001-09-09 in ms)


class ParseError(ValueError):
    """A payload does not have the documented shape; the message says what and where."""


def number(value: object, where: str) -> float:
    """A finite float from a JSON number or a numeric string."""
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise ParseError(f"{where}: expected a number, got {value!r}") from None
    else:
        raise ParseError(f"{where}: expected a number, got {type(value).__name__}")
    if not math.isfinite(result):
        raise ParseError(f"{where}: expected a finite number, got {value!r}")
    return result


def optional_number(value: object, where: str) -> float | None:
    return None if value is None else number(value, where)


def when(value: object, where: str) -> datetime:
    """A UTC datetime from unix milliseconds or seconds (normalised: `t*1000 if t < 1e12`)."""
    raw = number(value, where)
    millis = raw if raw >= _MS_THRESHOLD else raw * 1000.0
    try:
        return datetime.fromtimestamp(millis / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"{where}: {value!r} is not a valid unix time") from None


def mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def sequence(value: object, where: str) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ParseError(f"{where}: expected an array, got {type(value).__name__}")
    return value


def text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ParseError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def rows(data: object, where: str, parse_row: Callable[[Mapping[str, object], str], T]) -> tuple[T, ...]:
    """Each element of an array of objects through `parse_row`, with its index in error messages."""
    items = sequence(data, where)
    return tuple(parse_row(mapping(item, f"{where}[{i}]"), f"{where}[{i}]") for i, item in enumerate(items))


def parse_subscription(data: object) -> Subscription:
    body = mapping(data, "data")
    level = text(body.get("level"), "data.level")
    try:
        plan: CoinGlassPlan | None = CoinGlassPlan(level.strip().lower())
    except ValueError:
        plan = None
    expire = body.get("expire_time")
    expired = body.get("expired", False)
    if not isinstance(expired, bool):
        raise ParseError(f"data.expired: expected true or false, got {expired!r}")
    return Subscription(
        level=level,
        plan=plan,
        expires_at=None if expire is None else when(expire, "data.expire_time"),
        expired=expired,
    )


def parse_heatmap(data: object) -> Heatmap:
    body = mapping(data, "data")
    y_axis = tuple(number(v, f"data.y_axis[{i}]") for i, v in enumerate(sequence(body.get("y_axis"), "data.y_axis")))
    cells: list[tuple[int, int, float]] = []
    for i, cell in enumerate(sequence(body.get("liquidation_leverage_data"), "data.liquidation_leverage_data")):
        where = f"data.liquidation_leverage_data[{i}]"
        items = sequence(cell, where)
        if len(items) < 3:
            raise ParseError(f"{where}: expected [x, y, value], got {len(items)} items")
        cells.append(
            (
                int(number(items[0], where + "[0]")),
                int(number(items[1], where + "[1]")),
                number(items[2], where + "[2]"),
            )
        )
    candles: list[HeatmapCandle] = []
    for i, raw in enumerate(sequence(body.get("price_candlesticks"), "data.price_candlesticks")):
        where = f"data.price_candlesticks[{i}]"
        items = sequence(raw, where)
        if len(items) < 6:
            raise ParseError(f"{where}: expected [ts, open, high, low, close, volume], got {len(items)} items")
        o, h, lo, c, v = (number(items[k], f"{where}[{k}]") for k in range(1, 6))
        candles.append(HeatmapCandle(when(items[0], where + "[0]"), o, h, lo, c, v))
    if not candles:
        raise ParseError("data.price_candlesticks: empty, the heatmap has no time axis")
    return Heatmap(y_axis, tuple(cells), tuple(candles))


def _ohlc(row: Mapping[str, object], where: str) -> OhlcPoint:
    return OhlcPoint(
        ts=when(row.get("time"), f"{where}.time"),
        open=number(row.get("open"), f"{where}.open"),
        high=number(row.get("high"), f"{where}.high"),
        low=number(row.get("low"), f"{where}.low"),
        close=number(row.get("close"), f"{where}.close"),
    )


def parse_ohlc_history(data: object) -> tuple[OhlcPoint, ...]:
    return rows(data, "data", _ohlc)


def _long_short(row: Mapping[str, object], where: str) -> LongShortPoint:
    return LongShortPoint(
        ts=when(row.get("time"), f"{where}.time"),
        long_percent=number(row.get("global_account_long_percent"), f"{where}.global_account_long_percent"),
        short_percent=number(row.get("global_account_short_percent"), f"{where}.global_account_short_percent"),
        long_short_ratio=number(row.get("global_account_long_short_ratio"), f"{where}.global_account_long_short_ratio"),
    )


def parse_long_short_history(data: object) -> tuple[LongShortPoint, ...]:
    return rows(data, "data", _long_short)


def _taker_exchange(row: Mapping[str, object], where: str) -> TakerExchange:
    return TakerExchange(
        exchange=text(row.get("exchange"), f"{where}.exchange"),
        buy_ratio=number(row.get("buy_ratio"), f"{where}.buy_ratio"),
        sell_ratio=number(row.get("sell_ratio"), f"{where}.sell_ratio"),
        buy_vol_usd=number(row.get("buy_vol_usd"), f"{where}.buy_vol_usd"),
        sell_vol_usd=number(row.get("sell_vol_usd"), f"{where}.sell_vol_usd"),
    )


def parse_taker_exchange_list(data: object) -> TakerExchangeList:
    body = mapping(data, "data")
    return TakerExchangeList(
        symbol=text(body.get("symbol"), "data.symbol"),
        buy_ratio=number(body.get("buy_ratio"), "data.buy_ratio"),
        sell_ratio=number(body.get("sell_ratio"), "data.sell_ratio"),
        buy_vol_usd=number(body.get("buy_vol_usd"), "data.buy_vol_usd"),
        sell_vol_usd=number(body.get("sell_vol_usd"), "data.sell_vol_usd"),
        exchanges=rows(body.get("exchange_list", []), "data.exchange_list", _taker_exchange),
    )


def parse_taker_history(data: object, buy_key: str, sell_key: str) -> tuple[TakerPoint, ...]:
    """Pair v2 history (`taker_buy_volume_usd`, strings) or aggregated (`aggregated_buy_volume_usd`)."""

    def one(row: Mapping[str, object], where: str) -> TakerPoint:
        return TakerPoint(
            ts=when(row.get("time"), f"{where}.time"),
            buy_usd=number(row.get(buy_key), f"{where}.{buy_key}"),
            sell_usd=number(row.get(sell_key), f"{where}.{sell_key}"),
        )

    return rows(data, "data", one)


def _expiry(value: object, where: str) -> date:
    raw = text(value, where)
    try:
        return datetime.strptime(raw, "%y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise ParseError(f"{where}: expected a YYMMDD expiry, got {raw!r}") from None


def _max_pain(row: Mapping[str, object], where: str) -> MaxPainExpiry:
    return MaxPainExpiry(
        expiry=_expiry(row.get("date"), f"{where}.date"),
        max_pain_price=number(row.get("max_pain_price"), f"{where}.max_pain_price"),
        call_open_interest=number(row.get("call_open_interest", 0), f"{where}.call_open_interest"),
        put_open_interest=number(row.get("put_open_interest", 0), f"{where}.put_open_interest"),
        call_open_interest_notional=number(
            row.get("call_open_interest_notional", 0), f"{where}.call_open_interest_notional"
        ),
        put_open_interest_notional=number(
            row.get("put_open_interest_notional", 0), f"{where}.put_open_interest_notional"
        ),
    )


def parse_max_pain(data: object) -> tuple[MaxPainExpiry, ...]:
    return rows(data, "data", _max_pain)


def parse_depth_history(data: object, prefix: str) -> tuple[DepthPoint, ...]:
    """Aggregated (`prefix="aggregated_"`) or pair (`prefix=""`) ask/bids history."""

    def one(row: Mapping[str, object], where: str) -> DepthPoint:
        return DepthPoint(
            ts=when(row.get("time"), f"{where}.time"),
            bids_usd=number(row.get(f"{prefix}bids_usd"), f"{where}.{prefix}bids_usd"),
            asks_usd=number(row.get(f"{prefix}asks_usd"), f"{where}.{prefix}asks_usd"),
            bids_quantity=number(row.get(f"{prefix}bids_quantity"), f"{where}.{prefix}bids_quantity"),
            asks_quantity=number(row.get(f"{prefix}asks_quantity"), f"{where}.{prefix}asks_quantity"),
        )

    return rows(data, "data", one)


def parse_cvd_history(data: object, buy_key: str, sell_key: str) -> tuple[CvdRow, ...]:
    """Pair (`taker_buy_vol`) or aggregated (`agg_taker_buy_vol`) CVD history."""

    def one(row: Mapping[str, object], where: str) -> CvdRow:
        return CvdRow(
            ts=when(row.get("time"), f"{where}.time"),
            taker_buy=number(row.get(buy_key), f"{where}.{buy_key}"),
            taker_sell=number(row.get(sell_key), f"{where}.{sell_key}"),
            cum_vol_delta=number(row.get("cum_vol_delta"), f"{where}.cum_vol_delta"),
        )

    return rows(data, "data", one)


def parse_fear_greed(data: object) -> tuple[FearGreedPoint, ...]:
    """Parallel arrays `data_list`, `price_list`, `time_list`; the docs' one-element-array form is accepted too."""
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        if not data:
            return ()
        data = data[0]
    body = mapping(data, "data")
    values = sequence(body.get("data_list"), "data.data_list")
    times = sequence(body.get("time_list"), "data.time_list")
    prices_raw = body.get("price_list")
    prices = sequence(prices_raw, "data.price_list") if prices_raw is not None else ()
    if len(values) != len(times):
        raise ParseError(f"data: data_list has {len(values)} values but time_list has {len(times)}")
    return tuple(
        FearGreedPoint(
            ts=when(times[i], f"data.time_list[{i}]"),
            value=number(values[i], f"data.data_list[{i}]"),
            price=optional_number(prices[i], f"data.price_list[{i}]") if i < len(prices) else None,
        )
        for i in range(len(values))
    )


def _funding_entry(row: Mapping[str, object], where: str) -> FundingEntry:
    next_time = row.get("next_funding_time")
    return FundingEntry(
        exchange=text(row.get("exchange"), f"{where}.exchange"),
        rate_percent=optional_number(row.get("funding_rate"), f"{where}.funding_rate"),
        interval_hours=optional_number(row.get("funding_rate_interval"), f"{where}.funding_rate_interval"),
        next_funding=None if next_time is None else when(next_time, f"{where}.next_funding_time"),
    )


def _funding_coin(row: Mapping[str, object], where: str) -> FundingCoin:
    return FundingCoin(
        symbol=text(row.get("symbol"), f"{where}.symbol"),
        stablecoin_margin=rows(
            row.get("stablecoin_margin_list", []), f"{where}.stablecoin_margin_list", _funding_entry
        ),
        token_margin=rows(row.get("token_margin_list", []), f"{where}.token_margin_list", _funding_entry),
    )


def parse_funding_exchange_list(data: object) -> tuple[FundingCoin, ...]:
    return rows(data, "data", _funding_coin)
