"""Loopback ports: a free one, for what must be told its port before it starts (redis-server),
and whether one still accepts connections."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now. ASSUMPTION: nothing takes it before the caller binds
    it (only the tests' own processes bind ports here, and the kernel hands ports out in turn)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refused(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a connection to ``port`` is refused now (nothing listens, or it stopped accepting)."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False
