"""Building an engine for a mode: the feed, clock and broker differ; everything else is the same."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bigalpha.bus import SignalBus
from bigalpha.clock import Clock, SimulatedClock, WallClock
from bigalpha.config import Settings
from bigalpha.data.ports import Feed
from bigalpha.data.recording import SnapshotRecorder
from bigalpha.data.sim import SimParams, build_scenario
from bigalpha.data.sim.feed import LiveSimFeed
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import Mode
from bigalpha.engine.adapters import PositionEntryPlanner, PositionExitPolicy
from bigalpha.engine.core import Engine, EngineParts
from bigalpha.engine.learning_jobs import learning_jobs
from bigalpha.engine.pacing import PacedFeed
from bigalpha.engine.risk_adapter import RiskGatePolicy
from bigalpha.execution.paper import PaperBroker, PaperTerms
from bigalpha.execution.ports import Broker
from bigalpha.risk.ledger import ReadOnlyLedgerBroker
from bigalpha.risk.mode_guard import ModeGuardBroker
from bigalpha.store import Store
from bigalpha.strategies.alpha_ofi import NAME as ALPHA_OFI
from bigalpha.strategies.alpha_ofi import AlphaOfiStrategy
from bigalpha.strategies.base import Strategy
from bigalpha.strategies.setups import LowerBandLong, SolFeeFadeSetup, UpperBandShort, XrpSqueezeSetup, build_setups

PAPER_BROKER_KEY = "paper_broker"


class BuildError(ValueError):
    """The engine cannot be built as asked; the message says what to change."""


@dataclass(frozen=True)
class SimOptions:
    """The simulated market a paper run or a backtest trades on."""

    seed: int = 7
    symbols: tuple[str, ...] = ()
    scenario: str | None = None
    hurst: float | None = None
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    days: int | None = None  # None: unbounded (paper)


@dataclass
class Built:
    engine: Engine
    feed: Feed
    store: Store
    extra: dict[str, Any] = field(default_factory=dict)
    recorder: SnapshotRecorder | None = None

    def close(self) -> None:
        """Close what the build opened: the snapshot recording's file (its last line is written already) and the
        store."""
        if self.recorder is not None:
            self.recorder.close()
        self.store.close()


def sim_params(settings: Settings, options: SimOptions) -> SimParams:
    symbols = options.symbols or tuple(settings.data.symbols)
    known = {s.symbol: s for s in default_symbols()}
    unknown = [symbol for symbol in symbols if symbol not in known]
    if unknown:
        raise BuildError(f"the simulator has no market for {', '.join(unknown)}; it knows {', '.join(known)}")
    params = SimParams(seed=options.seed, start=options.start, symbols=tuple(known[s] for s in symbols))
    return params.with_hurst(options.hurst) if options.hurst is not None else params


def sim_feed(
    settings: Settings, options: SimOptions, *, speed: float | None, sleep: Callable[[float], None] | None = None
) -> Feed:
    """The built-in simulated market; paced at `speed` × real time from the first golden hour, unpaced before."""
    params = sim_params(settings, options)
    scenario = build_scenario(options.scenario, settings) if options.scenario else None
    inner = LiveSimFeed(params, scenario=scenario, speed=None, max_days=options.days)
    if speed is None:
        return inner
    # The warm-up fills the Hurst window and flow buffers unpaced, so trading can start at once.
    pace_from = params.start + timedelta(hours=settings.gate.golden_hour_start_utc)
    if sleep is None:
        return PacedFeed(inner, speed=speed, pace_from=pace_from)
    return PacedFeed(inner, speed=speed, pace_from=pace_from, sleep=sleep)


def paper_broker(settings: Settings, store: Store) -> PaperBroker:
    perp = settings.positions.perp
    terms = PaperTerms(
        maker_fee_bps=_dec(perp.maker_fee_bps),
        taker_fee_bps=_dec(perp.taker_fee_bps),
        latency=timedelta(milliseconds=settings.execution.paper_latency_ms),
        slippage_bps=_dec(settings.execution.paper_slippage_bps),
        book_share=_dec(settings.execution.paper_book_share),
    )

    def persist(state: dict[str, Any]) -> None:
        store.set_state(PAPER_BROKER_KEY, state, datetime.now(UTC))

    return PaperBroker(terms, persist=persist, state=store.get_state(PAPER_BROKER_KEY))


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


def strategies(settings: Settings) -> list[Strategy]:
    return [AlphaOfiStrategy(settings.setups.alpha_ofi, settings.positions.default_stop_pct), *build_setups(settings)]


# Each of the bot's strategies by name, with its section of `settings.setups` (whose `enabled` switches it on).
STRATEGY_SWITCHES: dict[str, str] = {
    ALPHA_OFI: "alpha_ofi",
    LowerBandLong.NAME: "btc_lower_band_long",
    UpperBandShort.NAME: "btc_upper_band_short",
    SolFeeFadeSetup.NAME: "sol_fee_fade",
    XrpSqueezeSetup.NAME: "xrp_squeeze",
}


def only_strategy(settings: Settings, name: str) -> list[Strategy]:
    """The bot's strategy `name` alone (fresh, as `strategies` makes it), for a run of the bot that trades only it."""
    section = STRATEGY_SWITCHES.get(name)
    if section is None:
        raise BuildError(f"the bot has no strategy {name!r}; its strategies are {', '.join(STRATEGY_SWITCHES)}")
    if not getattr(settings.setups, section).enabled:
        switch = f"setups.{section}.enabled"
        raise BuildError(f"{name} is switched off ({switch} is false); switch it on with --param {switch}=true")
    return [strategy for strategy in strategies(settings) if strategy.name == name]


def build_engine(
    settings: Settings,
    mode: Mode,
    feed: Feed,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    broker: Broker | None = None,
    record_dir: Path | None = None,
    checkpoint_every: int = 1,
    chosen_strategies: Sequence[Strategy] | None = None,
) -> Built:
    """An engine for `mode` over `feed`. Paper and backtest get the paper broker; test and live need the
    exchange broker, which this version does not ship (they are refused with the reason)."""
    if mode in (Mode.TEST, Mode.LIVE) and broker is None:
        raise BuildError(
            f"{mode.value} mode needs an exchange broker; this version of bigalpha trades paper and backtests only"
        )
    store = store or Store.open(settings)
    bus = SignalBus(store)
    inner = broker or paper_broker(settings, store)
    guarded: Broker = ReadOnlyLedgerBroker(ModeGuardBroker(inner, mode), settings)
    recorder = SnapshotRecorder(record_dir) if record_dir is not None and settings.data.record_snapshots else None
    engine_clock = clock or (SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC)) if mode is Mode.BACKTEST else WallClock())
    engine: Engine | None = None

    def current_engine() -> Engine:
        if engine is None:
            raise BuildError("learning jobs ran before the engine existed")
        return engine

    parts = EngineParts(
        settings=settings,
        mode=mode,
        store=store,
        bus=bus,
        broker=guarded,
        clock=engine_clock,
        strategies=list(chosen_strategies) if chosen_strategies is not None else strategies(settings),
        entry_planner=PositionEntryPlanner(settings),
        exit_policy=PositionExitPolicy(settings),
        risk=RiskGatePolicy(settings, mode, store, bus),
        recorder=recorder,
        jobs=learning_jobs(settings, current_engine),
        checkpoint_every=checkpoint_every,
    )
    engine = Engine(parts)
    return Built(engine=engine, feed=feed, store=store, recorder=recorder)
