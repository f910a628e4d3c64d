"""`ContextBuilder`: turns each symbol's stream of `MarketSnapshot`s into `MarketContext`s.

Per symbol it keeps bounded ring buffers, sized from the config's windows: the bars the rolling indicators
need (the Hurst window of closes, the CVD window plus the look-back of the volume-spike proxy, …) and the
open-interest observations of the last 5 minutes (plus tolerance). Each `update` appends one snapshot and
runs the same vectorized functions the backtester runs over whole histories (`indicator_columns`), on the
trailing buffer, keeping the last element. Its state is JSON-ready (`state_dict` / `from_state_dict`) so the
engine can persist Hurst and whale-flow state across restarts (I-PERSIST-1).

Trades are reduced to their whale flow when a snapshot arrives, at the threshold passed with it; after the
threshold changes (L-OPT-1), bars already in the buffer keep the flow measured at the old one until they
leave the window.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import LiquidationLevel, MarketSnapshot, Observed, OrderBook, PairedHeatmap, Regime, Symbol
from bigalpha.indicators.columns import book_top_quantities, has_trade_sizes
from bigalpha.indicators.context import ContextError, MarketContext, replace_context, validation_problems
from bigalpha.indicators.flow import FlowInputs, flow_columns, flow_direction, intensity_band, whale_trade_flow
from bigalpha.indicators.hurst import HurstEstimate, classify_regime, hurst_with_error
from bigalpha.indicators.liquidity import (
    ConcentratedLevels,
    Wall,
    book_walls,
    clusters_around,
    concentrated_levels,
    major_clusters,
    max_pain_distance,
    nearest_cluster,
    top_clusters,
)
from bigalpha.indicators.positioning import funding_divergence_bps, oi_velocity, true_trend
from bigalpha.json_text import JsonText, dumps, json_list_text, json_object_text

STATE_VERSION = 1
_MAX_OI_OBSERVATIONS = 10_000  # a hard memory bound; time-based pruning keeps far fewer

# One buffered bar: close, volume, taker buy volume, has trade sizes, whale buy USD, whale sell USD.
_Bar = tuple[float, float, float, bool, float, float]


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


class _SymbolState:
    __slots__ = ("bar_texts", "bars", "last_ts", "oi", "unwritten")

    def __init__(self, capacity: int) -> None:
        self.bars: deque[_Bar] = deque(maxlen=capacity)
        self.oi: deque[tuple[float, float]] = deque(maxlen=_MAX_OI_OBSERVATIONS)
        self.last_ts: datetime | None = None
        # Each bar's JSON text, for the state the engine saves after every tick: writing the buffer's floats anew
        # each time was most of that save. Kept in step with `bars` when the text is asked for, so a builder
        # that is never saved (a backtest's) writes none: the last `unwritten` bars have no text yet.
        self.bar_texts: deque[str] = deque(maxlen=capacity)
        self.unwritten = 0

    def written_bars(self) -> deque[str]:
        """`bar_texts`, brought in step with `bars`: the `dumps` of each bar, oldest first."""
        pending, bars, texts = self.unwritten, self.bars, self.bar_texts
        if pending >= len(bars):
            texts.clear()
            texts.extend(map(dumps, bars))
        elif pending:
            # Both buffers have the same bound, so appending the new bars' texts drops the texts of the bars
            # the buffer dropped.
            texts.extend(map(dumps, islice(bars, len(bars) - pending, None)))
        self.unwritten = 0
        return texts


class _SymbolStateModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    last_ts: datetime | None
    bars: list[tuple[float, float, float, bool, float, float]]
    oi: list[tuple[float, float]]


class _StateModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    symbols: dict[str, _SymbolStateModel]


def buffer_capacity(cfg: IndicatorsConfig) -> int:
    """Bars kept per symbol: enough for every window, and for each bar of the CVD and OFI windows to have
    the volume-spike proxy's full look-back inside the buffer."""
    lookback = cfg.whale_volume_lookback
    return max(
        cfg.hurst_window,
        cfg.cvd_window + lookback,
        cfg.ofi_window_minutes + lookback,
        cfg.whale_intent_window,
        cfg.taker_window_minutes,
    )


def _check_snapshot(snapshot: MarketSnapshot, last_ts: datetime | None) -> None:
    ts, bar = snapshot.ts, snapshot.bar
    # The common case in one expression (every comparison is False for a NaN); the checks below name the problem.
    if (
        ts.tzinfo is not None
        and (last_ts is None or ts > last_ts)
        and 0.0 < bar.close < math.inf
        and 0.0 <= bar.open < math.inf
        and 0.0 <= bar.high < math.inf
        and 0.0 <= bar.low < math.inf
        and 0.0 <= bar.volume < math.inf
        and 0.0 <= bar.taker_buy_volume < math.inf
        and bar.taker_buy_volume <= bar.volume * (1 + 1e-9)
    ):
        return
    where = f"snapshot {snapshot.symbol} at {snapshot.ts.isoformat()}"
    if snapshot.ts.tzinfo is None:
        raise ValueError(f"{where}: ts has no timezone; bigalpha works in UTC")
    if last_ts is not None and snapshot.ts <= last_ts:
        raise ValueError(f"{where}: ts is not after the previous snapshot's ({last_ts.isoformat()})")
    for name in ("open", "high", "low", "close", "volume", "taker_buy_volume"):
        value = getattr(bar, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{where}: bar.{name} must be a finite non-negative number, got {value}")
    if bar.close <= 0:
        raise ValueError(f"{where}: bar.close must be positive, got {bar.close}")
    if bar.taker_buy_volume > bar.volume * (1 + 1e-9):
        raise ValueError(f"{where}: bar.taker_buy_volume ({bar.taker_buy_volume}) exceeds bar.volume ({bar.volume})")


def fill_flow(
    cfg: IndicatorsConfig,
    out: dict[str, Any],
    unavailable: dict[str, str],
    *,
    have: int,
    bid: float,
    cvd: float | None,
    whale: float | None,
    intent: float | None,
    retail: float | None,
    intensity: float | None,
    ofi: float | None,
    taker: float | None,
) -> None:
    """The order-flow fields of a context and, for each that is unknown, why (shared by the live builder and
    the backtester's column builder, so both say the same)."""
    out.update(
        cvd_usd=cvd,
        whale_cvd_usd=whale,
        whale_direction=flow_direction(whale, cfg.whale_direction_min_usd),
        whale_intent_cvd_usd=intent,
        whale_intent_direction=flow_direction(intent, cfg.whale_direction_min_usd),
        retail_cvd_usd=retail,
        whale_intensity=intensity,
        whale_band=intensity_band(intensity, high=cfg.whale_intensity_high, moderate=cfg.whale_intensity_moderate),
        ofi=ofi,
        taker_ratio_5m=taker,
    )
    held = f"has {have}"
    if cvd is None:
        unavailable["cvd"] = f"needs {cfg.cvd_window} bars, {held}"
    if whale is None:
        unavailable["whale_cvd"] = (
            f"needs {cfg.cvd_window} judged bars (trade sizes, or {cfg.whale_volume_lookback} bars of volume "
            f"history for the volume-spike proxy), {held}"
        )
    if intent is None:
        unavailable["whale_intent"] = f"needs trade sizes in each of the last {cfg.whale_intent_window} bars"
    if ofi is None:
        unavailable["ofi"] = (
            "no order book in this snapshot"
            if math.isnan(bid) and cfg.ofi_taker_weight < 1
            else f"needs {cfg.ofi_window_minutes} judged bars with retail taker flow"
        )
    if taker is None:
        unavailable["taker_ratio"] = f"needs {cfg.taker_window_minutes} bars with taker sell volume, {held}"


# The reason a context gives for a Hurst estimate left for later (`fill_hurst_oi(..., defer=True)`): a backtest
# estimates it only on the bars where a decision reads it (`ContextBuilder.complete`), the same estimate.
HURST_DEFERRED = "not estimated on this bar: no decision read it (estimated when one does)"


def fill_hurst_oi(
    cfg: IndicatorsConfig,
    out: dict[str, Any],
    unavailable: dict[str, str],
    *,
    closes: npt.NDArray[np.float64] | None,
    have: int,
    oi: tuple[float | None, float | None, float | None] | None,
    defer: bool = False,
) -> None:
    """Hurst, regime, TRUE TREND and open-interest fields from the last window of closes (None when fewer
    than the window: A-HURST-1 never estimates from less) and (OI, 5-minute delta, change) when observed.

    With `defer`, a window that could be estimated is not: the Hurst fields stay unknown with `HURST_DEFERRED` as
    the reason, in the place the estimate's own reason would take, until `complete_deferred` estimates them."""
    oi_now, delta, change = oi if oi is not None else (None, None, None)
    if closes is not None and defer:
        unavailable["hurst"] = HURST_DEFERRED
        out.update(hurst=None, hurst_stderr=None, regime=Regime.UNKNOWN, true_trend=None)
    else:
        estimate = None if closes is None else hurst_with_error(closes, window=cfg.hurst_window)
        _hurst_fields(cfg, out, unavailable, estimate=estimate, have=have, delta=delta)
    if oi is not None and delta is None:
        unavailable["oi_delta_5m"] = f"no open-interest observation {cfg.oi_velocity_minutes} minutes back"
    elif oi is None and "open_interest" not in unavailable:
        unavailable["open_interest"] = "not in snapshot"
    out.update(open_interest_usd=oi_now, oi_delta_5m_usd=delta, oi_change_pct=change)


def _hurst_fields(
    cfg: IndicatorsConfig,
    out: dict[str, Any],
    unavailable: dict[str, str],
    *,
    estimate: HurstEstimate | None,
    have: int,
    delta: float | None,
) -> None:
    """The Hurst fields from the estimate over the last window of closes (None: fewer closes than the window)."""
    window = cfg.hurst_window
    hurst: float | None = None
    stderr: float | None = None
    if estimate is not None:
        hurst, stderr = _finite(estimate.h), _finite(estimate.stderr)
        if hurst is None:
            unavailable["hurst"] = f"the last {window} closes do not move"
    else:
        unavailable["hurst"] = f"needs {window} closes, has {have}"
    regime = classify_regime(
        math.nan if hurst is None else hurst,
        trending_above=cfg.hurst_trending_above,
        noise_below=cfg.hurst_noise_below,
    )
    out.update(
        hurst=hurst,
        hurst_stderr=stderr,
        regime=Regime(regime.value),
        true_trend=true_trend(hurst, delta, trending_above=cfg.hurst_trending_above),
    )


# A backtest whose strategies read no order-book walls ranks them, likewise, only for the contexts a decision reads
# (the entry plan's P-WALL-1): they stay unknown with this reason, under this key, until `complete_deferred`.
WALLS_DEFERRED = "not ranked on this bar: no decision read them (ranked when one does)"
WALLS_KEY = "order_book_walls"


def complete_deferred(
    cfg: IndicatorsConfig,
    context: MarketContext,
    *,
    estimate: HurstEstimate | None,
    walls: tuple[tuple[Wall, ...], tuple[Wall, ...]] | None,
) -> MarketContext:
    """`context` with what `fill_hurst_oi(..., defer=True)` and a deferred wall ranking left out: the Hurst
    `estimate` over the window it was deferred on (`hurst_with_error`'s; None when it was not deferred) and the
    (ask, bid) `walls` (None when not deferred). Field for field, and reason for reason in the same order, the
    context built at once."""
    hurst = estimate is not None and context.unavailable.get("hurst") == HURST_DEFERRED
    ranked = walls is not None and context.unavailable.get(WALLS_KEY) == WALLS_DEFERRED
    if not (hurst or ranked):
        return context
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    if hurst and estimate is not None:
        _hurst_fields(cfg, out, reasons, estimate=estimate, have=cfg.hurst_window, delta=context.oi_delta_5m_usd)
    if ranked and walls is not None:
        out.update(ask_walls=walls[0], bid_walls=walls[1])
    unavailable = {
        key: reasons[key] if hurst and key == "hurst" else reason
        for key, reason in context.unavailable.items()
        if not (hurst and key == "hurst" and key not in reasons) and not (ranked and key == WALLS_KEY)
    }
    return replace_context(context, unavailable=unavailable, **out)


class ContextBuilder:
    """Rolling per-symbol state; `update(snapshot, whale_threshold_usd=…)` returns that instant's context."""

    def __init__(self, cfg: IndicatorsConfig) -> None:
        self._cfg = cfg
        self._capacity = buffer_capacity(cfg)
        self._states: dict[Symbol, _SymbolState] = {}
        # Per symbol, the last heatmap seen (held, so that its identity cannot be reused) and its concentrated
        # levels: a feed shows the same heatmap object until it refreshes, and those levels do not depend on price.
        self._heatmaps: dict[Symbol, tuple[Sequence[object], ConcentratedLevels | None]] = {}

    @property
    def capacity(self) -> int:
        return self._capacity

    def complete(self, context: MarketContext) -> MarketContext:
        """`context` with every estimate a decision reads (the engine asks before it decides on a signal): this
        builder defers none, so `context` itself."""
        return context

    def update(self, snapshot: MarketSnapshot, *, whale_threshold_usd: float) -> MarketContext:
        if not (math.isfinite(whale_threshold_usd) and whale_threshold_usd > 0):
            raise ValueError(f"whale_threshold_usd must be a positive number, got {whale_threshold_usd}")
        state = self._states.get(snapshot.symbol)
        if state is None:
            state = self._states[snapshot.symbol] = _SymbolState(self._capacity)
        _check_snapshot(snapshot, state.last_ts)
        bar = snapshot.bar
        sizes = has_trade_sizes(snapshot)
        whale_buy, whale_sell = whale_trade_flow(snapshot.trades, whale_threshold_usd) if sizes else (0.0, 0.0)
        state.bars.append((bar.close, bar.volume, bar.taker_buy_volume, sizes, whale_buy, whale_sell))
        state.unwritten += 1
        state.last_ts = snapshot.ts
        unavailable = {kind.value: reason for kind, reason in snapshot.unavailable}
        fields: dict[str, Any] = {}
        self._flow(state, snapshot, fields, unavailable)
        self._hurst_and_oi(state, snapshot, fields, unavailable)
        self._per_snapshot(snapshot, fields, unavailable)
        fields["whale_threshold_usd"] = whale_threshold_usd
        return MarketContext(
            symbol=snapshot.symbol,
            ts=snapshot.ts,
            price=snapshot.price,
            ages_s=self._ages(snapshot),
            unavailable=unavailable,
            **fields,
        )

    def _flow(
        self, state: _SymbolState, snapshot: MarketSnapshot, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        cfg = self._cfg
        bars = np.array(state.bars, dtype=np.float64)
        n = bars.shape[0]
        bid, ask = book_top_quantities(snapshot.book.value if snapshot.book else None, cfg.ofi_book_levels)
        book_bid = np.full(n, np.nan)
        book_ask = np.full(n, np.nan)
        book_bid[-1], book_ask[-1] = bid, ask
        inputs = FlowInputs(
            close=bars[:, 0],
            volume=bars[:, 1],
            taker_buy=bars[:, 2],
            has_trade_sizes=bars[:, 3].astype(np.bool_),
            trade_whale_buy_usd=bars[:, 4],
            trade_whale_sell_usd=bars[:, 5],
            book_bid_qty=book_bid,
            book_ask_qty=book_ask,
        )
        columns = flow_columns(inputs, cfg, last=1)
        fill_flow(
            cfg,
            out,
            unavailable,
            have=n,
            bid=bid,
            cvd=_finite(columns.cvd_usd[-1]),
            whale=_finite(columns.whale_cvd_usd[-1]),
            intent=_finite(columns.whale_intent_cvd_usd[-1]),
            retail=_finite(columns.retail_cvd_usd[-1]),
            intensity=_finite(columns.whale_intensity[-1]),
            ofi=_finite(columns.ofi[-1]),
            taker=_finite(columns.taker_ratio[-1]),
        )

    def _hurst_and_oi(
        self, state: _SymbolState, snapshot: MarketSnapshot, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        cfg = self._cfg
        window = cfg.hurst_window
        closes = None
        if len(state.bars) >= window:
            closes = np.fromiter((b[0] for b in state.bars), dtype=np.float64, count=len(state.bars))[-window:]
        oi: tuple[float | None, float | None, float | None] | None = None
        observed = snapshot.open_interest_usd
        if observed is not None and math.isfinite(observed.value):
            t = observed.as_of.timestamp()
            if not state.oi or t > state.oi[-1][0]:
                state.oi.append((t, float(observed.value)))
            horizon = state.oi[-1][0] - 60.0 * cfg.oi_velocity_minutes - cfg.oi_velocity_tolerance_s
            while state.oi and state.oi[0][0] < horizon:
                state.oi.popleft()
            obs = np.array(state.oi, dtype=np.float64).reshape(-1, 2)
            velocity = oi_velocity(
                obs[:, 0], obs[:, 1], minutes=cfg.oi_velocity_minutes, tolerance_s=cfg.oi_velocity_tolerance_s
            )
            oi = (
                _finite(velocity.open_interest_usd[-1]),
                _finite(velocity.delta_usd[-1]),
                _finite(velocity.change_pct[-1]),
            )
        fill_hurst_oi(cfg, out, unavailable, closes=closes, have=len(state.bars), oi=oi)

    def _per_snapshot(self, snapshot: MarketSnapshot, out: dict[str, Any], unavailable: dict[str, str]) -> None:
        cfg = self._cfg
        price = snapshot.price
        for kind, part in (
            ("order_book", snapshot.book),
            ("liquidation_heatmap", snapshot.liquidation_heatmap),
            ("long_short_ratio", snapshot.long_short),
            ("max_pain", snapshot.max_pain),
            ("fear_greed", snapshot.fear_greed),
            ("funding", snapshot.funding),
            ("health_factor", snapshot.health_factor),
            ("priority_fees", snapshot.priority_fees),
        ):
            if part is None and kind not in unavailable:
                unavailable[kind] = "not in snapshot"
        if snapshot.liquidation_heatmap is not None:
            shorts, longs = clusters_around(
                self._concentrated(snapshot.symbol, snapshot.liquidation_heatmap),
                price,
                merge_pct=cfg.liq_merge_pct,
                max_per_side=cfg.liq_max_clusters,
            )
            both = shorts + longs
            if both:
                out.update(
                    short_clusters=shorts,
                    long_clusters=longs,
                    major_clusters=major_clusters(both, cfg.liq_major_pct),
                    top_clusters=top_clusters(both, cfg.liq_near_pct, cfg.liq_top_n),
                    nearest_cluster=nearest_cluster(both),
                )
            else:  # what those give without clusters: most heatmaps have none
                out.update(
                    short_clusters=(), long_clusters=(), major_clusters=(), top_clusters=(), nearest_cluster=None
                )
        if snapshot.book is not None:
            self._walls(snapshot, snapshot.book.value, out, unavailable)
        if snapshot.max_pain is not None:
            distance, far = max_pain_distance(price, snapshot.max_pain.value, cfg.max_pain_far_pct)
            out.update(max_pain=snapshot.max_pain.value, max_pain_distance_pct=distance, max_pain_far=far)
        if snapshot.long_short is not None:
            out.update(
                long_short_ratio=snapshot.long_short.value.long_short_ratio,
                short_share=snapshot.long_short.value.short_share,
            )
        if snapshot.fear_greed is not None:
            out["fear_greed"] = snapshot.fear_greed.value
        if snapshot.funding is not None:
            _funding_fields(dict(snapshot.funding.value), out, unavailable)
        if snapshot.health_factor is not None:
            out["health_factor"] = snapshot.health_factor.value
        if snapshot.priority_fees is not None:
            out.update(
                priority_fee_p50=snapshot.priority_fees.value.p50_micro_lamports,
                jito_tip=snapshot.priority_fees.value.jito_tip_lamports,
            )

    def _walls(
        self, snapshot: MarketSnapshot, book: OrderBook, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        del unavailable  # a live builder ranks them on every snapshot: never unknown with a book
        out["ask_walls"], out["bid_walls"] = self.ranked_walls(book, snapshot.price)

    def ranked_walls(self, book: OrderBook, price: float) -> tuple[tuple[Wall, ...], tuple[Wall, ...]]:
        """A-OB-1's (ask walls, bid walls) of `book` around `price`, with this builder's config."""
        cfg = self._cfg
        return book_walls(
            book,
            price,
            range_pct=cfg.wall_range_pct,
            top_n=cfg.wall_top_n,
            institutional_usd=cfg.institutional_wall_usd,
        )

    def _concentrated(
        self, symbol: Symbol, heatmap: Observed[tuple[LiquidationLevel, ...]]
    ) -> ConcentratedLevels | None:
        levels: Sequence[object] = heatmap.pairs if isinstance(heatmap, PairedHeatmap) else heatmap.value
        last = self._heatmaps.get(symbol)
        # The same tuple (immutable, of frozen levels) is the same heatmap: held in the memo, its id is not reused.
        if last is not None and last[0] is levels and isinstance(levels, tuple):
            return last[1]
        pairs = (
            heatmap.pairs
            if isinstance(heatmap, PairedHeatmap)
            else [(lv.price, lv.liquidation_usd) for lv in heatmap.value]
        )
        concentrated = concentrated_levels(pairs, concentration_multiple=self._cfg.liq_concentration_multiple)
        self._heatmaps[symbol] = (levels, concentrated)
        return concentrated

    @staticmethod
    def _ages(snapshot: MarketSnapshot) -> dict[str, float]:
        parts = {
            "order_book": snapshot.book,
            "open_interest": snapshot.open_interest_usd,
            "long_short_ratio": snapshot.long_short,
            "liquidation_heatmap": snapshot.liquidation_heatmap,
            "max_pain": snapshot.max_pain,
            "fear_greed": snapshot.fear_greed,
            "funding": snapshot.funding,
            "health_factor": snapshot.health_factor,
            "priority_fees": snapshot.priority_fees,
        }
        return {kind: part.age_s(snapshot.ts) for kind, part in parts.items() if part is not None}

    def state_dict(self) -> dict[str, Any]:
        """JSON-ready state: per symbol, the last snapshot time, the buffered bars and OI observations."""
        return {
            "version": STATE_VERSION,
            "symbols": {
                str(symbol): {
                    "last_ts": None if s.last_ts is None else s.last_ts.isoformat(),
                    "bars": [list(bar) for bar in s.bars],
                    "oi": [list(obs) for obs in s.oi],
                }
                for symbol, s in self._states.items()
            },
        }

    def state_text(self) -> JsonText:
        """`dumps(self.state_dict())`, assembled from each bar's text, written once per bar."""
        symbols = [
            (
                str(symbol),
                json_object_text(
                    [
                        ("last_ts", dumps(None if s.last_ts is None else s.last_ts.isoformat())),
                        ("bars", json_list_text(s.written_bars())),
                        ("oi", dumps(list(s.oi))),
                    ]
                ),
            )
            for symbol, s in self._states.items()
        ]
        return JsonText(json_object_text([("version", dumps(STATE_VERSION)), ("symbols", json_object_text(symbols))]))

    @classmethod
    def from_state_dict(cls, data: dict[str, Any], cfg: IndicatorsConfig) -> ContextBuilder:
        """Rebuild a builder from `state_dict()` output; a malformed state raises `ContextError` naming the field.

        With a config whose windows changed, the newest bars that fit the new buffer are kept.
        """
        try:
            model = _StateModel.model_validate(data)
        except ValidationError as error:
            raise ContextError(validation_problems(error, "state")) from None
        if model.version != STATE_VERSION:
            raise ContextError([f"state.version: {model.version} is not supported (expected {STATE_VERSION})"])
        builder = cls(cfg)
        for symbol, saved in model.symbols.items():
            state = _SymbolState(builder._capacity)
            state.bars.extend(saved.bars)
            state.unwritten = len(state.bars)
            state.oi.extend(saved.oi)
            state.last_ts = saved.last_ts
            builder._states[Symbol(symbol)] = state
        return builder


def _funding_fields(rates: dict[str, float], out: dict[str, Any], unavailable: dict[str, str]) -> None:
    """The funding rates by exchange and their divergence (R-T-2), or why the divergence is unknown: R-T-2 refuses
    a short without it."""
    divergence = funding_divergence_bps(rates)
    out.update(funding=rates, funding_divergence_bps=divergence)
    if divergence is None:
        venues = ", ".join(sorted(rates)) or "none"
        unavailable["funding_divergence_bps"] = f"funding from fewer than two exchanges ({venues})"
