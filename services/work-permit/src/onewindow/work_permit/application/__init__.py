"""Use cases of the work-permit service: load the permit, decide, append (async)."""
