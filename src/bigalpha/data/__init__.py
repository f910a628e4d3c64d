"""Market data: the feed port, the simulator, history loaders, live providers."""
