"""G-GOLDEN-1's messages write the signal's UTC time with `hh_mm_ss`, which must be strftime's `%H:%M:%S`."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bigalpha.gate.timing import hh_mm_ss


@given(st.datetimes(timezones=st.just(UTC)))
def test_hh_mm_ss_is_strftime(moment: datetime) -> None:
    assert hh_mm_ss(moment) == f"{moment:%H:%M:%S}"
