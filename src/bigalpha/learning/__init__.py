"""The learning loop: shadow trades, guard effectiveness, probation, threshold tuning (L-* rules)."""
