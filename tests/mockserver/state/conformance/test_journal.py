"""The journal (:class:`mockserver.state.journal.Journal`) on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.state import State
from tests.mockserver.state.conformance.conftest import request


def entry(i: int, endpoint: str = "generations", status: int = 200, **more: Any) -> dict[str, Any]:
    return {"id": f"req_{i}", "endpoint": endpoint, "status": status, "params": {"prompt": f"cat {i}"}, **more}


def test_entries_are_kept_in_order_and_filtered(state: State) -> None:
    journal = state.journal
    for i, (endpoint, status) in enumerate([("generations", 200), ("edits", 400), ("generations", 429)]):
        journal.record(entry(i, endpoint, status))
    assert [e["id"] for e in journal.entries()] == ["req_0", "req_1", "req_2"]
    assert journal.entries()[0] == entry(0)
    assert [e["id"] for e in journal.entries(endpoint="generations")] == ["req_0", "req_2"]
    assert [e["id"] for e in journal.entries(status=400)] == ["req_1"]
    assert journal.entries(endpoint="edits", status=200) == []
    assert len(journal) == 3


def test_the_journal_keeps_its_size_and_resize_drops_the_oldest(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=3).journal
    for i in range(5):
        journal.record(entry(i))
    assert [e["id"] for e in journal.entries()] == ["req_2", "req_3", "req_4"] and len(journal) == 3
    journal.resize(2)
    assert [e["id"] for e in journal.entries()] == ["req_3", "req_4"] and len(journal) == 2
    journal.resize(4)
    for i in range(5, 8):
        journal.record(entry(i))
    assert [e["id"] for e in journal.entries()] == ["req_4", "req_5", "req_6", "req_7"]


def test_a_journal_of_size_zero_keeps_nothing(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=0).journal
    journal.record(entry(0))
    assert journal.entries() == [] and len(journal) == 0
    assert journal.since(None)[0] == []


def test_a_cursor_reads_only_what_came_after_it(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=4).journal
    everything, cursor, complete = journal.since(None)
    assert everything == [] and complete is True
    journal.record(entry(0))
    journal.record(entry(1))
    found, cursor, complete = journal.since(cursor)
    assert [e["id"] for e in found] == ["req_0", "req_1"] and complete is False
    nothing, _, complete = journal.since(cursor)
    assert nothing == [] and complete is False
    for i in range(2, 8):
        journal.record(entry(i))
    found, later, complete = journal.since(cursor)
    assert [e["id"] for e in found] == ["req_4", "req_5", "req_6", "req_7"] and complete is False  # what is kept
    whole, _, complete = journal.since(None)
    assert [e["id"] for e in whole] == ["req_4", "req_5", "req_6", "req_7"] and complete is True
    assert journal.since("abcd:3")[2] is True  # another run's cursor: read the whole journal
    assert journal.since("nonsense")[2] is True
    assert journal.since(later)[0] == []


def test_clear_forgets_and_starts_a_new_epoch(state: State) -> None:
    journal = state.journal
    journal.record(entry(0))
    _, cursor, _ = journal.since(None)
    journal.clear()
    assert journal.entries() == [] and len(journal) == 0
    journal.record(entry(1))
    found, new_cursor, complete = journal.since(cursor)
    assert [e["id"] for e in found] == ["req_1"] and complete is True  # the reader must start afresh
    assert new_cursor.split(":")[0] != cursor.split(":")[0]


def test_a_streams_entry_is_kept_at_once_and_updated_when_it_ends(state: State) -> None:
    journal = state.journal
    with request(state):
        number = journal.record_stream(entry(0, stream=True, events=0))
        assert journal.entries()[-1]["events"] == 0
        journal.record(entry(1))
    journal.update(number, entry(0, stream=True, events=3))
    assert [(e["id"], e.get("events")) for e in journal.entries()] == [("req_0", 3), ("req_1", None)]
    journal.record(entry(2))
    assert journal.record_stream(entry(3, stream=True)) == number + 3


def test_an_update_of_an_entry_no_longer_kept_changes_nothing(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=2).journal
    number = journal.record_stream(entry(0, events=0))
    journal.record(entry(1))
    journal.record(entry(2))
    journal.update(number, entry(0, events=5))
    assert [e["id"] for e in journal.entries()] == ["req_1", "req_2"]


def test_an_answers_entry_is_kept_once_its_request_ends(state: State, peer: State) -> None:
    with request(state):
        state.journal.record(entry(0))
    with request(peer):
        assert [e["id"] for e in peer.journal.entries()] == ["req_0"]
