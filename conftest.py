"""Fixtures shared by every package's tests: real Kafka and database, service processes."""

pytest_plugins = ["onewindow.devstack.pytest_plugin"]
