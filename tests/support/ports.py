"""A free loopback port, for what must be told its port before it starts (redis-server)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now. ASSUMPTION: nothing takes it before the caller binds
    it (only the tests' own processes bind ports here, and the kernel hands ports out in turn)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
