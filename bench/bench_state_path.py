"""What a shared state (Redis) costs the fake per request, in-process, next to memory.

One n=1 url generation (``{"prompt": "a white siamese cat", "size": "256x256"}``) through the
Flask test client, in short rounds alternating an in-memory fake and a fake on a real redis-server
(started here on a free port, no persistence): the fake's CPU per request (process time,
this process only) and, for Redis, the redis-server's own CPU per request and the commands it
ran per request. Rate limiting on (a window too large to refuse), journal on (the defaults).
The ratio is the median of the rounds' ratios, so a change in the machine's load between rounds
(it is shared) counts little.

Aim (issue 13): the fake's CPU per request on Redis within 1.5x of memory.

Run:  .venv/bin/python bench/bench_state_path.py [--requests 2000 --rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver import create_app
from tests.support.redisserver import RedisServer

BODY = {"prompt": "a white siamese cat", "size": "256x256", "response_format": "url"}
AUTH = {"Authorization": "Bearer sk-bench"}
SETTINGS: dict[str, Any] = {"rate_limits": "1000000/1m"}


def redis_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commands(client: Any) -> int:
    return sum(int(v["calls"]) for v in client.info("commandstats").values())


def run(app: Any, count: int) -> float:
    client = app.test_client()
    started = time.process_time()
    for _ in range(count):
        response = client.post("/v1/images/generations", json=BODY, headers=AUTH)
        assert response.status_code == 200, response.get_json()
    return (time.process_time() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="per round")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with RedisServer() as server:
        memory = create_app(**SETTINGS)
        shared = create_app(state=server.url, **SETTINGS)
        backend = shared.extensions["mockserver"]
        pid = int(backend.state.client.info("server")["process_id"])
        run(memory, 200), run(shared, 200)  # warm up
        mem, red, red_server, cmds = [], [], [], []
        for i in range(args.rounds):
            if i % 10 == 0:
                memory.test_client().post("/_mock/reset")
                shared.test_client().post("/_mock/reset")
            mem.append(run(memory, args.requests))
            before_cpu, before_cmds = redis_cpu(pid), commands(backend.state.client)
            red.append(run(shared, args.requests))
            red_server.append((redis_cpu(pid) - before_cpu) / args.requests)
            cmds.append((commands(backend.state.client) - before_cmds - 1) / args.requests)
        backend.close()
    m, r, s = statistics.median(mem), statistics.median(red), statistics.median(red_server)
    ratios = sorted(b / a for a, b in zip(mem, red, strict=True))
    print(f"fake CPU per request, memory: {m * 1e6:7.0f} us (median of {args.rounds} rounds)")
    print(f"fake CPU per request, redis:  {r * 1e6:7.0f} us")
    print(f"ratio redis/memory: {statistics.median(ratios):.2f}  (aim <= 1.5; rounds' quartiles "
          f"{ratios[len(ratios) // 4]:.2f}-{ratios[3 * len(ratios) // 4]:.2f})")
    print(f"redis-server CPU per request: {s * 1e6:.0f} us; commands per request: {statistics.median(cmds):.1f}")
    print(f"fake + redis-server CPU per request: {(r + s) * 1e6:.0f} us ({(r + s) / m:.2f}x memory)")


if __name__ == "__main__":
    main()
