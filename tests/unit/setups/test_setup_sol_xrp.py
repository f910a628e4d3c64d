"""S-SOL-FADE (priority-fee spike that decays ≥ 40% within 2 minutes) and S-XRP-SQ (heavy shorts: dips long only);
`build_setups`, `hold_window` and state round-trips."""

from __future__ import annotations

import pytest
from setup_factories import SETTINGS, bar_step, run

from bigalpha.config import load_settings
from bigalpha.domain import Side
from bigalpha.strategies.setups import (
    HoldWindow,
    LowerBandLong,
    SolFeeFadeSetup,
    UpperBandShort,
    XrpSqueezeSetup,
    build_setups,
    hold_window,
)

SOL_CFG = SETTINGS.setups.sol_fee_fade
XRP_CFG = SETTINGS.setups.xrp_squeeze


def _fee_tape(spike: list[float], *, close_after: float, jito_after: float = 1000.0) -> list:  # type: ignore[type-arg]
    """20 quiet minutes at price 150 and fee 100 (baseline 100, Jito 1000), then the spike's fees with price at
    `close_after`."""
    steps = [
        bar_step(n, "SOL", high=150.5, low=149.5, close=150.0, priority_fee_p50=100.0, jito_tip=1000.0)
        for n in range(20)
    ]
    steps += [
        bar_step(20 + k, "SOL", high=close_after, low=close_after, close=close_after, priority_fee_p50=fee, jito_tip=jito_after)
        for k, fee in enumerate(spike)
    ]  # fmt: skip
    return steps


def test_fee_spike_that_decays_40_percent_within_2_minutes_fades_to_vwap() -> None:
    """S-SOL-FADE: p50 fee 400 (> 3× the 100 baseline), then 240 a minute later (−40%) → fade back to VWAP:
    price above VWAP → SHORT 0.6×, stop 35 bps, target the VWAP distance."""
    [(n, sig)] = run(SolFeeFadeSetup(SOL_CFG), _fee_tape([400.0, 240.0], close_after=151.5))
    assert n == 21
    assert (sig.side, sig.strategy) == (Side.SHORT, "s-sol-fade")
    assert sig.size_multiplier == pytest.approx(0.6)
    assert sig.stop_pct == pytest.approx(0.0035)
    vwap = (20 * 150.0 + 2 * 151.5) / 22  # equal volumes
    assert sig.targets_pct == pytest.approx(((151.5 - vwap) / 151.5,))


def test_fade_waits_for_a_dislocation_within_the_decay_window() -> None:
    """S-SOL-FADE: decayed at minute 21 with price on VWAP (nothing to fade); a minute later, still within 2 minutes
    of the peak, price is 1% above VWAP → SHORT."""
    steps = _fee_tape([400.0, 240.0], close_after=150.0)
    steps.append(bar_step(22, "SOL", high=151.5, low=151.5, close=151.5, priority_fee_p50=230.0, jito_tip=1000.0))
    [(n, sig)] = run(SolFeeFadeSetup(SOL_CFG), steps)
    assert n == 22
    assert sig.side is Side.SHORT


def test_price_below_vwap_fades_long() -> None:
    [(_, sig)] = run(SolFeeFadeSetup(SOL_CFG), _fee_tape([400.0, 240.0], close_after=148.5))
    assert sig.side is Side.LONG


def test_decay_short_of_40_percent_or_too_slow_does_not_fade() -> None:
    """S-SOL-FADE: −39% is not enough; −40% reached only 3 minutes after the peak is too slow."""
    assert run(SolFeeFadeSetup(SOL_CFG), _fee_tape([400.0, 244.0], close_after=151.5)) == []
    assert run(SolFeeFadeSetup(SOL_CFG), _fee_tape([400.0, 380.0, 360.0, 240.0], close_after=151.5)) == []


def test_spike_of_exactly_3x_baseline_is_not_a_spike() -> None:
    """S-SOL-FADE: the fee must be above 3× the baseline."""
    assert run(SolFeeFadeSetup(SOL_CFG), _fee_tape([300.0, 150.0], close_after=151.5)) == []


def test_elevated_jito_tips_halve_the_size_and_widen_the_stop() -> None:
    """S-SOL-FADE: Jito tips still above 2× their median → size 0.6 × 0.5 = 0.3×, stop 45 bps."""
    [(_, sig)] = run(SolFeeFadeSetup(SOL_CFG), _fee_tape([400.0, 240.0], close_after=151.5, jito_after=2500.0))
    assert sig.size_multiplier == pytest.approx(0.3)
    assert sig.stop_pct == pytest.approx(0.0045)


def test_xrp_dip_with_heavy_shorts_scalps_long_with_a_short_hold() -> None:
    """S-XRP-SQ: shorts ≥ 53% and a 30 bps dip from the 5-minute high → LONG scalp, stop 22 bps, 45–60 s hold."""
    steps = [bar_step(0, "XRP", high=2.500, low=2.495, close=2.498, short_share=0.53)]
    steps.append(bar_step(1, "XRP", high=2.497, low=2.490, close=2.4925, short_share=0.53))  # 30 bps below 2.500
    [(n, sig)] = run(XrpSqueezeSetup(XRP_CFG), steps)
    assert n == 1
    assert (sig.side, sig.strategy) == (Side.LONG, "s-xrp-sq")
    assert sig.stop_pct == pytest.approx(0.0022)
    assert hold_window(sig.strategy, SETTINGS) == HoldWindow(min_s=45.0, max_s=60.0)


def test_xrp_never_shorts_and_needs_heavy_shorts_for_a_scalp() -> None:
    """S-XRP-SQ: no signal is ever a short; below 53% shorts (or unknown) no scalp; a shallow dip is no dip."""
    dip = [
        bar_step(0, "XRP", high=2.500, low=2.495, close=2.498, short_share=0.5299),
        bar_step(1, "XRP", high=2.497, low=2.490, close=2.4925, short_share=0.5299),
    ]
    assert run(XrpSqueezeSetup(XRP_CFG), dip) == []
    shallow = [
        bar_step(0, "XRP", high=2.500, low=2.495, close=2.498, short_share=0.60),
        bar_step(1, "XRP", high=2.497, low=2.493, close=2.4950, short_share=0.60),  # 20 bps
    ]
    assert run(XrpSqueezeSetup(XRP_CFG), shallow) == []
    crash = [bar_step(n, "XRP", high=2.5, low=2.0, close=2.5 - 0.05 * n, short_share=0.9) for n in range(10)]
    assert all(sig.side is Side.LONG for _, sig in run(XrpSqueezeSetup(XRP_CFG), crash))


def test_build_setups_follows_the_enabled_switches() -> None:
    assert [s.name for s in build_setups(SETTINGS)] == ["s-btc-l", "s-btc-s", "s-sol-fade", "s-xrp-sq"]
    off = load_settings(env={"BIGALPHA__SETUPS__SOL_FEE_FADE__ENABLED": "false"})
    assert "s-sol-fade" not in [s.name for s in build_setups(off)]
    assert hold_window("s-btc-l", SETTINGS) is None


def test_state_round_trips_and_resumes_mid_pattern() -> None:
    """I-PERSIST-1: a setup restored from its state_dict continues a half-seen pattern exactly."""
    first = LowerBandLong(SETTINGS.setups.btc_lower_band_long)
    run(first, [bar_step(0, "BTC", high=107_000, low=106_600, close=106_700)])  # flushed
    restored = LowerBandLong(SETTINGS.setups.btc_lower_band_long)
    restored.load_state_dict(first.state_dict())
    assert restored.state_dict() == first.state_dict()
    reclaim = bar_step(1, "BTC", high=106_900, low=106_700, close=106_850, buy=8, sell=2)
    assert len(restored.on_market(*reclaim)) == 1
    for setup in (
        UpperBandShort(SETTINGS.setups.btc_upper_band_short),
        SolFeeFadeSetup(SOL_CFG),
        XrpSqueezeSetup(XRP_CFG),
    ):
        clone = type(setup)(setup._cfg)  # type: ignore[arg-type]
        clone.load_state_dict(setup.state_dict())
        assert clone.state_dict() == setup.state_dict()


def test_bad_state_and_out_of_order_input_are_clear_errors() -> None:
    setup = XrpSqueezeSetup(XRP_CFG)
    with pytest.raises(ValueError, match="s-xrp-sq state: highs"):
        setup.load_state_dict({"highs": "lots"})
    step = bar_step(3, "XRP", high=2.5, low=2.4, close=2.45, short_share=0.6)
    setup.on_market(*step)
    with pytest.raises(ValueError, match="is not after the last instant seen"):
        setup.on_market(*step)


def test_setups_ignore_other_symbols() -> None:
    steps = [bar_step(0, "ETH", high=107_000, low=106_600, close=106_700, short_share=0.9)]
    for setup in build_setups(SETTINGS):
        assert run(setup, steps) == []
