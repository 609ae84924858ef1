"""Adapters of the residence-permit service: MongoDB collections beside the event store."""
