"""The work permit's law: policy data, classification, and the permit aggregate (pure)."""
