"""Adapters layer of the applications service."""
