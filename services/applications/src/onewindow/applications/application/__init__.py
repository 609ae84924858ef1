"""Application layer of the applications service."""
