"""The live `Feed` (D-SRC-1, D-FAILOPEN, D-REC-1) and the wiring of every provider chain from the settings.

Providers run concurrently in a background asyncio loop in its own thread, each with a time-out; the
engine's thread only takes finished ticks from a queue, so a slow provider never blocks it. Every
`poll_interval_s` a tick is assembled from whatever is fresh (age at most `data.max_age_s`), with an
`unavailable` reason for each kind that is not; a refresh still running carries over to the next tick.
Every tick handed to the engine is recorded first when a recorder is given (D-REC-1).

Build the sources inside the event loop that will use them: httpx and ccxt bind connections to a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bigalpha.clock import Clock, WallClock
from bigalpha.config import Settings
from bigalpha.config.data import DataKind
from bigalpha.data.chain.aave import AaveReader, aave_unconfigured
from bigalpha.data.chain.jsonrpc import JsonRpc
from bigalpha.data.chain.solana import SolanaFees, solana_unconfigured
from bigalpha.data.coinglass import CoinGlass, coinglass_providers
from bigalpha.data.coinglass.models import Subscription
from bigalpha.data.exchange import ExchangeClient, ExchangeSources, alternative_me_provider, deribit_max_pain_provider
from bigalpha.data.ports import Tick
from bigalpha.data.providers import Provider, ProviderChain, Result, Unavailable
from bigalpha.domain import Bar, MarketSnapshot, Observed, Symbol, Trade

log = logging.getLogger(__name__)


def _refused(name: str, kind: DataKind, reason: str) -> Provider[Any]:
    async def fetch(symbol: str) -> Result[Any]:
        del symbol
        return Unavailable(reason, name, permanent=True)

    return Provider(name, kind, fetch, lambda: reason)


@dataclass
class DataSources:
    """Every chain, and the clients behind them (so `data check` can show the CoinGlass plan)."""

    chains: dict[DataKind, ProviderChain[Any]]
    coinglass: CoinGlass | None = None
    exchanges: ExchangeSources | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> Subscription | Unavailable | None:
        """Read the CoinGlass plan (D-CG-5) so no request is first refused at trade time."""
        return await self.coinglass.start() if self.coinglass is not None else None

    async def aclose(self) -> None:
        for close in self._closers:
            await close()
        self._closers.clear()


def build_sources(settings: Settings, clock: Clock) -> DataSources:
    """Chains for every data kind, in the configured provider order."""
    data = settings.data
    secrets = settings.secrets
    sources = DataSources(chains={})
    by_name: dict[str, dict[DataKind, Provider[Any]]] = {}
    wanted = {name for names in data.providers.values() for name in names}

    if "coinglass" in wanted:
        api = CoinGlass(data.coinglass, secrets.coinglass_api_key)
        sources.coinglass = api
        sources._closers.append(api.aclose)
        by_name["coinglass"] = coinglass_providers(api)
    if "exchange" in wanted:
        clients = [
            ExchangeClient(
                exchange_id,
                url_overrides=data.exchange_urls.get(exchange_id),
                timeout_s=data.fetch_timeout_s,
                rate_limit=data.exchange_rate_limit,
            )
            for exchange_id in data.exchanges
        ]
        exchanges = ExchangeSources(
            clients,
            candles_limit=data.candles_limit,
            trades_limit=data.trades_limit,
            book_depth=data.book_depth,
            taker_window_bars=settings.indicators.taker_window_minutes,
        )
        sources.exchanges = exchanges
        sources._closers.append(exchanges.close)
        by_name["exchange"] = exchanges.providers()
    if "deribit" in wanted:
        deribit = ExchangeClient(
            "deribit",
            url_overrides=data.exchange_urls.get("deribit"),
            timeout_s=data.fetch_timeout_s,
            rate_limit=data.exchange_rate_limit,
        )
        sources._closers.append(deribit.close)
        by_name["deribit"] = {DataKind.MAX_PAIN: deribit_max_pain_provider(deribit, clock.now)}
    if "alternative_me" in wanted:
        by_name["alternative_me"] = {
            DataKind.FEAR_GREED: alternative_me_provider(data.alternative_me_url, timeout_s=data.fetch_timeout_s)
        }
    if "aave" in wanted:
        eth_url = secrets.ethereum_rpc_url
        why = aave_unconfigured(data.aave.enabled, data.aave.wallet_address, eth_url is not None)
        if why is not None or eth_url is None or data.aave.wallet_address is None:
            by_name["aave"] = {
                DataKind.HEALTH_FACTOR: _refused("aave", DataKind.HEALTH_FACTOR, why or "not configured")
            }
        else:
            rpc = JsonRpc("ethereum", eth_url, timeout_s=data.aave.timeout_s)
            sources._closers.append(rpc.aclose)
            reader = AaveReader(rpc, data.aave.pool_address, data.aave.wallet_address)
            by_name["aave"] = {DataKind.HEALTH_FACTOR: reader.provider()}
    if "solana" in wanted:
        sol_url = secrets.solana_rpc_url
        why = solana_unconfigured(data.solana.enabled, sol_url is not None)
        if why is not None or sol_url is None:
            by_name["solana"] = {
                DataKind.PRIORITY_FEES: _refused("solana", DataKind.PRIORITY_FEES, why or "not configured")
            }
        else:
            rpc = JsonRpc("solana", sol_url, timeout_s=data.solana.timeout_s)
            sources._closers.append(rpc.aclose)
            fees = SolanaFees(
                rpc, data.solana.jito_tip_url, data.solana.jito_tip_field, timeout_s=data.solana.timeout_s
            )
            by_name["solana"] = {DataKind.PRIORITY_FEES: fees.provider()}

    for kind in DataKind:
        providers = [by_name[name][kind] for name in data.providers.get(kind, []) if kind in by_name.get(name, {})]
        sources.chains[kind] = ProviderChain(
            kind, providers, clock, timeout_s=data.fetch_timeout_s, max_age_s=data.max_age_s
        )
    return sources


# Kinds a snapshot carries. Taker volume and CVD have no snapshot field yet: the bar carries taker
# flow and the trades carry whale flow, so the feed does not spend calls on them.
SNAPSHOT_KINDS: tuple[DataKind, ...] = (
    DataKind.CANDLES,
    DataKind.TRADES,
    DataKind.ORDER_BOOK,
    DataKind.OPEN_INTEREST,
    DataKind.LONG_SHORT_RATIO,
    DataKind.LIQUIDATION_HEATMAP,
    DataKind.MAX_PAIN,
    DataKind.FEAR_GREED,
    DataKind.FUNDING,
    DataKind.PRIORITY_FEES,
    DataKind.HEALTH_FACTOR,
)
# Market-wide kinds: fetched once per poll, not once per symbol.
GLOBAL_KINDS = frozenset({DataKind.FEAR_GREED, DataKind.PRIORITY_FEES, DataKind.HEALTH_FACTOR})
_ALL = "*"


class SnapshotRecorder(Protocol):
    """Anything that records the snapshots a decision used (D-REC-1)."""

    def record(self, snapshot: MarketSnapshot) -> object: ...


class FeedError(RuntimeError):
    """The live feed could not start (bad exchange id, bad URL override): raised from `ticks()`."""


_Key = tuple[str, DataKind]


class _State:
    """Newest value and newest failure per (symbol, kind); lives on the background loop."""

    def __init__(self) -> None:
        self.values: dict[_Key, Observed[Any]] = {}
        self.reasons: dict[_Key, str] = {}
        self.inflight: dict[_Key, asyncio.Task[None]] = {}
        self.last_bar: dict[str, Bar] = {}
        self.last_trade_ts: dict[str, datetime] = {}


def assemble(
    symbol: str,
    now: datetime,
    state: _State,
    max_age_s: float,
) -> MarketSnapshot | None:
    """One symbol's snapshot from the newest values; None when no bar was ever seen (no price)."""
    unavailable: list[tuple[DataKind, str]] = []
    fresh: dict[DataKind, Observed[Any]] = {}
    for kind in SNAPSHOT_KINDS:
        key = (_ALL if kind in GLOBAL_KINDS else symbol, kind)
        value = state.values.get(key)
        if value is not None and value.age_s(now) <= max_age_s:
            fresh[kind] = value
            continue
        reason = state.reasons.get(key)
        if value is not None:
            reason = f"newest value is {value.age_s(now):.0f} s old" + (f"; {reason}" if reason else "")
        unavailable.append((kind, reason or "no value yet"))
    candles = fresh.get(DataKind.CANDLES)
    if candles is not None and candles.value:
        state.last_bar[symbol] = candles.value[-1]
    bar = state.last_bar.get(symbol)
    if bar is None:
        return None
    trades: tuple[Trade, ...] = ()
    observed_trades = fresh.get(DataKind.TRADES)
    if observed_trades is not None:
        # only trades the engine has not seen yet, so whale CVD never counts a trade twice
        since = state.last_trade_ts.get(symbol)
        trades = tuple(t for t in observed_trades.value if since is None or t.ts > since)
        if trades:
            state.last_trade_ts[symbol] = trades[-1].ts
    return MarketSnapshot(
        symbol=Symbol(symbol),
        ts=now,
        bar=bar,
        trades=trades,
        book=fresh.get(DataKind.ORDER_BOOK),
        open_interest_usd=fresh.get(DataKind.OPEN_INTEREST),
        long_short=fresh.get(DataKind.LONG_SHORT_RATIO),
        liquidation_heatmap=fresh.get(DataKind.LIQUIDATION_HEATMAP),
        max_pain=fresh.get(DataKind.MAX_PAIN),
        fear_greed=fresh.get(DataKind.FEAR_GREED),
        funding=fresh.get(DataKind.FUNDING),
        priority_fees=fresh.get(DataKind.PRIORITY_FEES),
        health_factor=fresh.get(DataKind.HEALTH_FACTOR),
        unavailable=tuple(unavailable),
    )


class LiveFeed:
    """The live `Feed`: ticks assembled from the provider chains on a schedule, in a background thread."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        recorder: SnapshotRecorder | None = None,
        sources_factory: Callable[[Settings, Clock], DataSources] | None = None,
        queue_size: int = 4,
    ) -> None:
        self._settings = settings
        self._clock: Clock = clock if clock is not None else WallClock()
        self._recorder = recorder
        self._factory = sources_factory if sources_factory is not None else build_sources
        self._symbols = tuple(Symbol(s) for s in settings.data.symbols)
        self._queue: queue.Queue[Tick | BaseException] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self.dropped_ticks = 0

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    def ticks(self) -> Iterator[Tick]:
        self._start()
        while not self._stop.is_set() or not self._queue.empty():
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._thread is not None and not self._thread.is_alive():
                    return
                continue
            if isinstance(item, BaseException):
                raise FeedError(f"live feed stopped: {item}") from item
            if self._recorder is not None:
                for snapshot in item:
                    self._recorder.record(snapshot)
            yield item

    def close(self) -> None:
        self._stop.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                log.debug("live feed loop already closed")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._settings.data.fetch_timeout_s + 5.0)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bigalpha-live-feed", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception as error:  # a start-up failure reaches the engine through ticks()
            log.exception("live feed failed")
            self._put(error)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _put(self, item: Tick | BaseException) -> None:
        # the engine wants the newest market, not a backlog: the oldest tick gives way
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped_ticks += 1
                except queue.Empty:
                    continue

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        sources = self._factory(self._settings, self._clock)
        state = _State()
        data = self._settings.data
        try:
            await sources.start()
            last_ts: datetime | None = None
            while not self._stop.is_set():
                started = asyncio.get_running_loop().time()
                self._refresh(sources, state)
                pending = [t for t in state.inflight.values() if not t.done()]
                if pending:
                    await asyncio.wait(pending, timeout=data.snapshot_wait_s)
                now = self._clock.now()
                if last_ts is None or now > last_ts:
                    snapshots = [assemble(s, now, state, data.max_age_s) for s in self._symbols]
                    if all(s is not None for s in snapshots):
                        self._put(tuple(s for s in snapshots if s is not None))
                        last_ts = now
                    else:
                        log.warning(
                            "live feed: no price yet for %s; tick skipped",
                            [sym for sym, snap in zip(self._symbols, snapshots, strict=True) if snap is None],
                        )
                delay = data.poll_interval_s - (asyncio.get_running_loop().time() - started)
                if delay > 0 and not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            for task in state.inflight.values():
                task.cancel()
            await asyncio.gather(*state.inflight.values(), return_exceptions=True)
            await sources.aclose()

    def _refresh(self, sources: DataSources, state: _State) -> None:
        for kind in SNAPSHOT_KINDS:
            chain = sources.chains.get(kind)
            if chain is None:
                continue
            targets = [_ALL] if kind in GLOBAL_KINDS else list(self._symbols)
            for symbol in targets:
                key = (symbol, kind)
                running = state.inflight.get(key)
                if running is not None and not running.done():
                    continue  # still fetching: its answer will serve a later tick
                state.inflight[key] = asyncio.create_task(self._fetch(chain, key, state))

    async def _fetch(self, chain: ProviderChain[Any], key: _Key, state: _State) -> None:
        symbol = self._symbols[0] if key[0] == _ALL else key[0]
        result = await chain.fetch(symbol)
        if isinstance(result, Observed):
            state.values[key] = result
            state.reasons.pop(key, None)
        else:
            state.reasons[key] = result.reason
