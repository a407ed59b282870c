"""A recording process killed (SIGKILL) while requests are in flight leaves only whole cassettes:
every ``*.json`` in DIR reads as a VCR.py cassette, and every exchange answered before the kill is
in them (the recorder writes an exchange before it answers), in order, across the session's parts."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import httpx

from contracts.cassette import PART_EXCHANGES, cassette_files, read_cassette, read_directory
from tests.support.processes import FakeProcess

BODY = {"prompt": "a white siamese cat", "n": 1, "size": "256x256"}


def test_a_killed_recording_leaves_only_whole_cassettes(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    answered: list[int] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def send(recorder_url: str, first: int) -> None:
        with httpx.Client(base_url=recorder_url, headers={"Authorization": "Bearer sk-kill"}, timeout=10) as client:
            for number in range(first, 10_000, 4):
                if stop.is_set():
                    return
                try:
                    response = client.post("/images/generations", json={**BODY, "prompt": f"take {number}"})
                except httpx.HTTPError:
                    return  # killed under this request
                assert response.status_code == 200, response.text
                with lock:
                    answered.append(number)
                    if len(answered) >= PART_EXCHANGES + 30:
                        enough.set()

    with FakeProcess("--rate-limit", "off") as upstream, \
            FakeProcess("--record", str(directory), "--upstream", upstream.base_url) as recorder:
        senders = [threading.Thread(target=send, args=(recorder.base_url, n)) for n in range(4)]
        for sender in senders:
            sender.start()
        assert enough.wait(120), f"only {len(answered)} answers"
        recorder.signal(signal.SIGKILL)  # in the middle of the traffic: some exchange is being written
        recorder.proc.wait(10)
        stop.set()
        for sender in senders:
            sender.join(30)

    cassettes = cassette_files(directory)
    assert len(cassettes) >= 2  # the session's parts
    assert all(not p.name.startswith(".") for p in cassettes)
    for path in cassettes:  # each a whole cassette (json.loads of a half-written file fails)
        assert json.loads(path.read_bytes())["version"] == 1
        assert 1 <= len(read_cassette(path)) <= PART_EXCHANGES
    recorded = [int(json.loads(i.request.body)["prompt"].removeprefix("take ")) for i in read_directory(directory)]
    assert set(answered) <= set(recorded)  # written before it was answered
    assert len(recorded) == len(set(recorded))
    for sender_first in range(4):  # each sender's requests, one after the other: in its order
        mine = [n for n in recorded if n % 4 == sender_first]
        assert mine == sorted(mine)
