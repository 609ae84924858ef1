"""The identity service's use cases: record in the registry, verify a case, close it."""
