"""L-SHADOW-1, L-GUARD-1: the review reads a shadow's outcome the same whether it comes as a narrow
`ShadowOutcome` (the engine's 4-hour review) or as a whole `ShadowTradeRow` (a backtest's summary)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.config import load_settings
from bigalpha.domain import PositionId, StrategyName
from bigalpha.gate.learned import GateLearnedState
from bigalpha.learning.review import guard_effectiveness, slippage_review
from bigalpha.store.records import ShadowOutcome
from bigalpha.store.tables import ShadowTradeRow
from store_cases import T0, make_position

SETTINGS = load_settings(env={})

outcomes = st.builds(
    ShadowOutcome,
    strategy=st.sampled_from(("alpha_ofi", "sol_fee_fade")),
    symbol=st.sampled_from(("BTC", "ETH")),
    taken=st.booleans(),
    blocked_by=st.sampled_from((None, "WHALE_INTENT", "GOLDEN_HOUR")),
    return_pct=st.one_of(st.none(), st.floats(min_value=-0.2, max_value=0.2, allow_nan=False)),
    position_id=st.sampled_from((None, "pos-0", "pos-1", "pos-2")),
    closed_at=st.just(T0),
)


def _row(outcome: ShadowOutcome, n: int) -> ShadowTradeRow:
    return ShadowTradeRow(
        id=f"shd-{n}",
        signal_id=f"sig-{n}",
        side="long",
        opened_at=T0,
        entry_price=100.0,
        stop_price=99.0,
        targets=[101.0],
        **dataclasses.asdict(outcome),
    )


@settings(max_examples=100, deadline=None)
@given(
    shadows=st.lists(outcomes, max_size=30),
    pnls=st.lists(st.decimals(min_value=-50, max_value=50, places=2), max_size=8),
)
def test_the_review_reads_outcomes_and_whole_rows_alike(shadows: list[ShadowOutcome], pnls: list[Decimal]) -> None:
    trades = [
        dataclasses.replace(
            make_position(), id=PositionId(f"pos-{n}"), strategy=StrategyName("alpha_ofi"), realized_pnl=pnl
        )
        for n, pnl in enumerate(pnls)
    ]
    rows = [_row(outcome, n) for n, outcome in enumerate(shadows)]
    learned = GateLearnedState.initial(SETTINGS)
    assert slippage_review(shadows, trades, learned, SETTINGS) == slippage_review(rows, trades, learned, SETTINGS)
    assert guard_effectiveness(shadows) == guard_effectiveness(rows)
