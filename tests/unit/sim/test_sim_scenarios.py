"""D-SIM-1: scripted scenarios produce their events, in the golden hour (G-GOLDEN-1)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from bigalpha.config import Settings
from bigalpha.data.sim import SCENARIOS, SimDataset, SimParams, UnknownScenarioError, build_scenario, generate
from bigalpha.data.sim.feed import SimFeed
from bigalpha.data.sim.scenarios import PricePath

SYMBOL = {"BTC": 0, "ETH": 1, "SOL": 2, "XRP": 3}


def _scenario_day(name: str) -> SimDataset:
    return generate(SimParams(seed=7), 1, build_scenario(name))


def _rows(dataset: SimDataset, table: str, symbol: str) -> dict[str, np.ndarray]:
    frame = dataset.frames[table]
    keep = frame["symbol"] == SYMBOL[symbol]
    return {k: v[keep] for k, v in frame.items()}


def _minute(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


def test_flush_reclaim_closes_below_the_band_then_reclaims_with_positive_delta() -> None:
    """S-BTC-L via D-SIM-1: a bar closes below the band, a later one closes above it with taker buys > sells."""
    band = Settings().setups.btc_lower_band_long.band
    assert band is not None
    btc = _rows(_scenario_day("flush_reclaim"), "bars", "BTC")
    close, delta = btc["close"], 2 * btc["taker_buy_volume"] - btc["volume"]
    below = np.flatnonzero(close < band)
    assert below.size > 0
    flush = int(below[0])
    reclaim = flush + int(np.flatnonzero((close[flush:] > band) & (delta[flush:] > 0))[0])
    assert _minute(9) <= flush < reclaim < _minute(16)
    assert reclaim - flush <= 10
    assert btc["liquidated_long_usd"][flush : flush + 3].sum() >= 0


def test_fail_break_wicks_above_closes_inside_and_makes_a_lower_high() -> None:
    """S-BTC-S via D-SIM-1: wick above the upper band, close inside, lower high; shorts < 54%; spread narrows."""
    upper = Settings().setups.btc_upper_band_short
    assert upper.band_low is not None
    assert upper.band_high is not None
    dataset = _scenario_day("fail_break")
    btc = _rows(dataset, "bars", "BTC")
    inside = (btc["close"] >= upper.band_low) & (btc["close"] <= upper.band_high)
    window = np.zeros(inside.size, dtype=bool)
    window[_minute(13) : _minute(13, 10)] = True  # the free path may touch the band earlier; judge the script
    wick = np.flatnonzero((btc["high"] > upper.band_high) & inside & window)
    assert wick.size > 0
    w = int(wick[0])
    assert btc["close"][w - 1] < upper.band_high  # it came from inside the band
    assert _minute(9) <= w < _minute(16)
    after = btc["high"][w + 1 : w + 4]
    assert after.max() < btc["high"][w]  # lower high
    assert btc["close"][w + 6] < upper.band_low  # and the drop
    ls = _rows(dataset, "long_short", "BTC")
    at_break = np.searchsorted(ls["ts"], btc["ts"][w]) - 1
    assert ls["short_share"][at_break] < upper.max_short_share
    funding = _rows(dataset, "funding", "BTC")
    spread = np.abs(funding["binanceusdm"] - funding["okx"])
    assert spread[_minute(12, 16)] > 1e-4  # 1.2 bps when the narrowing starts
    assert spread[_minute(13, 13)] < 2e-5  # 0.1 bps at its end


def test_squeeze_crowds_xrp_shorts_then_rallies_through_short_clusters() -> None:
    """S-XRP-SQ via D-SIM-1: short share ≥ 53% on XRP, then a ≥ 3% rally with short liquidations."""
    dataset = _scenario_day("squeeze")
    ls = _rows(dataset, "long_short", "XRP")
    hours = (ls["ts"] // 60_000) % 1440
    crowded = ls["short_share"][(hours >= _minute(11)) & (hours < _minute(12))]
    assert np.all(crowded >= 0.53)
    xrp = _rows(dataset, "bars", "XRP")
    start = xrp["close"][_minute(12) - 1]
    assert xrp["high"][_minute(12) : _minute(12, 30)].max() > start * 1.03
    assert xrp["liquidated_short_usd"][_minute(12) : _minute(12, 30)].sum() > 5e6


def test_fee_spike_rises_over_3x_and_decays_40_percent_in_2_minutes() -> None:
    """S-SOL-FADE via D-SIM-1: p50 > 3× baseline, then ≥ 40% lower within 2 minutes; Jito stays elevated."""
    fees = _scenario_day("fee_spike").frames["priority_fees"]
    p50, jito = fees["p50_micro_lamports"], fees["jito_tip_lamports"]
    spike = _minute(12)
    baseline = float(np.median(p50[spike - 60 : spike]))
    assert p50[spike] > 3 * baseline
    assert p50[spike + 2] <= 0.6 * p50[spike]
    assert jito[spike + 2] > 1.5 * float(np.median(jito[spike - 60 : spike]))


def test_trend_with_cluster_above_shows_a_large_short_cluster_and_trends() -> None:
    """P-HOLD-1's case via D-SIM-1: a trending day (H 0.7) with a big short-liquidation cluster above price."""
    dataset = _scenario_day("trend_with_cluster_above")
    heat = _rows(dataset, "liquidation_heatmap", "BTC")
    btc = _rows(dataset, "bars", "BTC")
    refresh = int(np.flatnonzero((heat["ts"] // 60_000) % 1440 >= _minute(9, 36))[0])
    at = heat["ts"][refresh]
    levels = (heat["ts"] == at) & (heat["side"] == 1)
    price = btc["close"][_minute(9, 35)]
    big = levels & (heat["liquidation_usd"] > 300e6)
    assert big.any()
    assert np.all((heat["price"][big] / price - 1 > 0.01) & (heat["price"][big] / price - 1 < 0.025))
    assert np.all(btc["regime_hurst"] == 0.7)
    assert btc["close"][_minute(16)] > btc["close"][_minute(9)]


def test_wall_below_target_puts_a_25m_plus_ask_wall_near_1_5_percent() -> None:
    """P-WALL-1 via D-SIM-1: an ask wall > $25M about 1.5% above price from 10:00."""
    dataset = _scenario_day("wall_below_target")
    reference = _rows(dataset, "bars", "BTC")["close"][_minute(10)]
    for i, tick in enumerate(SimFeed(dataset).ticks()):
        if i == _minute(10, 30):
            book = tick[0].book
            assert book is not None
            walls = [a for a in book.value.asks if a.notional > 25e6]
            assert walls
            assert any(abs(w.price / reference - 1.015) < 0.001 for w in walls)
            return
    raise AssertionError("feed ended early")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_happens_in_the_golden_hour(name: str) -> None:
    """G-GOLDEN-1: scenario events lie between 09:00 and 16:00 UTC so strategies may act on them."""
    scenario = build_scenario(name)
    for event in scenario.events:
        minute = event.at_minute % 1440
        end = minute + (event.waypoints[-1].minute if isinstance(event, PricePath) else 0)
        assert minute >= _minute(9), (name, event)
        assert end < _minute(16), (name, event)
    assert scenario.description
    assert scenario.days_needed() == 1


def test_scenarios_can_be_placed_on_a_later_day() -> None:
    scenario = build_scenario("fee_spike", day=2)
    assert scenario.days_needed() == 3
    with pytest.raises(ValueError, match="needs at least 3 day"):
        generate(SimParams(), 1, scenario)


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(UnknownScenarioError, match="known scenarios: fail_break, fee_spike, flush_reclaim"):
        build_scenario("moon")


def test_scenario_needs_its_symbols() -> None:
    btc_only = SimParams(symbols=SimParams().symbols[:1])
    with pytest.raises(ValueError, match="needs symbol"):
        generate(btc_only, 1, build_scenario("squeeze"))


def test_scenario_start_is_utc_midnight() -> None:
    assert SimParams().start == datetime(2025, 1, 1, tzinfo=UTC)
