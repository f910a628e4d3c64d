"""What a file's name says: symbol, timeframe, kind and exchange, in freqtrade's, Binance's and plain layouts.

Symbols follow the bot's convention (config `data.symbols`): a USDT-margined perpetual is named by its
base asset (`BTC_USDT_USDT`, `BTCUSDT`, `BTC/USDT:USDT`, `BTC-USDT` → `BTC`); any other quote keeps it
(`ETH_BTC` → `ETHBTC`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bigalpha.data.history.model import HistoryKind
from bigalpha.domain import Symbol

_TF = r"\d+[smhdwM]"
_FREQTRADE = re.compile(rf"^(?P<pair>[A-Za-z0-9_]+?)-(?P<tf>{_TF})(?:-(?P<ctype>futures|funding_rate|mark|spot))?$")
_BINANCE_KLINES = re.compile(rf"^(?P<sym>[A-Z0-9]+)-(?P<tf>{_TF})-\d{{4}}-\d{{2}}(?:-\d{{2}})?$")
# Binance's other archives: aggregate trades, and the 5-minute metrics (open interest, long/short ratios)
_BINANCE_DATED = re.compile(r"^(?P<sym>[A-Z0-9]+)-(?P<kind>aggTrades|metrics)(?:-\d{4}-\d{2}(?:-\d{2})?)?$")
_BINANCE_DATED_KIND = {"aggTrades": HistoryKind.TRADES, "metrics": HistoryKind.POSITIONING}
_PLAIN = re.compile(rf"^(?P<sym>[A-Za-z0-9]+?)[_-](?P<tf>{_TF})(?:[_-](?P<kind>funding_rate|funding|mark|trades))?$")
_PLAIN_NO_TF = re.compile(
    r"^(?P<sym>[A-Za-z0-9_]+?)[_-](?P<kind>funding_rate|funding|mark|trades|aggtrades)$", re.IGNORECASE
)
_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "BTC", "ETH", "BNB")
KNOWN_EXCHANGES = frozenset(
    {
        "binance", "binanceusdm", "binancecoinm", "okx", "bybit", "gate", "gateio", "kucoin", "kucoinfutures",
        "bitget", "htx", "huobi", "mexc", "hyperliquid", "dydx", "deribit", "bitmex", "kraken", "krakenfutures",
    }
)  # fmt: skip
_CTYPE_KIND = {
    None: HistoryKind.CANDLES,
    "futures": HistoryKind.CANDLES,
    "spot": HistoryKind.CANDLES,
    "funding_rate": HistoryKind.FUNDING_RATE,
    "mark": HistoryKind.MARK,
}
_PLAIN_KIND = {
    None: None,
    "funding_rate": HistoryKind.FUNDING_RATE,
    "funding": HistoryKind.FUNDING_RATE,
    "mark": HistoryKind.MARK,
    "trades": HistoryKind.TRADES,
    "aggtrades": HistoryKind.TRADES,
}


@dataclass(frozen=True, slots=True)
class NameInfo:
    symbol: Symbol | None = None
    timeframe: str | None = None
    kind: HistoryKind | None = None
    freqtrade: bool = False


def stem_of(path: Path) -> str:
    """The name without its data extensions (`x.json.gz` → `x`)."""
    name = path.name
    for suffix in (".json.gz", ".csv.gz", ".feather", ".parquet", ".json", ".csv", ".zip", ".arrow", ".pq"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def normalize_symbol(raw: str) -> Symbol:
    text = raw.strip().upper()
    parts = [p for p in re.split(r"[/:_\-\s]+", text) if p]
    if len(parts) >= 2:
        base, quote = parts[0], parts[1]
    else:
        base, quote = text, ""
        for candidate in _QUOTES:
            if text.endswith(candidate) and len(text) > len(candidate):
                base, quote = text[: -len(candidate)], candidate
                break
    base = re.sub(r"[^A-Z0-9]", "", base)
    quote = re.sub(r"[^A-Z0-9]", "", quote)
    return Symbol(base if quote in ("USDT", "") else base + quote)


def parse_name(path: Path) -> NameInfo:
    stem = stem_of(path)
    match = _FREQTRADE.match(stem)
    if match and "_" in match.group("pair"):
        return NameInfo(
            normalize_symbol(match.group("pair")), match.group("tf"), _CTYPE_KIND[match.group("ctype")], freqtrade=True
        )
    match = _BINANCE_KLINES.match(stem)
    if match:
        return NameInfo(normalize_symbol(match.group("sym")), match.group("tf"), HistoryKind.CANDLES)
    match = _BINANCE_DATED.match(stem)
    if match:
        return NameInfo(normalize_symbol(match.group("sym")), None, _BINANCE_DATED_KIND[match.group("kind")])
    match = _PLAIN.match(stem)
    if match:
        return NameInfo(normalize_symbol(match.group("sym")), match.group("tf"), _PLAIN_KIND[match.group("kind")])
    match = _PLAIN_NO_TF.match(stem)
    if match:
        return NameInfo(normalize_symbol(match.group("sym")), None, _PLAIN_KIND[match.group("kind").lower()])
    return NameInfo()


def exchange_of(path: Path) -> str | None:
    """An exchange named in the file name or a parent folder (freqtrade keeps `data/<exchange>/futures/`)."""
    tokens = [t.lower() for t in re.split(r"[_\-.\s]+", stem_of(path))]
    tokens += [p.lower() for p in reversed(path.resolve().parent.parts)]
    for token in tokens:
        if token in KNOWN_EXCHANGES:
            return token
    return None
