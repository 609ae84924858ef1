"""The identity service's adapters: one module per technology."""
