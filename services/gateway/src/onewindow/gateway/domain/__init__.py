"""The gateway's own rules: admission at the door, idempotency, case ownership (pure)."""
