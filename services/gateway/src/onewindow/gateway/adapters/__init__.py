"""The gateway's adapters: one module per technology (JWT, MongoDB, Kafka, HTTP)."""
