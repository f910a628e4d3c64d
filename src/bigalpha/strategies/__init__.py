"""Strategies: each turns market contexts into signals for the gate and the risk gate."""
