"""The whole bot over a history, fast: the engine itself, shown only the bars where a decision is taken.

`Engine.process_tick` is the same code as in paper and live trading. What makes a backtest fast is what it is
*not* shown:

1. the rolling indicators are computed once over the whole history (`contexts.ColumnContextBuilder`), so a
   context costs lookups instead of a trailing-window recomputation;
2. a symbol's bar reaches the engine only when something can happen on it: a strategy may signal there (for
   Alpha-OFI, bars whose OFI and CVD pass its threshold and whose time is past its cool-down; for the tactical
   setups, the bars `setup_filters` keeps, the left-out ones handed from arrays to a setup that needs them; a
   strategy the backtester knows no filter for sees every bar of the symbols it trades), an order waits on the
   symbol for the next bar's open, an open shadow trade (L-SHADOW-1) or position can change on the bar (`wakeups`:
   its stop, its next target or its max pain is reached, its max hold runs out, or its TRUE TREND hold is still
   being judged; for a position also a mark that could trip R-K-1, and each new day or session while it is open),
   a scheduled job or a funding time falls on the tick, a position closed on the tick before (the kill switch
   judges the close then), or the kill switch may trip on it (R-K-3: the health factor turns critical); on history
   files, a held symbol's ticks without its bar, and its bar before each (`_stale_ticks`); every tick shown marks
   every open position;
3. the resume point is saved once, at the end (`checkpoint_every`), since a backtest is re-run, not resumed.

The filters only ever skip a bar on which the engine would have done nothing; `dense=True` shows every bar
and tests prove both give the same trades and shadows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.broker import BacktestBroker, TriggerBook, TriggerRecordingExitPolicy
from bigalpha.backtest.contexts import (
    ColumnContextBuilder,
    SymbolColumns,
    ThresholdEras,
    blended_ofi_columns,
    epoch_ns,
    era_arrays,
    symbol_columns,
)
from bigalpha.backtest.market import Lane, Market, MarketError
from bigalpha.backtest.probe import ColumnWhaleProbe
from bigalpha.backtest.setup_filters import TOLERANCE, SetupFilter, bar_time, setup_filters
from bigalpha.backtest.supervision import Supervision, Supervisor
from bigalpha.backtest.wakeups import PositionWakeups, ShadowWakeups, Waker
from bigalpha.clock import SimulatedClock
from bigalpha.config import Settings
from bigalpha.data.ports import Tick, tick_time
from bigalpha.domain import Mode, Position, Symbol
from bigalpha.engine.build import build_engine
from bigalpha.engine.core import Engine
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.flow import FlowInputs
from bigalpha.risk import period_at
from bigalpha.store import Store
from bigalpha.strategies.alpha_ofi import NAME as ALPHA_OFI
from bigalpha.strategies.base import Strategy
from bigalpha.strategies.setups import LowerBandLong, SolFeeFadeSetup, UpperBandShort, XrpSqueezeSetup

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]
_NEVER = 10**9  # ticks between checkpoints: only the final one is written
_TOLERANCE = 1e-9  # the candidate filter is a superset: a bar within rounding of the threshold is shown


@dataclass
class BotRun:
    engine: Engine
    store: Store
    equity: FloatArray  # equity at every traded tick's close (`Market.traded_ns`)
    exposure: float  # fraction of ticks with a position open
    ticks_processed: int
    lanes_processed: int
    jobs: list[str]
    last_marks: dict[Symbol, Decimal] = field(default_factory=dict)
    open_positions: list[Position] = field(default_factory=list)


# The strategies that read neither the Hurst estimate (A-HURST-1) nor the order-book walls (A-OB-1) of the contexts
# they are shown: with only these, a context's estimate and walls are made when a decision reads them (a signal's
# gate, sizing and entry plan), not on every bar shown.
_READ_NO_DEFERRED = frozenset(
    {ALPHA_OFI, LowerBandLong.NAME, UpperBandShort.NAME, SolFeeFadeSetup.NAME, XrpSqueezeSetup.NAME}
)


def _setup_symbols(settings: Settings) -> dict[str, str]:
    """The symbol each tactical setup trades, by strategy name: a setup ignores every other symbol's bars."""
    cfg = settings.setups
    return {
        LowerBandLong.NAME: cfg.btc_lower_band_long.symbol,
        UpperBandShort.NAME: cfg.btc_upper_band_short.symbol,
        SolFeeFadeSetup.NAME: cfg.sol_fee_fade.symbol,
        XrpSqueezeSetup.NAME: cfg.xrp_squeeze.symbol,
    }


def _ofi_candidates(settings: Settings, lane: Lane, columns: SymbolColumns) -> BoolArray:
    """Bars where Alpha-OFI's direction test (S-OFI) can pass: a superset, the strategy itself decides."""
    cfg = settings.indicators
    threshold = settings.setups.alpha_ofi.entry_threshold - _TOLERANCE
    taker = columns.flow.ofi
    cvd = columns.flow.cvd_usd
    w = cfg.ofi_taker_weight
    if w >= 1.0:
        high = low = taker
    elif lane.book is None:
        return np.zeros(taker.shape[0], dtype=np.bool_)
    else:
        estimate = blended_ofi_columns(taker, lane.book.bid, lane.book.ask, w)
        # Where a wall may be among the top levels the book half is unknown: assume the most favourable book.
        high = np.where(lane.book.uncertain, w * taker + (1.0 - w), estimate)
        low = np.where(lane.book.uncertain, w * taker - (1.0 - w), estimate)
    with np.errstate(invalid="ignore"):
        out: BoolArray = ((high >= threshold) & (cvd > 0)) | ((low <= -threshold) & (cvd < 0))
    return out


def _health_critical(settings: Settings, market: Market) -> BoolArray:
    """The ticks the kill switch must judge for R-K-3: it latches on the first tick it sees a health factor below
    the flatten level, so the first tick of each critical spell is shown, and, since a superset is safe and a
    rounding must not hide one, every tick whose health factor is within `TOLERANCE` above that level."""
    n = market.tick_ns.shape[0]
    risk = settings.risk
    if market.health_factor is None or not risk.health_factor_required:
        return np.zeros(n, dtype=np.bool_)
    limit = risk.health_factor_flatten
    health = market.health_factor()
    with np.errstate(invalid="ignore"):
        critical = health < limit
        near: BoolArray = (health < limit + TOLERANCE * max(1.0, abs(limit))) & ~critical
    starts = critical.copy()
    starts[1:] &= ~critical[:-1]
    first = market.first_tick  # a spell already under way when the warm-up ends is first seen there
    starts[first : first + 1] |= critical[first : first + 1]
    return starts | near


def _period_starts(tick_ns: npt.NDArray[np.int64], settings: Settings, first: int = 0) -> npt.NDArray[np.int64]:
    """The first tick of each new trading day or session after the first tick traded (`first`): where the risk
    account rolls, and R-K-1's session drawdown takes a new base and limit."""
    if tick_ns.shape[0] <= first:
        return np.zeros(0, dtype=np.int64)
    hour, hours = settings.risk.day_start_utc_hour, settings.setups.session.session_hours
    period = period_at(bar_time(int(tick_ns[first])), hour, hours)
    starts = []
    while (start := epoch_ns(period.until)) <= int(tick_ns[-1]):
        starts.append(start)
        period = period_at(period.until, hour, hours)
    return np.unique(np.searchsorted(tick_ns, np.asarray(starts, dtype=np.int64), side="left"))


def _boundaries(tick_ns: npt.NDArray[np.int64], periods: list[timedelta], first: int) -> BoolArray:
    forced = np.zeros(tick_ns.shape[0], dtype=np.bool_)
    forced[first : first + 1] = True  # the first tick traded sets the schedule's phase
    for period in periods:
        slot = tick_ns // int(period.total_seconds() * 1e9)
        forced[1:] |= slot[1:] != slot[:-1]
    return forced


def check_bot_market(market: Market) -> None:
    """Refuse a market the bot cannot run on: a symbol without taker buy volume (A-CVD-1, A-OFI-1), saying why."""
    missing = [
        f"{symbol} ({lane.taker_gap})" if lane.taker_gap else str(symbol)
        for symbol, lane in market.lanes.items()
        if not lane.has_taker_volume
    ]
    if missing:
        raise MarketError(
            f"{market.source}: the bot needs taker buy volume (A-CVD-1, A-OFI-1) and {', '.join(missing)} has none; "
            "use Binance kline CSVs (taker_buy_volume), or put each symbol's aggTrades files beside its candles (every "
            "bar that traded needs its trades: --start/--end can keep to the days they cover), or a simulator "
            "dataset, or --strategy sma_cross"
        )


def run_bot(
    settings: Settings,
    market: Market,
    store_path: Path,
    *,
    dense: bool = False,
    strategies: list[Strategy] | None = None,
    progress: Progress | None = None,
    supervision: Supervision | None = None,
) -> BotRun:
    """Run the bot (or `strategies`) over `market`, writing to a fresh SQLite store at `store_path`; `supervision`:
    a simulated person who resumes a pause and resets the kill switch (none by default, `backtest.supervision`)."""
    check_bot_market(market)
    store = Store.open(settings, url=f"sqlite:///{store_path}", batched=True)  # a fresh file only this run reads
    triggers = TriggerBook()
    perp = settings.positions.perp
    broker = BacktestBroker(
        Decimal(repr(perp.taker_fee_bps)), Decimal(repr(settings.execution.paper_slippage_bps)), triggers
    )
    built = build_engine(
        settings,
        Mode.BACKTEST,
        feed=_NoFeed(market),
        store=store,
        clock=SimulatedClock(_first_open(market)),  # the engine starts as the first bar traded opens
        broker=broker,
        checkpoint_every=_NEVER,
        chosen_strategies=strategies,
    )
    engine = built.engine
    engine.parts.exit_policy = TriggerRecordingExitPolicy(engine.parts.exit_policy, triggers)
    supervisor = None
    if supervision is not None and supervision.attended:
        supervisor = Supervisor(supervision, engine.bus, engine.parts.risk.latches_changed)

    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    columns = {
        symbol: symbol_columns(lane.arrays(threshold), market.tick_ns[lane.tick], settings.indicators, threshold)
        for symbol, lane in market.lanes.items()
    }

    def columns_in(eras: ThresholdEras) -> dict[Symbol, SymbolColumns]:
        """The columns again after L-OPT-1 adopted a new whale threshold (each bar at its era's threshold)."""
        current = eras.eras[-1][1]
        out = {}
        for symbol, lane in market.lanes.items():
            bar_ns = market.tick_ns[lane.tick]
            out[symbol] = symbol_columns(era_arrays(lane.arrays, bar_ns, eras), bar_ns, settings.indicators, current)
        return out

    builder = ColumnContextBuilder(settings.indicators, columns, columns_in)
    builder.defer_hurst = builder.defer_walls = all(
        strategy.name in _READ_NO_DEFERRED for strategy in engine.parts.strategies
    )
    engine.builder = builder
    engine.whale_probe = ColumnWhaleProbe(settings, market.lanes, market.tick_ns)
    engine.start()
    filters = {} if dense else _filters(market, engine.parts.strategies, threshold)
    loop = _Loop(settings, market, engine, broker, columns, filters, dense, progress)
    try:
        run = loop.run(store, supervisor)
    finally:
        if supervisor is not None:
            supervisor.close()
    store.flush()  # the run's records on disk when it returns, as if each transaction had been committed
    return run


def _first_open(market: Market) -> datetime:
    """The open of the first bar traded (the epoch for a market without one)."""
    traded = market.traded_ns
    if not traded.shape[0]:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return bar_time(int(traded[0]) - round(market.bar_seconds * 1e9))


def _filters(market: Market, strategies: Sequence[Strategy], threshold: float) -> dict[str, SetupFilter | None]:
    """The tactical setups' filters, from their state once the engine has started (`setup_filters`), over the bars
    traded (a warm-up's are never shown to a setup)."""
    bar_ns = {symbol: market.tick_ns[lane.tick] for symbol, lane in market.lanes.items()}
    flows = _LazyFlows(market, threshold)
    first = {symbol: int(np.searchsorted(lane.tick, market.first_tick)) for symbol, lane in market.lanes.items()}
    return setup_filters(strategies, market.lanes, bar_ns, flows, first)


class _LazyFlows(Mapping[Symbol, FlowInputs]):
    """A symbol's indicator inputs, made only if a filter reads them (S-BTC-L: the bars' taker flow)."""

    def __init__(self, market: Market, threshold: float) -> None:
        self._market, self._threshold = market, threshold

    def __getitem__(self, symbol: Symbol) -> FlowInputs:
        return self._market.lanes[symbol].arrays(self._threshold).flow

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._market.lanes)

    def __len__(self) -> int:
        return len(self._market.lanes)


class _NoFeed:
    """`build_engine` wants a feed; the backtest hands the engine its ticks itself."""

    def __init__(self, market: Market) -> None:
        self.symbols = market.symbols

    def ticks(self) -> Iterator[Tick]:
        return iter(())

    def close(self) -> None:
        return None


class _Loop:
    """Walks the ticks, deciding per tick which symbols' snapshots the engine must see."""

    def __init__(
        self,
        settings: Settings,
        market: Market,
        engine: Engine,
        broker: BacktestBroker,
        columns: dict[Symbol, SymbolColumns],
        filters: dict[str, SetupFilter | None],
        dense: bool,
        progress: Progress | None,
    ) -> None:
        self.market = market
        self.engine = engine
        self.broker = broker
        self.progress = progress
        n = market.tick_ns.shape[0]
        self.present = {s: _mask(n, lane.tick) for s, lane in market.lanes.items()}
        setup_symbols = _setup_symbols(settings)
        self.dense = dense
        self.always: set[Symbol] = set(market.symbols) if dense else set()
        self.ofi: dict[Symbol, BoolArray] = {}
        self.ofi_strategy: Strategy | None = None
        self.setup_shown: dict[Symbol, BoolArray] = {}  # per symbol, the ticks a filtered setup must see
        self.catch_ups: dict[Symbol, list[tuple[SetupFilter, npt.NDArray[np.int64]]]] = {}
        self.cooldown = timedelta(minutes=settings.setups.alpha_ofi.cooldown_minutes)
        for strategy in engine.parts.strategies:
            if strategy.name == ALPHA_OFI:
                self.ofi_strategy = strategy
                for s, lane in market.lanes.items():
                    self.ofi[s] = _mask(n, lane.tick[_ofi_candidates(settings, lane, columns[s])])
            elif strategy.name in setup_symbols:
                chosen = filters.get(strategy.name)
                if chosen is None:
                    self.always |= {s for s in market.symbols if s == setup_symbols[strategy.name]}
                    continue
                tick = market.lanes[chosen.symbol].tick
                shown = self.setup_shown.setdefault(chosen.symbol, np.zeros(n, dtype=np.bool_))
                shown |= _mask(n, tick[chosen.shown])
                if chosen.catch_up is not None:
                    self.catch_ups.setdefault(chosen.symbol, []).append((chosen, tick))
            else:
                self.always |= set(market.symbols)  # no filter known: every bar
        periods = [every for _name, every, _job in engine.parts.jobs]
        periods.append(timedelta(hours=settings.positions.perp.funding_interval_hours))
        self.first = market.first_tick  # the ticks before it close warm-up bars: never shown
        self.forced = _boundaries(market.tick_ns, periods, self.first) | _health_critical(settings, market)
        self.next_allowed: dict[Symbol, int] = {}
        any_ofi = np.zeros(n, dtype=np.bool_)
        for mask in self.ofi.values():
            any_ofi |= mask
        always_any = np.zeros(n, dtype=np.bool_)
        for s in self.always:
            always_any |= self.present[s]
        for s, shown in self.setup_shown.items():
            if s not in self.always:
                always_any |= shown
        final = np.zeros(n, dtype=np.bool_)
        final[-1:] = True
        self.scheduled = np.flatnonzero(any_ofi | always_any | self.forced | final)
        waker = Waker(market.lanes, market.tick_ns, n, settings.positions, settings.indicators)
        self.wakeups = ShadowWakeups(waker)
        self.position_wakeups = PositionWakeups(waker)
        self.period_starts = _period_starts(market.tick_ns, settings, self.first)
        self.period_start = _mask(n, self.period_starts)
        self.stale = _stale_ticks(self.present)
        # The tick after a close: the risk account learns of a close after that tick's kill-switch check, and the
        # next check may trip it on the new streak (R-K-2) or the realized drawdown (R-K-1).
        self.recheck = n

    def run(self, store: Store, supervisor: Supervisor | None = None) -> BotRun:
        engine, market = self.engine, self.market
        reader = market.reader()
        n, first = market.tick_ns.shape[0], self.first
        equity = np.empty(n)
        level = float(engine.equity())
        in_market = 0
        ticks = lanes = 0
        active: set[Symbol] = set()
        signals = engine.summary.signals
        report_every = max((n - first) // 200, 1)
        report_at = first + report_every  # the next tick to report: reached by a step or jumped over by a skip
        i = first
        while i < n:
            if not active:
                nxt = min(self._next_shown(i, supervisor), n)
                if nxt > i:
                    in_market += self._between(equity, i, nxt, level)
                    i = nxt
                    if i >= n:
                        break
            # The first tick at or after a person's act shows every symbol, as a run shown every bar does: a kill
            # switch reset while the health factor is still critical trips again on that tick (R-K-3).
            attend = supervisor is not None and supervisor.next_due_ns <= market.tick_ns[i]
            chosen = self._symbols_at(i, active, every=attend)
            tick = reader.tick(i, chosen) if chosen else ()
            self._catch_up(i, (snap.symbol for snap in tick))
            if tick:
                if attend and supervisor is not None:
                    supervisor.act(tick_time(tick))  # before the engine sees the tick, as a person between ticks
                self._process(i, tick)
                ticks += 1
                lanes += len(tick)
                if engine.summary.signals != signals:
                    signals = engine.summary.signals
                    self._cooldowns()
                active = self._active()
                level = float(engine.equity())
                in_market += 1 if engine.book.positions else 0
                equity[i] = level
            else:
                in_market += self._between(equity, i, i + 1, level)  # a candidate bar a cool-down kept from showing
            i += 1
            if self.progress is not None and i >= report_at:
                self.progress(i - first, n - first)
                report_at = first + ((i - first) // report_every + 1) * report_every
        if self.progress is not None:
            self.progress(n - first, n - first)
        last = engine.last_tick
        if last is not None:
            engine.close_shadows(last, "end of data")
        engine.stop("end of data")
        return BotRun(
            engine=engine,
            store=store,
            equity=equity[first:],
            exposure=in_market / (n - first) if n > first else 0.0,
            ticks_processed=ticks,
            lanes_processed=lanes,
            jobs=list(engine.summary.ran_jobs),
            last_marks=engine.marks(),
            open_positions=list(engine.book.positions.values()),
        )

    def _process(self, i: int, tick: Tick) -> None:
        """Show the engine tick i, telling it which shadows and positions the tick's bars can change; then the next
        wake-ups of those it judged."""
        engine = self.engine
        closed = engine.summary.closed
        if self.dense:
            engine.process_tick(tick)
            self.wakeups.after_tick(i, (snap.symbol for snap in tick), engine.open_shadows)
            return
        due = self.wakeups.due_ids(i)
        quiet = self.position_wakeups.quiet(i, self.broker.pending_positions())
        if self.stale:
            # a position whose symbol has no bar on this tick is judged, as every tick judges it in a dense run
            quiet -= {p.id for p in engine.book.positions.values() if not self.present[p.symbol][i]}
        engine.process_tick(tick, due_shadows=due, quiet_positions=quiet)
        self.wakeups.after_tick(i, (snap.symbol for snap in tick), engine.open_shadows, due)
        floor = engine.parts.risk.unrealized_floor()
        self.position_wakeups.after_tick(i, engine.book.positions.values(), engine.exit_states, floor, quiet)
        if engine.summary.closed != closed:
            self.recheck = i + 1

    def _next_shown(self, i: int, supervisor: Supervisor | None) -> int:
        """With no order waiting for a fill, the first tick from i on where something can happen (n: none)."""
        n = self.market.tick_ns.shape[0]
        k = int(np.searchsorted(self.scheduled, i))
        nxt = min(int(self.scheduled[k]) if k < self.scheduled.shape[0] else n, self.wakeups.earliest())
        if self.engine.book.positions:
            nxt = min(nxt, self.position_wakeups.earliest())
            k = int(np.searchsorted(self.period_starts, i))
            if k < self.period_starts.shape[0]:
                nxt = min(nxt, int(self.period_starts[k]))
            for symbol in {p.symbol for p in self.engine.book.positions.values()} & self.stale.keys():
                ticks = self.stale[symbol]
                k = int(np.searchsorted(ticks, i))
                if k < ticks.shape[0]:
                    nxt = min(nxt, int(ticks[k]))
        if supervisor is not None:
            nxt = min(nxt, int(np.searchsorted(self.market.tick_ns, supervisor.next_due_ns)))
        return min(nxt, self.recheck) if self.recheck >= i else nxt

    def _between(self, equity: FloatArray, start: int, end: int, level: float) -> int:
        """Ticks [start, end) are not shown: their equity, the open positions marked at each tick's closes as the
        engine marks them (`Engine.equity`); and how many of them have a position open."""
        book = self.engine.book
        if not book.positions:
            equity[start:end] = level
            return 0
        ticks = np.arange(start, end, dtype=np.int64)
        closes: dict[Symbol, list[float]] = {}
        for symbol in {p.symbol for p in book.positions.values()}:
            lane = self.market.lanes[symbol]
            bar = np.searchsorted(lane.tick, ticks, side="right") - 1
            if bar[0] < 0:
                continue  # not yet a bar of its own: marked at its entry, as the engine marks it
            closes[symbol] = lane.close[bar].tolist()
        for k in range(end - start):
            marks = {symbol: Decimal(repr(column[k])) for symbol, column in closes.items()}
            equity[start + k] = float(book.equity(marks))
        return end - start

    def _catch_up(self, i: int, shown: Iterable[Symbol]) -> None:
        """Tick i shows these symbols: their filtered setups first take in the bars they were not shown."""
        for symbol in shown:
            for setup_filter, lane_tick in self.catch_ups.get(symbol, ()):
                setup_filter.before_shown(int(np.searchsorted(lane_tick, i)))

    def _symbols_at(self, i: int, active: set[Symbol], *, every: bool = False) -> set[Symbol]:
        """The symbols tick i shows the engine; `every`: all those with a bar at i."""
        if every:
            return {s for s in self.market.symbols if self.present[s][i]}
        now = int(self.market.tick_ns[i])
        chosen = {s for s in active | self.always if self.present[s][i]} | self.wakeups.due(i)
        chosen |= {s for s, shown in self.setup_shown.items() if shown[i]}
        for s, mask in self.ofi.items():
            if mask[i] and now >= self.next_allowed.get(s, -1):
                chosen.add(s)
        held = {p.symbol for p in self.engine.book.positions.values()}
        chosen |= self.position_wakeups.due(i) if held else set()
        last = i == self.market.tick_ns.shape[0] - 1
        gappy = held & self.stale.keys()
        # a held symbol's bar before a gap: the mark the engine keeps through it
        chosen |= {s for s in gappy if self.present[s][i] and not last and not self.present[s][i + 1]}
        absent = any(not self.present[s][i] for s in gappy)
        forced = self.forced[i] or i == self.recheck or (held and self.period_start[i]) or absent
        if (not chosen and forced) or last:
            # the last tick shows every symbol: open shadows close, and positions are marked, at the last close
            chosen = {s for s in self.market.symbols if self.present[s][i]}
        elif chosen:
            # Every open position is marked at its symbol's close of the tick (the kill switch's drawdown, R-K-1).
            chosen |= {s for s in held if self.present[s][i]}
        return chosen

    def _active(self) -> set[Symbol]:
        """The symbols shown every bar: those with an order waiting for the next bar's open."""
        return {s for s in self.market.symbols if self.broker.has_pending(str(s))}

    def _cooldowns(self) -> None:
        if self.ofi_strategy is None:
            return
        for symbol, ts in self.ofi_strategy.state_dict().get("last_signal", {}).items():
            until = datetime.fromisoformat(ts) + self.cooldown
            self.next_allowed[Symbol(symbol)] = epoch_ns(until)


def _stale_ticks(present: Mapping[Symbol, BoolArray]) -> dict[Symbol, npt.NDArray[np.int64]]:
    """Per symbol with a tick it has no bar on (history files: a gap, a later start or an earlier end), the ticks a
    position on it must be shown: those absent ticks, and each of its bars an absent tick follows.

    A run shown every bar judges an open position on a tick without its symbol's bar from that symbol's last bar, at
    the tick's time (a max hold or a hold can run out there), and marks it at that bar's close. So the engine must
    see the position on every such tick, and must have seen the bar before it (its mark). A simulated market has
    every symbol on every tick: none."""
    out = {}
    for symbol, here in present.items():
        absent = ~here
        if absent.any():
            before_gap = here & np.r_[absent[1:], False]
            out[symbol] = np.flatnonzero(absent | before_gap)
    return out


def _mask(n: int, indices: npt.NDArray[np.int64]) -> BoolArray:
    mask = np.zeros(n, dtype=np.bool_)
    mask[indices] = True
    return mask
