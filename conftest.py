"""Fixtures shared by every package's tests: real Kafka and database, service processes."""

import os

# The tests run the development stack: the gateway accepts the development signing key.
os.environ.setdefault("ONEWINDOW_ENV", "development")

pytest_plugins = ["onewindow.devstack.pytest_plugin"]
