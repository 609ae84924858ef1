"""The identity service's entrypoints: the identity.commands subscriber and internal HTTP."""
