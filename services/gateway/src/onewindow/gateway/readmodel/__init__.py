"""The application read model: a projection of the case events into the API view."""
