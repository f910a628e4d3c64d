"""The ladder's targets, planned with each tier's factor and the entry's quantum found once, are the targets
`round_toward` gives one by one (P-LADDER-1)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from pos_helpers import CONFIG

from bigalpha.domain import Side
from bigalpha.positions._common import round_toward, to_decimal
from bigalpha.positions.ladder import ladder_targets

entries = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(200_000), places=6).filter(lambda d: d > 0)
ladders = st.lists(st.floats(min_value=0.0001, max_value=0.5), min_size=1, max_size=6, unique=True).map(sorted)


@given(side=st.sampled_from([Side.LONG, Side.SHORT]), entry=entries, pcts=ladders, digits=st.integers(3, 10))
def test_targets_are_rounded_one_by_one(side: Side, entry: Decimal, pcts: list[float], digits: int) -> None:
    config = CONFIG.model_copy(update={"price_significant_digits": digits})
    plain = tuple(round_toward(entry * (1 + side.sign * to_decimal(pct, "target")), entry, digits) for pct in pcts)
    got = ladder_targets(side, entry, pcts, config)
    assert [str(t) for t in got] == [str(t) for t in plain]  # the same digits and exponents, not only values
