"""Conversions between domain messages and table rows."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import chain
from math import isnan
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from sqlalchemy import Row

from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    DenyReason,
    Event,
    EventId,
    EventType,
    Fill,
    GuardName,
    Liquidity,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    PositionId,
    PositionMeta,
    Regime,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
)
from bigalpha.json_text import json_default
from bigalpha.store.records import PositionColumns
from bigalpha.store.tables import EventRow, FillRow, OrderRow, PositionRow, SignalRow


def json_ready(value: Any) -> Any:
    """`value` as plain JSON data: Decimals as strings (exact), enums as their values, datetimes ISO-8601.

    The result is what a JSON round trip gives (`_json_round_trip`), built by walking `value` once instead of
    writing and parsing text: every signal's verdict, risk record and events pass here. Anything the walk does
    not take (a circular value, a type JSON refuses) goes through the round trip, which raises its own error."""
    try:
        return _plain(value)
    except (TypeError, ValueError, RecursionError):
        return _json_round_trip(value)


def _json_round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value, default=json_default))


def _plain(value: Any) -> Any:
    """One value as the JSON encoder writes it and the decoder reads it back. The encoder's order of checks is
    kept: None and booleans, str, int, float, list or tuple, dict (subclasses included), then `json_default`."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is float:
        return math.nan if isnan(value) else value  # any NaN is written "NaN" and read back as float("nan")
    if kind is dict:
        return _plain_pairs(value.items())
    if kind is list or kind is tuple:
        return _plain_items(value)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _CONVERTERS[kind] = _converter(kind)
    return convert(value)


def _plain_items(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    """`_plain` of a list or tuple (exactly those types)."""
    if _AS_IS.issuperset(map(type, value)):
        return list(value)  # checked in C: no item needs converting (a pair of texts, for one)
    if _SEQUENCES.issuperset(map(type, value)) and _AS_IS.issuperset(map(type, chain.from_iterable(value))):
        return list(map(list, value))  # each item as above (a verdict's evidence pairs), also checked in C
    return [
        item
        if (item_kind := type(item)) in _AS_IS or (item_kind is float and not isnan(item))
        else (_CONVERTERS.get(item_kind) or _plain)(item)
        for item in value
    ]


def _plain_pairs(pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """`_plain` of a dict with these (key, value) pairs, in their order."""
    # Leaves are taken inline: most of a record's values are, and a call per leaf would cost more than the rest.
    # A value of a type met before goes straight to its converter (`_plain` would only look it up).
    return {
        (key if type(key) is str else _plain_key(key)): (
            item
            if (item_kind := type(item)) in _AS_IS or (item_kind is float and not isnan(item))
            else (_CONVERTERS.get(item_kind) or _plain)(item)
        )
        for key, item in pairs
    }


def _converter(kind: type) -> Callable[[Any], Any]:
    """`_plain` for every value of type `kind` (not a plain JSON type): the branch `_plain_other` would take,
    found once per type where the type alone decides it, else `_plain_other` itself.

    The type decides for a str subclass (`isinstance(value, str)`, the first check, succeeds on the type
    alone); for a read-only mapping (evidence), a Decimal, a datetime or a date of exactly those types (no
    subclass can change what `json_default` does with them); and for a record dataclass (`_record_fields`)
    that does not redefine `__class__`, which the isinstance checks before `json_default` would consult."""
    if issubclass(kind, str):
        return str.__str__  # enums and other str subclasses are written as their text
    if kind is MappingProxyType:
        return _plain_proxy
    if kind is Decimal:
        return _decimal_text
    if kind is datetime or kind is date:
        return _iso_text
    names = _record_fields(kind)
    if names is not None and all("__class__" not in vars(base) for base in kind.__mro__[:-1]):
        return _record_converter(names)
    return _plain_other


def _plain_proxy(value: MappingProxyType[Any, Any]) -> dict[str, Any]:
    return _plain_pairs(dict(value.items()).items())  # the dict `json_default` makes of it


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _iso_text(value: date) -> str:
    return value.isoformat()


def _record_converter(names: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """`_plain` of a record with the fields `names`: its fields read first (as `json_default` reads them into a
    dict), then made plain (field names are str keys, none repeated)."""
    if not names:
        return lambda _: {}
    read: Callable[[Any], Any] = attrgetter(*names)
    if len(names) == 1:
        return lambda value: _plain_pairs(zip(names, (read(value),), strict=True))
    return lambda value: _plain_pairs(zip(names, read(value), strict=True))


def _plain_other(value: Any) -> Any:
    """`_plain` of a subclass of a JSON type, or of what `json_default` turns into one."""
    if isinstance(value, str):
        return str.__str__(value)  # enums and other str subclasses are written as their text
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return _plain(float.__float__(value))
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]  # a subclass through its own __iter__, as the encoder reads it
    if isinstance(value, dict):
        return {_plain_key(key): _plain(item) for key, item in value.items()}
    return _plain(_default_form(value))


def _default_form(value: Any) -> Any:
    """`json_default(value)`, with the answers for read-only mappings (evidence) and dataclasses found faster."""
    kind = type(value)
    if kind is MappingProxyType:
        return dict(value.items())
    if kind not in _RECORD_FIELDS:
        _RECORD_FIELDS[kind] = _record_fields(kind)
    names = _RECORD_FIELDS[kind]
    if names is not None:
        return {name: getattr(value, name) for name in names}
    return json_default(value)


def _record_fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass whose instances `json_default` always writes field by field (no earlier
    branch there takes them, and with no instance dict nor custom attribute lookup, whether an instance has
    `isoformat` is its class's answer); None for any other type."""
    plain = (
        dataclasses.is_dataclass(kind)
        and not issubclass(kind, (Decimal, StrEnum))
        and not hasattr(kind, "isoformat")
        and kind.__dictoffset__ == 0
        and not hasattr(kind, "__getattr__")
        and kind.__getattribute__ is object.__getattribute__
    )
    return tuple(f.name for f in dataclasses.fields(kind)) if plain else None


# Values a JSON round trip gives back equal and of the same type (a float too unless NaN, checked where met).
_AS_IS: frozenset[type] = frozenset({str, int, bool, type(None)})
_SEQUENCES: frozenset[type] = frozenset({list, tuple})
_RECORD_FIELDS: dict[type, tuple[str, ...] | None] = {}
# `_plain` of the values of each other type met (`_converter`); a type is looked at once.
_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def _plain_key(key: Any) -> str:
    """A dict key as the JSON encoder writes it (str, float, bool or None, int, in that order of checks)."""
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, float):
        if isnan(key):
            return "NaN"
        return float.__repr__(key) if math.isfinite(key) else ("Infinity" if key > 0 else "-Infinity")
    if key is None:
        return "null"
    if key is True or key is False:
        return "true" if key else "false"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def signal_values(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "ts": signal.ts,
        "symbol": signal.symbol,
        "side": signal.side.value,
        "strategy": signal.strategy,
        "source": signal.source,
        "price": signal.price,
        "conviction": signal.conviction,
        "size_multiplier": signal.size_multiplier,
        "stop_pct": signal.stop_pct,
        "expected_move_bps": signal.expected_move_bps,
        "requested_notional_usd": signal.requested_notional_usd,
        "targets_pct": list(signal.targets_pct) if signal.targets_pct is not None else None,
    }


def signal_from_row(row: SignalRow) -> Signal:
    return Signal(
        id=SignalId(row.id),
        ts=row.ts,
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        strategy=StrategyName(row.strategy),
        price=row.price,
        conviction=row.conviction,
        size_multiplier=row.size_multiplier,
        stop_pct=row.stop_pct,
        targets_pct=tuple(row.targets_pct) if row.targets_pct is not None else None,
        expected_move_bps=row.expected_move_bps,
        requested_notional_usd=row.requested_notional_usd,
        source=row.source,
    )


def order_values(order: Order, *, filled: Decimal = Decimal(0)) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "ts": order.ts,
        "updated_at": order.ts,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "quantity": order.quantity,
        "filled_quantity": filled,
        "price": order.price,
        "reduce_only": order.reduce_only,
        "account": order.account,
        "status": order.status.value,
        "tag": order.tag,
        "signal_id": order.signal_id,
        "position_id": order.position_id,
    }


def order_from_row(row: OrderRow) -> Order:
    return Order(
        client_order_id=ClientOrderId(row.client_order_id),
        ts=row.ts,
        symbol=Symbol(row.symbol),
        side=OrderSide(row.side),
        type=OrderType(row.type),
        quantity=row.quantity,
        account=AccountName(row.account),
        price=row.price,
        reduce_only=row.reduce_only,
        signal_id=SignalId(row.signal_id) if row.signal_id else None,
        position_id=PositionId(row.position_id) if row.position_id else None,
        status=OrderStatus(row.status),
        tag=row.tag,
    )


def fill_values(fill: Fill) -> dict[str, Any]:
    return {
        "client_order_id": fill.client_order_id,
        "ts": fill.ts,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": fill.price,
        "quantity": fill.quantity,
        "fee": fill.fee,
        "liquidity": fill.liquidity.value,
        "trade_id": fill.trade_id,
    }


def fill_from_row(row: FillRow) -> Fill:
    return Fill(
        client_order_id=ClientOrderId(row.client_order_id),
        ts=row.ts,
        symbol=Symbol(row.symbol),
        side=OrderSide(row.side),
        price=row.price,
        quantity=row.quantity,
        fee=row.fee,
        liquidity=Liquidity(row.liquidity),
        trade_id=row.trade_id,
    )


def position_values(position: Position) -> dict[str, Any]:
    """Every column of `position`'s row, so one write serves insert and update."""
    return {
        "id": position.id,
        "symbol": position.symbol,
        "side": position.side.value,
        "account": position.account,
        "strategy": position.strategy,
        "signal_id": position.signal_id,
        "opened_at": position.opened_at,
        "closed_at": position.closed_at,
        "entry_price": position.entry_price,
        "quantity": position.quantity,
        "initial_quantity": position.initial_quantity,
        "leverage": position.leverage,
        "margin": position.margin,
        "stop_price": position.stop_price,
        "targets": [format(target, "f") for target in position.targets],
        "tiers_done": position.tiers_done,
        "realized_pnl": position.realized_pnl,
        "fees_paid": position.fees_paid,
        "funding_paid": position.funding_paid,
        "exit_reason": position.exit_reason,
        "meta": meta_to_json(position.meta),
    }


def meta_to_json(meta: PositionMeta | None) -> dict[str, Any] | None:
    return json_ready(meta) if meta is not None else None  # field by field: asdict deep-copies the evidence


def meta_from_json(raw: Mapping[str, Any] | None) -> PositionMeta | None:
    if raw is None:
        return None
    values = dict(raw)
    values["regime"] = Regime(values["regime"])
    values["verdict_evidence"] = tuple(map(tuple, values.get("verdict_evidence", ())))
    return PositionMeta(**values)


def position_from_row(row: PositionRow | Row[Any] | PositionColumns) -> Position:
    # A Core row (or its plain tuple) reads the same as the table object: its columns are attributes by the same names.
    meta = meta_from_json(row.meta)
    return Position(
        id=PositionId(row.id),
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        account=AccountName(row.account),
        opened_at=row.opened_at,
        entry_price=row.entry_price,
        quantity=row.quantity,
        initial_quantity=row.initial_quantity,
        leverage=row.leverage,
        margin=row.margin,
        stop_price=row.stop_price,
        targets=tuple(Decimal(target) for target in row.targets),
        signal_id=SignalId(row.signal_id) if row.signal_id else None,
        strategy=row.strategy,
        meta=meta,
        tiers_done=row.tiers_done,
        realized_pnl=row.realized_pnl,
        fees_paid=row.fees_paid,
        funding_paid=row.funding_paid,
        closed_at=row.closed_at,
        exit_reason=row.exit_reason,
    )


def event_values(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "ts": event.ts,
        "type": event.type.value,
        "source": event.source,
        "symbol": event.symbol,
        "side": event.side.value if event.side else None,
        "guard": event.guard.value if event.guard else None,
        "message": event.message,
        "data": json_ready(event.data),
    }


def event_from_row(row: EventRow) -> Event:
    kind: EventType | DenyReason = EventType(row.type) if row.type in EventType.__members__ else DenyReason(row.type)
    return Event(
        id=EventId(row.id),
        ts=row.ts,
        type=kind,
        source=row.source,
        symbol=Symbol(row.symbol) if row.symbol else None,
        side=Side(row.side) if row.side else None,
        guard=GuardName(row.guard) if row.guard else None,
        message=row.message,
        data=dict(row.data),
    )
