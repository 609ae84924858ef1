"""The public HTTP API's shapes (API.md): request and response models, problem types."""
