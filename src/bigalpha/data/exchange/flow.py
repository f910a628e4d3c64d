"""Pure computations on exchange data: option max pain, taker flow and volume delta from bars and trades.

Max pain (A-MP-1's input, D-SRC-1): for each candidate settlement price K among the listed strikes,
the total payout to option holders is Σ_calls OI·max(0, K − strike) + Σ_puts OI·max(0, strike − K);
max pain is the K with the smallest payout (the lowest such K on a tie).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bigalpha.data.providers import CvdPoint, TakerFlow
from bigalpha.domain import Bar, OrderSide, Trade

BAR_S = 60.0


@dataclass(frozen=True, slots=True)
class OptionOpenInterest:
    """Open interest (contracts) of one option series."""

    expiry: date
    strike: float
    is_call: bool
    open_interest: float


def max_pain(options: Iterable[OptionOpenInterest]) -> float | None:
    """The strike minimizing the total payout to option holders; None without open interest."""
    calls: list[tuple[float, float]] = []
    puts: list[tuple[float, float]] = []
    for option in options:
        if option.open_interest > 0:
            (calls if option.is_call else puts).append((option.strike, option.open_interest))
    strikes = sorted({strike for strike, _ in calls} | {strike for strike, _ in puts})
    if not strikes:
        return None
    best_strike, best_payout = strikes[0], math.inf
    for k in strikes:
        payout = sum(oi * max(0.0, k - s) for s, oi in calls) + sum(oi * max(0.0, s - k) for s, oi in puts)
        if payout < best_payout:
            best_strike, best_payout = k, payout
    return best_strike


_DERIBIT_OPTION = re.compile(r"^[A-Z_]+-(\d{1,2}[A-Z]{3}\d{2})-([0-9d.]+)-([CP])$")


def parse_deribit_option(name: str) -> tuple[date, float, bool] | None:
    """`BTC-27DEC24-100000-C` → (2024-12-27, 100000.0, True); None for a name of another form."""
    match = _DERIBIT_OPTION.match(name)
    if match is None:
        return None
    try:
        expiry = datetime.strptime(match.group(1).title(), "%d%b%y").replace(tzinfo=UTC).date()
        strike = float(match.group(2).replace("d", "."))
    except ValueError:
        return None
    return expiry, strike, match.group(3) == "C"


def nearest_expiry(options: Sequence[OptionOpenInterest], today: date) -> list[OptionOpenInterest]:
    """The series of the nearest expiry not before `today` (the one whose settlement comes next)."""
    upcoming = sorted({o.expiry for o in options if o.expiry >= today})
    if not upcoming:
        return []
    return [o for o in options if o.expiry == upcoming[0]]


def fill_taker_from_trades(bars: Sequence[Bar], trades: Sequence[Trade]) -> tuple[Bar, ...]:
    """Bars whose exchange gives no taker split get it from trades: exact for a bar the trade sample
    covers (the sample's first trade is at or before the bar's open), else the volume times the
    sample's buy share (an estimate), or half the volume when there are no trades at all."""
    if not trades:
        return tuple(
            b if not math.isnan(b.taker_buy_volume) else replace(b, taker_buy_volume=b.volume / 2) for b in bars
        )
    first = min(t.ts for t in trades)
    total = sum(t.quantity for t in trades)
    buy_share = sum(t.quantity for t in trades if t.side is OrderSide.BUY) / total if total > 0 else 0.5
    result = []
    for bar in bars:
        if not math.isnan(bar.taker_buy_volume):
            result.append(bar)
            continue
        if bar.ts >= first:
            end = bar.ts + timedelta(seconds=BAR_S)
            buys = sum(t.quantity for t in trades if bar.ts <= t.ts < end and t.side is OrderSide.BUY)
            result.append(replace(bar, taker_buy_volume=min(buys, bar.volume)))
        else:
            result.append(replace(bar, taker_buy_volume=bar.volume * buy_share))
    return tuple(result)


def taker_flow(bars: Sequence[Bar], window_bars: int) -> tuple[TakerFlow, datetime] | None:
    """Taker buy and sell volume (USD, at each bar's close) over the newest `window_bars` bars (A-TAKER-1),
    with the newest bar's open time; None without bars."""
    recent = sorted(bars, key=lambda b: b.ts)[-window_bars:]
    if not recent:
        return None
    buy = sum(b.taker_buy_volume * b.close for b in recent)
    sell = sum(b.taker_sell_volume * b.close for b in recent)
    return TakerFlow(buy, sell, BAR_S * len(recent)), recent[-1].ts


def cvd_from_trades(trades: Sequence[Trade], bucket_s: float = BAR_S) -> tuple[CvdPoint, ...]:
    """Volume delta per bucket (USD notional) from real trades: buy = taker buys, sell = taker sells."""
    buckets: dict[datetime, list[float]] = {}
    for trade in trades:
        epoch = trade.ts.timestamp()
        start = datetime.fromtimestamp(epoch - epoch % bucket_s, tz=UTC)
        sums = buckets.setdefault(start, [0.0, 0.0])
        sums[0 if trade.side is OrderSide.BUY else 1] += trade.notional
    return tuple(CvdPoint(ts, buy, sell) for ts, (buy, sell) in sorted(buckets.items()))
