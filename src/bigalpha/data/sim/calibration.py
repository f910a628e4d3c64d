"""Calibration: the simulator's stylized facts side by side with real markets'.

`bigalpha sim calibrate --real ../shared/fixtures/market` measures, on real data and on a market
generated with the default `SimParams`, return tails, volatility clustering, volume/volatility
correlation, funding, open interest, liquidations, positioning, fear & greed and the Hurst exponent
of 100-bar windows, and prints a Markdown table (docs/simulator.md holds its output).

Real data is read with pandas/pyarrow straight from the fixture layout (freqtrade feather, parquet,
CoinGlass parquet dumps, alternative.me CSV); a file that is absent makes its facts "n/a".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from bigalpha.data.sim import stylized
from bigalpha.data.sim.dataset import SimDataset, generate
from bigalpha.data.sim.params import SimParams

FloatArray = npt.NDArray[np.float64]
SYMBOLS = ("BTC", "ETH", "SOL", "XRP")
_HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Tolerance:
    """When a simulated figure counts as "in range" of the real one."""

    kind: str  # "ratio": within [real / x, real × x]; "abs": within real ± x
    amount: float

    def accepts(self, real: float, sim: float) -> bool | None:
        if not (math.isfinite(real) and math.isfinite(sim)):
            return None
        if self.kind == "ratio":
            if real == 0 or np.sign(real) != np.sign(sim):
                return False
            ratio = sim / real
            return 1.0 / self.amount <= ratio <= self.amount
        return abs(sim - real) <= self.amount

    def describe(self) -> str:
        return f"×/÷{self.amount:g}" if self.kind == "ratio" else f"±{self.amount:g}"


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    symbol: str
    real: float
    sim: float
    tolerance: Tolerance

    @property
    def in_range(self) -> bool | None:
        return self.tolerance.accepts(self.real, self.sim)


# --- real data ---------------------------------------------------------------------------------


class MissingRealDataError(LookupError):
    """A real-data file the fact needs is absent; the fact shows "n/a"."""


def _floats(column: pd.Series) -> FloatArray:
    # CoinGlass sends some numbers as strings; float64 arrays either way.
    return np.asarray(column.astype(float), dtype=np.float64)


class RealData:
    """Reads the fixture layout of ../shared/fixtures/market (see its README.md)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: no such directory (expected ../shared/fixtures/market)")

    def _path(self, relative: str) -> Path:
        path = self.root / relative
        if not path.is_file():
            raise MissingRealDataError(str(path))
        return path

    def _feather(self, relative: str) -> pd.DataFrame:
        return pd.read_feather(self._path(relative))

    def _parquet(self, relative: str) -> pd.DataFrame:
        return pd.read_parquet(self._path(relative))

    def minute_bars(self, symbol: str) -> tuple[FloatArray, FloatArray]:
        df = self._feather(f"binance_perp_1m_2025/{symbol}_USDT_USDT-1m-futures.feather")
        return df["close"].to_numpy(np.float64), df["volume"].to_numpy(np.float64)

    def hourly_closes(self, symbol: str) -> FloatArray:
        return self._parquet(f"binance_perp_1h_2023_2026/{symbol}USDT_1h.parquet")["close"].to_numpy(np.float64)

    def funding(self, symbol: str) -> FloatArray:
        found = []
        for folder in ("binance_perp_15m_2023_2025", "binance_perp_5m_2023", "binance_perp_1m_2025"):
            try:
                found.append(self._feather(f"{folder}/{symbol}_USDT_USDT-8h-funding_rate.feather"))
            except MissingRealDataError:
                continue
        if not found:
            raise MissingRealDataError(f"{self.root}: no 8h funding file for {symbol}")
        # The 2023-2025 file covers the shorter ones for BTC and ETH; count each settlement once.
        df = pd.concat(found)
        df = df.assign(day=df["date"].dt.floor("h")).drop_duplicates(subset="day")
        return df["open"].to_numpy(np.float64)

    def funding_spread(self, symbol: str = "BTC") -> FloatArray:
        base = "coinglass_4h_2025/futures/funding_rate/api_futures_fundingRate_ohlc_history"
        binance, okx = self._parquet(f"{base}_{symbol}_BINANCE.parquet"), self._parquet(f"{base}_{symbol}_OKX.parquet")
        merged = binance[["time", "close"]].merge(okx[["time", "close"]], on="time", suffixes=("_b", "_o"))
        # CoinGlass quotes funding in percent per interval.
        return (_floats(merged["close_b"]) - _floats(merged["close_o"])) / 100.0

    def open_interest_4h(self, symbol: str) -> FloatArray:
        df = self._parquet(
            f"coinglass_4h_2025/futures/open_interest/api_futures_openInterest_ohlc_aggregated_history_{symbol}.parquet"
        )
        return _floats(df["close"])

    def liquidations_4h(self, symbol: str) -> FloatArray:
        df = self._parquet(
            f"coinglass_4h_2025/futures/liquidation/api_futures_liquidation_aggregated_coin_history_{symbol}.parquet"
        )
        return _floats(df["aggregated_long_liquidation_usd"]) + _floats(df["aggregated_short_liquidation_usd"])

    def short_share(self, symbol: str = "BTC") -> FloatArray:
        del symbol  # the file has one series, CoinGlass's default pair (Binance BTCUSDT)
        df = self._parquet(
            "coinglass_4h_2025/futures/long_short_ratio/api_futures_global_long_short_account_ratio_history.parquet"
        )
        return _floats(df["global_account_short_percent"]) / 100.0

    def fear_greed(self) -> FloatArray:
        df = pd.read_csv(self._path("fear_greed/fear_and_greed_index.csv"))
        # The file is newest first.
        return _floats(df["value"])[::-1]


# --- the simulator's side ----------------------------------------------------------------------


class SimData:
    """The same views of a generated dataset."""

    def __init__(self, dataset: SimDataset) -> None:
        self.dataset = dataset
        self._names = dataset.symbols

    def _rows(self, table: str, symbol: str) -> dict[str, np.ndarray]:
        frame = self.dataset.frames[table]
        keep = frame["symbol"] == self._names.index(symbol)
        return {k: v[keep] for k, v in frame.items()}

    def has(self, symbol: str) -> bool:
        return symbol in self._names

    def minute_bars(self, symbol: str) -> tuple[FloatArray, FloatArray]:
        bars = self._rows("bars", symbol)
        return bars["close"], bars["volume"]

    def hourly_closes(self, symbol: str) -> FloatArray:
        closes: FloatArray = self._rows("bars", symbol)["close"][59::60]
        return closes

    def funding(self, symbol: str, venue: str = "binanceusdm") -> FloatArray:
        rows = self._rows("funding", symbol)
        settle = rows["ts"] % (8 * _HOUR_MS) == 0
        values: FloatArray = rows[venue][settle]
        return values

    def funding_spread(self, symbol: str = "BTC") -> FloatArray:
        return self.funding(symbol, "binanceusdm") - self.funding(symbol, "okx")

    def open_interest_4h(self, symbol: str) -> FloatArray:
        rows = self._rows("open_interest", symbol)
        values: FloatArray = rows["open_interest_usd"][rows["ts"] % (4 * _HOUR_MS) == 0]
        return values

    def liquidations_4h(self, symbol: str) -> FloatArray:
        bars = self._rows("bars", symbol)
        total = bars["liquidated_long_usd"] + bars["liquidated_short_usd"]
        blocks = total.size // 240
        summed: FloatArray = total[: blocks * 240].reshape(blocks, 240).sum(axis=1)
        return summed

    def short_share(self, symbol: str = "BTC") -> FloatArray:
        rows = self._rows("long_short", symbol)
        values: FloatArray = rows["short_share"][rows["ts"] % (4 * _HOUR_MS) == 60_000]
        return values

    def fear_greed(self) -> FloatArray:
        values: FloatArray = self.dataset.frames["fear_greed"]["value"]
        return values


# --- the facts -----------------------------------------------------------------------------------

Source = RealData | SimData
Measure = Callable[[Source, str], float]


def _r1m(src: Source, symbol: str) -> FloatArray:
    return stylized.log_returns(src.minute_bars(symbol)[0])


def _std_1m(src: Source, symbol: str) -> float:
    return float(np.std(_r1m(src, symbol)))


def _kurtosis_1m(src: Source, symbol: str) -> float:
    return stylized.excess_kurtosis(_r1m(src, symbol))


def _kurtosis_1h(src: Source, symbol: str) -> float:
    return stylized.excess_kurtosis(stylized.log_returns(src.hourly_closes(symbol)))


def _hill(src: Source, symbol: str) -> float:
    return stylized.hill_tail_index(_r1m(src, symbol))


def _acf(lag: int) -> Measure:
    def measure(src: Source, symbol: str) -> float:
        return stylized.abs_return_acf(_r1m(src, symbol), (lag,))[lag]

    return measure


def _volume_vol(src: Source, symbol: str) -> float:
    close, volume = src.minute_bars(symbol)
    return stylized.volume_volatility_correlation(volume, close)


def _hurst(key: str) -> Measure:
    def measure(src: Source, symbol: str) -> float:
        return stylized.hurst_window_stats(src.minute_bars(symbol)[0])[key]

    return measure


def _funding(key: str) -> Measure:
    def measure(src: Source, symbol: str) -> float:
        return stylized.funding_stats(src.funding(symbol))[key]

    return measure


def _oi_change(src: Source, symbol: str) -> float:
    return stylized.log_change_std(src.open_interest_4h(symbol))


def _liquidation_ratio(src: Source, symbol: str) -> float:
    return float(np.median(src.liquidations_4h(symbol)) / np.median(src.open_interest_4h(symbol)))


def _liquidation_spikes(src: Source, symbol: str) -> float:
    return stylized.spike_share(src.liquidations_4h(symbol))


def _spread_median_bps(src: Source, symbol: str) -> float:
    return float(np.median(np.abs(src.funding_spread(symbol)))) * 1e4


def _spread_share(src: Source, symbol: str) -> float:
    return float((np.abs(src.funding_spread(symbol)) > 0.25e-4).mean())


def _short_share(q: float) -> Measure:
    def measure(src: Source, symbol: str) -> float:
        return float(np.quantile(src.short_share(symbol), q))

    return measure


def _fear_greed_mean(src: Source, symbol: str) -> float:
    del symbol
    return float(np.mean(src.fear_greed()))


def _fear_greed_std(src: Source, symbol: str) -> float:
    del symbol
    return float(np.std(src.fear_greed()))


def _fear_greed_change(src: Source, symbol: str) -> float:
    del symbol
    return float(np.std(np.diff(src.fear_greed())))


def _ratio(x: float) -> Tolerance:
    return Tolerance("ratio", x)


def _abs(x: float) -> Tolerance:
    return Tolerance("abs", x)


PER_SYMBOL: tuple[tuple[str, Measure, Tolerance], ...] = (
    ("1m return std", _std_1m, _ratio(1.5)),
    ("1m excess kurtosis", _kurtosis_1m, _ratio(4.0)),
    ("1h excess kurtosis", _kurtosis_1h, _ratio(3.0)),
    ("Hill tail index, top 1% of |r 1m|", _hill, _abs(0.75)),
    ("ACF of |r 1m|, lag 1", _acf(1), _abs(0.1)),
    ("ACF of |r 1m|, lag 10", _acf(10), _abs(0.1)),
    ("ACF of |r 1m|, lag 60", _acf(60), _abs(0.1)),
    ("rank corr(volume, |r|), 1m", _volume_vol, _abs(0.15)),
    ("Hurst of 100 × 1m windows, median", _hurst("median"), _abs(0.05)),
    ("Hurst windows classified trending (H > 0.55)", _hurst("trending"), _abs(0.1)),
    ("Hurst windows classified noise (H < 0.45)", _hurst("noise"), _abs(0.1)),
    ("funding 8h mean", _funding("mean"), _ratio(2.0)),
    ("funding 8h std", _funding("std"), _ratio(2.0)),
    ("funding 8h share positive", _funding("share_positive"), _abs(0.12)),
    ("funding 8h p99 |rate|", _funding("p99_abs"), _ratio(2.0)),
    ("OI 4h log-change std", _oi_change, _ratio(2.0)),
    ("liquidations per 4h / OI, median", _liquidation_ratio, _ratio(3.0)),
    ("4h liquidation spikes (> 3 × median), share", _liquidation_spikes, _abs(0.1)),
)
"""Facts measured for each of BTC, ETH, SOL, XRP."""

MARKET: tuple[tuple[str, str, Measure, Tolerance], ...] = (
    ("|funding spread| Binance−OKX, median (bps)", "BTC", _spread_median_bps, _ratio(2.5)),
    ("funding spread > 0.25 bps, share", "BTC", _spread_share, _abs(0.2)),
    ("short share of accounts, median", "BTC", _short_share(0.5), _abs(0.06)),
    ("short share of accounts, p10", "BTC", _short_share(0.1), _abs(0.06)),
    ("short share of accounts, p90", "BTC", _short_share(0.9), _abs(0.06)),
    ("fear & greed, mean", "market", _fear_greed_mean, _abs(12.0)),
    ("fear & greed, std", "market", _fear_greed_std, _abs(8.0)),
    ("fear & greed, daily change std", "market", _fear_greed_change, _abs(3.0)),
)
"""Facts of one series (the real files hold BTC only, or the whole market)."""


def _safe(measure: Measure, source: Source, symbol: str) -> float:
    try:
        return measure(source, symbol)
    except MissingRealDataError:
        return math.nan


def measure_facts(real: RealData, sim: SimData) -> list[Fact]:
    facts = [
        Fact(name, symbol, _safe(measure, real, symbol), _safe(measure, sim, symbol), tolerance)
        for symbol in SYMBOLS
        if sim.has(symbol)
        for name, measure, tolerance in PER_SYMBOL
    ]
    market_symbol = "BTC" if sim.has("BTC") else sim.dataset.symbols[0]
    for name, symbol, measure, tolerance in MARKET:
        if symbol == "BTC" and not sim.has("BTC"):
            continue
        facts.append(Fact(name, symbol, _safe(measure, real, symbol), _safe(measure, sim, market_symbol), tolerance))
    return facts


def calibrate(real_root: Path, params: SimParams | None = None, days: int = 120) -> list[Fact]:
    """Every fact, real against a fresh simulated market of `days` days."""
    real = RealData(real_root)
    dataset = generate(params or SimParams(), days)
    return measure_facts(real, SimData(dataset))


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1000 or magnitude < 0.001:
        return f"{x:.3g}"
    return f"{x:.3f}" if magnitude < 10 else f"{x:.1f}"


def markdown_table(facts: list[Fact], *, days: int, seed: int) -> str:
    lines = [
        f"Simulator: default `SimParams`, seed {seed}, {days} days. Real: ../shared/fixtures/market "
        "(Binance perps 1m 2025-05/06, 1h 2023-2026, 8h funding 2023-2025; CoinGlass 4h 2025-05/11; "
        "alternative.me fear & greed 2018-2026).",
        "",
        "| fact | symbol | real | sim | tolerance | in range |",
        "|---|---|---:|---:|---|:---:|",
    ]
    for f in facts:
        mark = {True: "yes", False: "**no**", None: "n/a"}[f.in_range]
        name = f.name.replace("|", "\\|")  # a bare | would split the Markdown cell
        lines.append(f"| {name} | {f.symbol} | {_fmt(f.real)} | {_fmt(f.sim)} | {f.tolerance.describe()} | {mark} |")
    judged = [f for f in facts if f.in_range is not None]
    passed = sum(1 for f in judged if f.in_range)
    lines += ["", f"{passed} of {len(judged)} facts in range."]
    return "\n".join(lines) + "\n"
