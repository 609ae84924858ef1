"""Domain layer of the applications service."""
