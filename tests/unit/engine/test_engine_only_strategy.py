"""`only_strategy`: the bot trading one of its strategies alone (`bigalpha backtest --strategy NAME`)."""

from __future__ import annotations

import pytest

from bigalpha.config import Settings
from bigalpha.engine.build import STRATEGY_SWITCHES, BuildError, only_strategy, strategies


def test_each_strategy_of_the_bot_can_be_chosen_alone_and_comes_fresh() -> None:
    settings = Settings()
    assert set(STRATEGY_SWITCHES) == {strategy.name for strategy in strategies(settings)}
    for name in STRATEGY_SWITCHES:
        first, second = only_strategy(settings, name), only_strategy(settings, name)
        assert [strategy.name for strategy in first] == [name]
        assert first[0] is not second[0]  # a strategy keeps state: each run gets its own


def test_an_unknown_or_switched_off_strategy_is_refused_with_what_to_do() -> None:
    with pytest.raises(BuildError, match="no strategy 'magic'; its strategies are alpha_ofi, s-btc-l"):
        only_strategy(Settings(), "magic")
    settings = Settings.model_validate({"setups": {"sol_fee_fade": {"enabled": False}}})
    with pytest.raises(BuildError, match=r"--param setups\.sol_fee_fade\.enabled=true"):
        only_strategy(settings, "s-sol-fade")
