"""One Window identity service: persons, the e-government registry and identity verification."""
