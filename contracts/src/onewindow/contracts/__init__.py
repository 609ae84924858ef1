"""Every message on the One Window bus: topic registry, envelope, versioned models."""
