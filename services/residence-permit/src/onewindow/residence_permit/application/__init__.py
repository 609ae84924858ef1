"""Use cases of the residence-permit service: load the permit, decide, append (async)."""
