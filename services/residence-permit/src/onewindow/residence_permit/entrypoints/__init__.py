"""How commands reach the service: the command subscription and the expiry timer."""
