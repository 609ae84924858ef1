"""Shared runtime of the One Window services."""
