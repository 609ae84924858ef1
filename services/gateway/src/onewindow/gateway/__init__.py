"""One Window gateway service: the HTTP edge: auth, validation, queries, live status."""
