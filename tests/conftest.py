"""What the end-to-end and browser tests share: the public API of the session's system."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from onewindow.cli.seeding import Gateway
from onewindow.devstack.pytest_plugin import RunningServices


@pytest.fixture
async def gateway(services: RunningServices) -> AsyncIterator[Gateway]:
    """The gateway of the session's services, driven over HTTP as a client would."""
    client = Gateway(services.gateway)
    yield client
    await client.close()
