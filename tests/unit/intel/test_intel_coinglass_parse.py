"""CoinGlass parsers and plan rules (D-CG-1, D-CG-5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.config.data import CoinGlassConfig, CoinGlassPlan
from bigalpha.data.coinglass import Endpoint, interval_seconds, plan_refusal
from bigalpha.data.coinglass import parse as p


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_numbers_parse_the_same_as_strings_or_numbers(value: float) -> None:
    """D-CG-5: numbers may arrive as strings."""
    assert p.number(value, "x") == p.number(repr(value), "x") == value


@pytest.mark.parametrize("bad", [None, True, "abc", "nan", [], {}])
def test_bad_numbers_name_the_field(bad: object) -> None:
    with pytest.raises(p.ParseError, match=r"data\[3\]\.close"):
        p.number(bad, "data[3].close")


def test_times_in_seconds_and_milliseconds_agree() -> None:
    """API_NOTES §12: ms everywhere except heatmap candles (seconds); normalise t*1000 if t < 1e12."""
    assert p.when(1763100000, "t") == p.when(1763100000000, "t") == p.when("1763100000000", "t")
    assert p.when(1763100000, "t").tzinfo is UTC


def test_fear_greed_accepts_the_documented_array_form_too() -> None:
    obs = {"data_list": [30.0], "price_list": [1.0], "time_list": [1517443200000]}
    assert p.parse_fear_greed([obs]) == p.parse_fear_greed(obs)
    with pytest.raises(p.ParseError, match="time_list"):
        p.parse_fear_greed({"data_list": [1.0, 2.0], "time_list": [1]})


def test_subscription_levels_map_to_plans() -> None:
    sub = p.parse_subscription({"level": "PROFESSIONAL", "expire_time": 1805943491000, "expired": False})
    assert sub.plan is CoinGlassPlan.PROFESSIONAL
    assert sub.expires_at == datetime.fromtimestamp(1805943491, tz=UTC)
    assert p.parse_subscription({"level": "PLATINUM"}).plan is None


@pytest.mark.parametrize(
    ("plan", "endpoint", "interval", "served"),
    [
        (CoinGlassPlan.HOBBYIST, Endpoint.HEATMAP, None, False),
        (CoinGlassPlan.STANDARD, Endpoint.HEATMAP, None, False),
        (CoinGlassPlan.PROFESSIONAL, Endpoint.HEATMAP, None, True),
        (CoinGlassPlan.HOBBYIST, Endpoint.CVD_PAIR, "4h", False),
        (CoinGlassPlan.STARTUP, Endpoint.CVD_PAIR, "30m", True),
        (CoinGlassPlan.STARTUP, Endpoint.CVD_PAIR, "5m", False),
        (CoinGlassPlan.HOBBYIST, Endpoint.LONG_SHORT, "1h", False),
        (CoinGlassPlan.HOBBYIST, Endpoint.LONG_SHORT, "4h", True),
        (CoinGlassPlan.HOBBYIST, Endpoint.LONG_SHORT, "1d", True),
        (CoinGlassPlan.STANDARD, Endpoint.LONG_SHORT, "5m", True),
        (CoinGlassPlan.HOBBYIST, Endpoint.TAKER_EXCHANGES, None, True),
        (CoinGlassPlan.HOBBYIST, Endpoint.MAX_PAIN, None, True),
    ],
)
def test_plan_rules(plan: CoinGlassPlan, endpoint: Endpoint, interval: str | None, served: bool) -> None:
    """D-CG-5: heatmap Professional; CVD Startup and up; intervals under 4h Startup and up (30m), Standard any."""
    assert (plan_refusal(plan, endpoint, interval, CoinGlassConfig()) is None) is served


def test_interval_seconds_rejects_nonsense() -> None:
    assert interval_seconds("4h") == 14400
    with pytest.raises(ValueError, match="h4"):
        interval_seconds("h4")


@pytest.mark.shared
def test_parsers_read_the_documented_fixture_shapes(coinglass_fixtures: Path) -> None:
    """D-CG-1, D-CG-5: every documented payload in ../shared parses into typed results."""

    def data(name: str) -> object:
        body = json.loads((coinglass_fixtures / name).read_text())
        assert str(body["code"]) == "0"
        return body["data"]

    heat = p.parse_heatmap(data("futures_liquidation_aggregated-heatmap_model1.json"))
    levels = heat.levels(3)
    close = heat.candles[-1].close
    assert levels
    assert any(lv.price > close for lv in levels)
    assert any(lv.price < close for lv in levels)
    assert p.parse_ohlc_history(data("futures_open-interest_aggregated-history.json"))[-1].close > 1e10
    assert (
        p.parse_long_short_history(data("futures_global-long-short-account-ratio_history.json"))[0].long_short_ratio > 0
    )
    taker = p.parse_taker_exchange_list(data("futures_taker-buy-sell-volume_exchange-list.json"))
    assert taker.exchanges[0].exchange == "Binance"
    assert p.parse_taker_history(
        data("futures_v2_taker-buy-sell-volume_history.json"), "taker_buy_volume_usd", "taker_sell_volume_usd"
    )
    assert p.parse_taker_history(
        data("futures_aggregated-taker-buy-sell-volume_history.json"),
        "aggregated_buy_volume_usd",
        "aggregated_sell_volume_usd",
    )
    assert p.parse_max_pain(data("option_max-pain.json"))[0].max_pain_price > 0
    assert p.parse_depth_history(data("futures_orderbook_aggregated-ask-bids-history.json"), "aggregated_")
    assert p.parse_depth_history(data("futures_orderbook_ask-bids-history.json"), "")
    assert p.parse_cvd_history(data("futures_cvd_history.json"), "taker_buy_vol", "taker_sell_vol")
    assert p.parse_cvd_history(data("futures_aggregated-cvd_history.json"), "agg_taker_buy_vol", "agg_taker_sell_vol")
    fng = p.parse_fear_greed(data("index_fear-greed-history.json"))
    assert 0 <= fng[-1].value <= 100
    coins = p.parse_funding_exchange_list(data("futures_funding-rate_exchange-list.json"))
    assert any(c.symbol == "BTC" for c in coins)
    assert p.parse_ohlc_history(data("futures_funding-rate_history.json"))
    assert p.parse_ohlc_history(data("futures_funding-rate_oi-weight-history.json"))
    assert p.parse_subscription(data("user_account_subscription.json")).plan is CoinGlassPlan.PROFESSIONAL
    errors = json.loads((coinglass_fixtures / "errors_examples.json").read_text())
    assert all(
        str(v["code"]) != "0"
        for k, v in errors.items()
        if not k.startswith("_") and isinstance(v, dict) and "code" in v
    )
