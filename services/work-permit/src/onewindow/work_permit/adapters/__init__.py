"""Adapters of the work-permit service: MongoDB collections beside the event store."""
