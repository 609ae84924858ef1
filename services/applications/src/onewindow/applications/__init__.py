"""One Window applications service: the combined application and its saga."""
