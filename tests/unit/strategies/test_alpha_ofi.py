"""Alpha-OFI (S-OFI, A-OFI-1): direction from OFI with agreeing CVD, conviction 1.0–1.5×, one idea per cool-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bigalpha.config import load_settings
from bigalpha.domain import Bar, MarketSnapshot, Side, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.alpha_ofi import AlphaOfiStrategy, ofi_conviction, ofi_direction

CONFIG = load_settings(env={}).setups.alpha_ofi
T0 = datetime(2025, 1, 1, 10, tzinfo=UTC)


def _pair(ts: datetime, ofi: float | None, cvd: float | None) -> tuple[MarketSnapshot, MarketContext]:
    bar = Bar(ts, 100.0, 101.0, 99.0, 100.0, 10.0, 5.0)
    snapshot = MarketSnapshot(symbol=Symbol("SOL"), ts=ts, bar=bar)
    return snapshot, MarketContext(symbol=Symbol("SOL"), ts=ts, price=100.0, ofi=ofi, cvd_usd=cvd)


def test_direction_needs_ofi_past_the_threshold_and_agreeing_cvd() -> None:
    """S-OFI: LONG when OFI ≥ threshold with positive CVD, SHORT mirrored; disagreement or missing data → none."""
    threshold = CONFIG.entry_threshold
    assert ofi_direction(threshold, 1.0, threshold) is Side.LONG  # exactly at the threshold signals
    assert ofi_direction(-threshold, -1.0, threshold) is Side.SHORT
    assert ofi_direction(threshold - 1e-9, 1.0, threshold) is None
    assert ofi_direction(0.9, -1.0, threshold) is None
    assert ofi_direction(None, 1.0, threshold) is None
    assert ofi_direction(0.9, None, threshold) is None


@given(st.floats(min_value=-1.0, max_value=1.0))
def test_conviction_stays_between_1_and_1_5(ofi: float) -> None:
    """S-OFI: conviction 1.0–1.5×, 1.0 at the threshold, 1.5 at |OFI| = 1."""
    conviction = ofi_conviction(ofi, CONFIG)
    assert CONFIG.conviction_min <= conviction <= CONFIG.conviction_max
    assert ofi_conviction(1.0, CONFIG) == CONFIG.conviction_max
    assert ofi_conviction(CONFIG.entry_threshold, CONFIG) == CONFIG.conviction_min


def test_one_signal_per_cooldown_and_state_survives_a_restart() -> None:
    """S-OFI cool-down, I-PERSIST-1: the strategy's memory is restored exactly."""
    strategy = AlphaOfiStrategy(CONFIG, 0.01)
    first = strategy.on_market(*_pair(T0, 0.5, 1e6))
    assert len(first) == 1
    assert first[0].side is Side.LONG
    assert first[0].stop_pct == 0.01
    assert strategy.on_market(*_pair(T0 + timedelta(minutes=1), 0.6, 1e6)) == ()
    restored = AlphaOfiStrategy(CONFIG, 0.01)
    restored.load_state_dict(strategy.state_dict())
    later = T0 + timedelta(minutes=CONFIG.cooldown_minutes - 1)
    assert restored.on_market(*_pair(later, 0.6, 1e6)) == ()
    again = restored.on_market(*_pair(T0 + timedelta(minutes=CONFIG.cooldown_minutes), 0.6, 1e6))
    assert len(again) == 1
    assert again[0].id != first[0].id
