"""Aave ABI encoding/decoding, Solana p50 and Jito tips, alternative.me parsing (D-AAVE-1, D-SOL-1, A-FG-1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.data.chain.aave import UINT256_MAX, decode_account_data, encode_get_user_account_data
from bigalpha.data.chain.solana import jito_tip, p50_fee
from bigalpha.data.exchange.alternative_me import parse_fng

WALLET = "0x1111111111111111111111111111111111111111"


def _words(*values: int) -> str:
    return "0x" + "".join(f"{v:064x}" for v in values)


def test_call_data_is_selector_plus_left_padded_address() -> None:
    """D-AAVE-1: selector 0xbf92857c then the address left-padded to 32 bytes."""
    data = encode_get_user_account_data("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01")
    assert data == "0xbf92857c" + "0" * 24 + "abcdef0123456789abcdef0123456789abcdef01"
    assert len(data) == 2 + 8 + 64
    with pytest.raises(ValueError, match="not a 20-byte"):
        encode_get_user_account_data("0x1234")


@given(st.integers(min_value=0, max_value=10**30))
def test_health_factor_has_18_decimals(raw: int) -> None:
    """D-AAVE-1: the sixth word is the health factor, 18 decimals."""
    data = decode_account_data(_words(5 * 10**8, 2 * 10**8, 10**8, 8250, 8000, raw))
    assert data.health_factor == pytest.approx(raw / 10**18)
    assert data.total_collateral_base == 5.0
    assert data.total_debt_base == 2.0
    assert (data.liquidation_threshold_bps, data.ltv_bps) == (8250, 8000)


def test_no_debt_is_infinite_health() -> None:
    """D-AAVE-1: max uint256 means no debt → infinity."""
    assert math.isinf(decode_account_data(_words(1, 0, 0, 0, 0, UINT256_MAX)).health_factor)


@pytest.mark.parametrize("bad", ["0x", "0x1234", None, 42, "0x" + "zz" * 192])
def test_short_or_bad_results_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="eth_call result"):
        decode_account_data(bad)


def test_p50_of_recent_prioritization_fees() -> None:
    """D-SOL-1: p50 of the fees the node returns, and the newest slot."""
    fees = [{"slot": 10 + i, "prioritizationFee": f} for i, f in enumerate([0, 0, 100, 5000, 20000])]
    assert p50_fee(fees) == (100.0, 14)
    with pytest.raises(ValueError, match="no fees"):
        p50_fee([])
    with pytest.raises(ValueError, match=r"fees\[0\]"):
        p50_fee([{"slot": "x", "prioritizationFee": 1}])


def test_jito_tip_floor_in_lamports() -> None:
    """D-SOL-1: Jito tip levels come in SOL; lamports = SOL × 1e9."""
    body = [
        {"time": "2025-11-14T06:00:00Z", "landed_tips_50th_percentile": 1.5e-5, "landed_tips_75th_percentile": 3e-5}
    ]
    tip, when = jito_tip(body, "landed_tips_50th_percentile")
    assert tip == pytest.approx(15_000.0)
    assert when == datetime(2025, 11, 14, 6, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="landed_tips_99th"):
        jito_tip(body, "landed_tips_99th_percentile")


def test_alternative_me_newest_point_strings_and_seconds() -> None:
    """A-FG-1 fallback: values are strings, timestamps seconds, newest first."""
    body = {
        "name": "Fear and Greed Index",
        "data": [{"value": "16", "timestamp": "1763078400"}, {"value": "15", "timestamp": "1762992000"}],
        "metadata": {"error": None},
    }
    assert parse_fng(body) == (16.0, datetime.fromtimestamp(1763078400, tz=UTC))
    with pytest.raises(ValueError, match=r"metadata\.error"):
        parse_fng({"data": [], "metadata": {"error": "boom"}})
    with pytest.raises(ValueError, match="outside 0-100"):
        parse_fng({"data": [{"value": "140", "timestamp": "1"}]})
