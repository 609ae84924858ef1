"""Version 1 of every message; changes within v1 are additive only."""
