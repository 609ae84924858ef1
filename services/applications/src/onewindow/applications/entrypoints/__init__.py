"""Entrypoints layer of the applications service."""
