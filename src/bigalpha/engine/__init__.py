"""The engine: one tick at a time, feed → indicators → strategies → gate → risk → broker → positions → store."""
