"""Typed identifiers: a position id can never be passed where an order id belongs."""

from __future__ import annotations

import uuid
from typing import NewType

Symbol = NewType("Symbol", str)
SignalId = NewType("SignalId", str)
ClientOrderId = NewType("ClientOrderId", str)
PositionId = NewType("PositionId", str)
EventId = NewType("EventId", str)
StrategyName = NewType("StrategyName", str)
AccountName = NewType("AccountName", str)


def new_id(prefix: str) -> str:
    """A unique id with a readable prefix ("sig", "ord", "pos", "evt")."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"
