"""How work reaches the service: the command subscription and the expiry timer."""
