"""The residence permit's law: policy data and the permit aggregate (pure)."""
