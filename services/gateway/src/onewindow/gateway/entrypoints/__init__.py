"""HTTP routes, dependencies, error handlers and request limits."""
