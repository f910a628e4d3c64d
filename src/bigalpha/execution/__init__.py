"""Execution: the `Broker` port, the paper broker, perpetual-futures accounting, the order router."""
