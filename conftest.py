"""Fixtures shared by every package's tests: real Kafka and database, service processes."""

import os

from hypothesis import settings

# Property tests judge what happens, not how fast: on a loaded 2-core machine a single
# example can take longer than hypothesis's default 200 ms deadline.
settings.register_profile("onewindow", deadline=None)
settings.load_profile("onewindow")

# The tests run the development stack: the gateway accepts the development signing key.
os.environ.setdefault("ONEWINDOW_ENV", "development")

pytest_plugins = ["onewindow.devstack.pytest_plugin"]
