"""The identity domain: persons, the registry's records, open cases and verification.

Pure and synchronous: no I/O, no clock, no randomness.
"""
