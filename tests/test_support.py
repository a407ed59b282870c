"""The test Redis itself: it answers, empties, and comes back on its port after a stop."""

from __future__ import annotations

from tests.support.redisserver import RedisServer


def test_redis_server_stops_and_starts_again_on_its_port(redis_server: RedisServer) -> None:
    assert redis_server.ping()
    port = redis_server.port
    redis_server.stop()
    assert not redis_server.ping()
    redis_server.start()
    assert redis_server.port == port and redis_server.ping()
