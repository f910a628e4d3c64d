"""One enum per concept. Values are stable strings: the store, the API and the dashboard show them as they are."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Direction of a signal or position."""

    LONG = "LONG"
    SHORT = "SHORT"

    @property
    def sign(self) -> int:
        """+1 for LONG, −1 for SHORT: P&L = sign × (exit − entry) × quantity."""
        return 1 if self is Side.LONG else -1

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG

    @property
    def entry_order_side(self) -> OrderSide:
        return OrderSide.BUY if self is Side.LONG else OrderSide.SELL

    @property
    def exit_order_side(self) -> OrderSide:
        return OrderSide.SELL if self is Side.LONG else OrderSide.BUY


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class OrderStatus(StrEnum):
    """Life of an order. PENDING_SUBMIT is written before the order leaves the process, so a crash
    between writing and sending is found at restart and reconciled by its client order id."""

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"


class Liquidity(StrEnum):
    MAKER = "MAKER"
    TAKER = "TAKER"


class Regime(StrEnum):
    """Hurst regime (A-HURST-2)."""

    TRENDING = "trending"
    NOISE = "noise"
    RANDOM_WALK = "random_walk"
    UNKNOWN = "unknown"


class Mode(StrEnum):
    """How the engine runs (R-MODE-1): only the feed, clock and broker differ."""

    BACKTEST = "backtest"
    PAPER = "paper"
    TEST = "test"
    LIVE = "live"

    @property
    def sends_real_orders(self) -> bool:
        return self in (Mode.TEST, Mode.LIVE)


class TradingState(StrEnum):
    """Whether new entries may be taken."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"  # R-M-3: consecutive losses; a person resumes
    HALTED = "HALTED"  # R-K-*: kill switch tripped; a person resets
    STANDING_DOWN = "STANDING_DOWN"  # R-STALE-1: required data too old


class Decision(StrEnum):
    """What one guard or one risk layer says about a signal."""

    ALLOW = "ALLOW"
    BLOCK = "BLOCK"
    RESIZE = "RESIZE"


class GuardName(StrEnum):
    """The intelligence gate's guards, in the SPEC's order (blocks first, then size rules)."""

    WHALE_CONFLICT = "WHALE_CONFLICT"
    LIQ_WALL = "LIQ_WALL"
    LONG_TRAP = "LONG_TRAP"
    TAKER_AGGRESSION = "TAKER_AGGRESSION"
    WHALE_INTENT = "WHALE_INTENT"
    ULTRA_CONVICTION = "ULTRA_CONVICTION"
    FEAR_GREED = "FEAR_GREED"
    RANDOM_REGIME = "RANDOM_REGIME"
    GOLDEN_HOUR = "GOLDEN_HOUR"
    PROBATION = "PROBATION"
    FEE_AWARE = "FEE_AWARE"


class RiskLayer(StrEnum):
    """The risk gate's four layers, in order (first refusal wins)."""

    GLOBAL = "GLOBAL"
    TACTICAL = "TACTICAL"
    MACRO = "MACRO"
    KILL_SWITCH = "KILL_SWITCH"


class DenyReason(StrEnum):
    """Stable reason codes of every refusal, from the gate, the risk gate or the broker boundary."""

    # intelligence gate (G-*)
    WHALE_CONFLICT = "WHALE_CONFLICT"
    LIQ_WALL_CONFLICT = "LIQ_WALL_CONFLICT"
    LONG_TRAP_DETECTED = "LONG_TRAP_DETECTED"
    TAKER_AGGRESSION_BLOCK = "TAKER_AGGRESSION_BLOCK"
    WHALE_INTENT_FILTER = "WHALE_INTENT_FILTER"
    OUTSIDE_GOLDEN_HOUR = "OUTSIDE_GOLDEN_HOUR"
    FEES_EXCEED_EXPECTED_MOVE = "FEES_EXCEED_EXPECTED_MOVE"
    # risk gate: global (R-G-*)
    NOTIONAL_EXCEEDS_MAX = "NOTIONAL_EXCEEDS_MAX"
    STOP_TOO_WIDE = "STOP_TOO_WIDE"
    MISSING_STOP = "MISSING_STOP"
    NOTIONAL_BELOW_MINIMUM = "NOTIONAL_BELOW_MINIMUM"  # sized below `risk.min_order_usd`: nothing worth sending
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    MAX_CONCURRENT_POSITIONS = "MAX_CONCURRENT_POSITIONS"
    OPPOSITE_POSITION_OPEN = "OPPOSITE_POSITION_OPEN"  # one-way mode: a symbol is long or short, not both
    # risk gate: tactical (R-T-*)
    SHORT_SHARE_TOO_HIGH = "SHORT_SHARE_TOO_HIGH"
    FUNDING_DIVERGENCE_LONG_BIAS = "FUNDING_DIVERGENCE_LONG_BIAS"
    # risk gate: macro (R-M-*)
    HEALTH_FACTOR_LOW = "HEALTH_FACTOR_LOW"
    MAX_TRADES_PER_DAY = "MAX_TRADES_PER_DAY"
    PAUSED_AFTER_LOSSES = "PAUSED_AFTER_LOSSES"
    SESSION_STOPPED = "SESSION_STOPPED"
    # kill switch and stand-down (R-K-*, R-STALE-1)
    KILL_SWITCH_TRIPPED = "KILL_SWITCH_TRIPPED"
    STALE_DATA = "STALE_DATA"
    INPUT_UNAVAILABLE = "INPUT_UNAVAILABLE"
    # modes and accounts (R-MODE-1, R-LEDGER-1)
    MODE_NOT_ARMED = "MODE_NOT_ARMED"
    TEST_MODE_CAP = "TEST_MODE_CAP"
    READ_ONLY_ACCOUNT = "READ_ONLY_ACCOUNT"


class EventType(StrEnum):
    """Kinds of event on the signal bus. Guard blocks use their `DenyReason` as the type, as the
    seed documents log them (e.g. `LIQ_WALL_CONFLICT`)."""

    SIGNAL = "SIGNAL"
    VERDICT = "VERDICT"
    GUARD_RESIZE = "GUARD_RESIZE"
    GUARD_DATA_UNAVAILABLE = "GUARD_DATA_UNAVAILABLE"
    RISK_DENIED = "RISK_DENIED"
    RISK_RESIZE = "RISK_RESIZE"
    ORDER_SUBMITTED = "ORDER_SUBMITTED"
    ORDER_REJECTED = "ORDER_REJECTED"
    FILL = "FILL"
    POSITION_OPENED = "POSITION_OPENED"
    POSITION_CLOSED = "POSITION_CLOSED"
    EXIT_BLOCKED_BY_HOLD = "EXIT_BLOCKED_BY_HOLD"
    TARGET_ADJUSTED = "TARGET_ADJUSTED"
    FUNDING_PAID = "FUNDING_PAID"
    SHADOW_OPENED = "SHADOW_OPENED"
    SHADOW_CLOSED = "SHADOW_CLOSED"
    KILL_SWITCH_TRIPPED = "KILL_SWITCH_TRIPPED"
    KILL_SWITCH_RESET = "KILL_SWITCH_RESET"
    TRADING_PAUSED = "TRADING_PAUSED"
    TRADING_RESUMED = "TRADING_RESUMED"
    STAND_DOWN = "STAND_DOWN"
    LEARNING_REVIEW = "LEARNING_REVIEW"
    THRESHOLD_CHANGED = "THRESHOLD_CHANGED"
    PROBATION_CHANGED = "PROBATION_CHANGED"
    ENGINE_STARTED = "ENGINE_STARTED"
    ENGINE_STOPPED = "ENGINE_STOPPED"


class LogTag(StrEnum):
    """Searchable log tags (I-LOG-1)."""

    LIQ = "LIQ"
    TRAP = "TRAP"
    OI = "OI"
    MACRO = "MACRO"
    TAKER = "TAKER"
    MAX_PAIN = "MAX-PAIN"
    WALL = "WALL"
    MAGNET = "MAGNET"
    WHALE_INTENT = "WHALE-INTENT"
    LIQ_MAGNET = "LIQ-MAGNET"
    FEAR_GREED = "FEAR-GREED"
    HYPERPARAM = "HYPERPARAM"
