"""Trading days and sessions (R-G-3, R-M-2, S-SESSION): where each begins, in UTC.

A day starts at `risk.day_start_utc_hour` and lasts 24 hours; sessions of `setups.session.session_hours`
tile each day from its start, the last one shorter when the hours do not divide 24.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bigalpha.clock import require_utc


def day_start(moment: datetime, hour: int) -> datetime:
    """Start of the trading day holding `moment`."""
    moment = require_utc(moment)
    start = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
    return start if start <= moment else start - timedelta(days=1)


def session_start(moment: datetime, hour: int, session_hours: float) -> datetime:
    """Start of the session holding `moment`: sessions tile the day from its start."""
    start = day_start(moment, hour)
    length = timedelta(hours=session_hours)
    return start + length * ((require_utc(moment) - start) // length)


@dataclass(frozen=True, slots=True)
class Period:
    """The day and session holding an instant, and until when they hold (the next boundary of either)."""

    day: datetime
    session: datetime
    until: datetime

    def holds(self, moment: datetime) -> bool:
        """True when `day_start` and `session_start` of `moment` are this period's `day` and `session`."""
        return self.session <= moment < self.until


def period_at(moment: datetime, hour: int, session_hours: float) -> Period:
    """The period holding `moment`: every instant from its session's start up to the next day or session start
    (whichever comes first) has the same day and session start, so a caller may reuse them until `until`."""
    day = day_start(moment, hour)
    session = session_start(moment, hour, session_hours)
    return Period(day, session, min(day + timedelta(days=1), session + timedelta(hours=session_hours)))
