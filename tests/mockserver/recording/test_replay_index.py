"""``--replay`` with a cassette of thousands of exchanges: every request is answered with its own
recorded answer after comparing it with one recorded request (the replayer's Playback counts them),
and only an unmatched request is compared with all of them (for its near misses)."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from contracts.cassette import Interaction, Request, Response, write_cassette
from mockserver import create_app
from mockserver.recording import EXTENSION
from mockserver.recording.common import url_of
from mockserver.recording.replay import Replayer

COUNT = 3000


def body(number: int) -> dict[str, object]:
    return {"prompt": f"take {number}", "n": 1, "size": "256x256"}


def test_each_request_of_a_large_cassette_costs_one_comparison(tmp_path: Path) -> None:
    write_cassette(tmp_path / "big.json", [
        Interaction(Request("POST", "https://api.example.test/v1/images/generations",
                            [("Content-Type", "application/json")], json.dumps(body(n)).encode()),
                    Response(200, "OK", [("Content-Type", "application/json")],
                             json.dumps({"created": n, "data": []}).encode()))
        for n in range(COUNT)])
    app = create_app(replay=str(tmp_path))
    replayer = app.extensions[EXTENSION]
    assert isinstance(replayer, Replayer)
    client = app.test_client()
    for n in (COUNT - 1, 0, COUNT // 2, COUNT - 2):
        response = client.post("/v1/images/generations", json=body(n))
        assert response.status_code == 200 and response.get_json()["created"] == n
    assert replayer.playback.compared == 4
    missed = client.post("/v1/images/generations", json=body(COUNT))
    assert missed.status_code == 404 and missed.get_json()["error"]["code"] == "no_recorded_match"
    assert replayer.playback.compared == 4  # the near misses are looked for apart, on a miss only


def test_the_url_a_replay_matches_is_werkzeugs() -> None:
    for path, query in [("/v1/images/generations", ""), ("/v1/a b", ""), ("/v1/é", ""), ("/v1/x", "a=1&b=%20"),
                        ("/v1/a%3Fb", "")]:
        req = WerkzeugRequest(EnvironBuilder(path=path, query_string=query,
                                             headers={"Host": "127.0.0.1:8000"}).get_environ())
        assert url_of(req) == req.url
