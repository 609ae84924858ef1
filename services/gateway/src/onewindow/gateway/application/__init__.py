"""The gateway's use cases: turn an admitted request into a command on the bus."""
