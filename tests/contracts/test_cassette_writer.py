"""contracts.cassette.CassetteWriter: a long session is cut into parts, each a whole cassette, so
that the bytes written per exchange stay bounded however long the session; parts are read back in
the session's order; fsync when a part is full and at close, not per exchange."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from contracts import cassette
from contracts.cassette import CassetteWriter, Interaction, Request, Response, read_cassette, read_directory


def exchange(number: int, image: bytes = b"") -> Interaction:
    body = json.dumps({"created": number, "data": [{"b64_json": image.hex()}]}).encode()
    sent = json.dumps({"prompt": f"take {number}"}).encode()
    return Interaction(Request("POST", "https://api.example.test/v1/images/generations",
                               [("Content-Type", "application/json")], sent),
                       Response(200, "OK", [("Content-Type", "application/json")], body))


def test_a_session_is_cut_into_whole_cassettes_read_back_in_order(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path / "session-1.json", part_exchanges=3)
    numbers = [writer.add(exchange(n)) for n in range(8)]
    assert numbers == list(range(1, 9)) and len(writer) == 8
    assert [p.name for p in writer.paths] == ["session-1.json", "session-1.part00002.json", "session-1.part00003.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in writer.paths]  # in name order, no temp file
    assert [len(read_cassette(p)) for p in writer.paths] == [3, 3, 2]  # each a cassette of its own
    assert [json.loads(i.request.body)["prompt"] for i in read_directory(tmp_path)] == [f"take {n}" for n in range(8)]
    assert [writer.location(n) for n in (1, 3, 4, 8)] == [
        "session-1.json#1", "session-1.json#3", "session-1.part00002.json#1", "session-1.part00003.json#2"]


def test_the_bytes_written_per_exchange_do_not_grow_with_the_session(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    write = cassette._write_atomically

    def counted(path: Path, data: bytes, *, sync: bool = True) -> None:
        sizes.append(len(data))
        write(path, data, sync=sync)

    monkeypatch.setattr(cassette, "_write_atomically", counted)
    image = os.urandom(30_000)  # ~60 KB of hex a exchange
    writer = CassetteWriter(tmp_path / "s.json", part_bytes=200_000)
    for n in range(60):
        writer.add(exchange(n, image))
    one = sizes[0]
    assert len(sizes) == 60
    assert max(sizes) < 4 * one  # a part holds at most 200 KB (3 exchanges here) plus the one that starts the next
    assert sum(sizes) < 3 * 60 * one  # linear in the session's length (one file rewritten whole: 60 * 61 / 2 * one)
    assert len(read_directory(tmp_path)) == 60


def test_fsync_when_a_part_is_full_and_at_close_not_per_exchange(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    fsync = os.fsync

    def counted(fd: int) -> None:
        synced.append(fd)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", counted)
    writer = CassetteWriter(tmp_path / "s.json", part_exchanges=5)
    for n in range(12):
        writer.add(exchange(n))
    assert len(synced) == 2  # the two full parts
    writer.close()
    assert len(synced) == 4  # the last part, and the directory's renames
