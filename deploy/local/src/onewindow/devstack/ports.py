"""Free TCP ports for the processes a test, the bench or a chaos run starts."""

from __future__ import annotations

import random
import socket

# The shared local stack's own ports (Kafka, FerretDB, the mail sink, the services).
SHARED_PORTS = {9092, 9093, 27017, 1025, *range(8080, 8100)}
# Below Linux's ephemeral range (32768-60999): a port the kernel hands out for a moment
# (binding port 0) is soon some outgoing connection's local end, and a client that keeps
# reconnecting to a killed server can be given that very port (a TCP self-connect); the
# server meant to listen there then fails with "address already in use".
OWN_PORTS = range(20_000, 32_000)
_taken: set[int] = set()


def free_port(*, with_offset: int = 0) -> int:
    """A free loopback port the shared stack would never take, outside the ephemeral
    range, not handed out before in this process; with `with_offset`, `port + offset`
    is kept for the same process too (a gateway's management port)."""
    while True:
        port = random.choice(OWN_PORTS)
        wanted = {port, port + with_offset}
        if wanted & SHARED_PORTS or wanted & _taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.update(wanted)
        return port
