"""Market indicators: pure, vectorized functions of price and flow arrays."""
