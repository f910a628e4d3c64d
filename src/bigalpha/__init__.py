"""bigalpha: an institutional-style trend follower for crypto perpetual futures."""

__version__ = "0.1.0"
