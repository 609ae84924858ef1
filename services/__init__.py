"""Makes `services.gateway.tests` a unique package name for pytest (importlib mode)."""
