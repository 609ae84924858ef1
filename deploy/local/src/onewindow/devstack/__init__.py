"""The local stack without Docker: provisioning, processes, and test infrastructure."""
