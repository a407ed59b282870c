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


# --- bounded in bytes, read in pages ---------------------------------------------------------

BIG = 10_000  # characters of a big entry's prompt: each weighs a little over 10 KB, as JSON and as weighed


def big(i: int, **more: Any) -> dict[str, Any]:
    return entry(i, params={"prompt": f"{i:05d}" + "x" * (BIG - 5)}, **more)


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in found]


def test_the_journal_keeps_its_bytes_dropping_the_oldest(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=1000, journal_bytes=35_000).journal
    for i in range(5):
        journal.record(big(i))
    assert ids(journal.entries()) == ["req_2", "req_3", "req_4"] and len(journal) == 3  # 4 would pass 35,000
    for i in range(5, 105):
        journal.record(entry(i))  # about 100 bytes each: the 100 pass 35,000 with 3 big ones, not with 2
    assert ids(journal.entries()) == ["req_3", "req_4", *(f"req_{i}" for i in range(5, 105))]
    assert len(journal) == 102


def test_the_newest_entry_is_kept_whatever_it_weighs(opened: Callable[..., State]) -> None:
    journal = opened(journal_bytes=1).journal
    journal.record(big(0))
    journal.record(big(1))
    assert ids(journal.entries()) == ["req_1"]


def test_resize_bounds_the_bytes_from_the_next_entry_on(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100).journal
    for i in range(5):
        journal.record(big(i))
    journal.resize(100, 25_000)
    journal.record(big(5))
    assert ids(journal.entries()) == ["req_4", "req_5"]
    journal.resize(100, 1_000_000)
    for i in range(6, 10):
        journal.record(big(i))
    assert ids(journal.entries()) == [f"req_{i}" for i in range(4, 10)]


def test_an_update_is_weighed_as_the_entry_it_writes(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100, journal_bytes=25_000).journal
    number = journal.record_stream(entry(0, stream=True, events=0))
    journal.record(entry(1))
    journal.update(number, big(0, stream=True, events=3))  # now about 10 KB
    journal.record(big(2))
    assert ids(journal.entries()) == ["req_0", "req_1", "req_2"]
    journal.record(big(3))  # 30 KB with the updated entry: it goes
    assert ids(journal.entries()) == ["req_1", "req_2", "req_3"]


def test_pages_follow_the_cursor_to_the_end(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100).journal
    for i in range(7):
        journal.record(entry(i))
    first = journal.page(None, limit=3, max_bytes=10**9)
    assert ids(first.entries) == ["req_0", "req_1", "req_2"] and first.complete and first.more
    second = journal.page(first.cursor, limit=3, max_bytes=10**9)
    assert ids(second.entries) == ["req_3", "req_4", "req_5"] and not second.complete and second.more
    third = journal.page(second.cursor, limit=3, max_bytes=10**9)
    assert ids(third.entries) == ["req_6"] and not third.complete and not third.more
    assert third.cursor == journal.since(None)[1]  # the end: what a whole read's cursor is
    empty = journal.page(third.cursor, limit=3, max_bytes=10**9)
    assert empty.entries == [] and not empty.more and empty.cursor == third.cursor
    journal.record(entry(7))
    assert ids(journal.page(third.cursor, limit=3, max_bytes=10**9).entries) == ["req_7"]


def test_a_page_holds_its_bytes_and_at_least_one_entry(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100).journal
    for i in range(5):
        journal.record(big(i))
    page = journal.page(None, limit=100, max_bytes=25_000)
    assert ids(page.entries) == ["req_0", "req_1"] and page.more  # a third would pass 25,000
    page = journal.page(page.cursor, limit=100, max_bytes=1)
    assert ids(page.entries) == ["req_2"] and page.more
    page = journal.page(page.cursor, limit=100, max_bytes=10**9)
    assert ids(page.entries) == ["req_3", "req_4"] and not page.more


def test_the_newest_page_skips_what_it_cannot_hold(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100).journal
    for i in range(6):
        journal.record(entry(i))
    tail = journal.page(None, limit=2, max_bytes=10**9, newest=True)
    assert ids(tail.entries) == ["req_4", "req_5"] and tail.complete and not tail.more
    for i in range(6, 8):
        journal.record(entry(i))
    step = journal.page(tail.cursor, limit=2, max_bytes=10**9, newest=True)
    assert ids(step.entries) == ["req_6", "req_7"] and not step.complete  # nothing skipped
    for i in range(8, 12):
        journal.record(big(i))
    gap = journal.page(step.cursor, limit=3, max_bytes=25_000, newest=True)
    assert ids(gap.entries) == ["req_10", "req_11"] and gap.complete  # skipped req_8, req_9: start afresh
    assert journal.page(gap.cursor, limit=3, max_bytes=10**9, newest=True).entries == []


def test_a_page_after_a_cursor_of_another_epoch_starts_afresh(opened: Callable[..., State]) -> None:
    journal = opened(journal_size=100).journal
    journal.record(entry(0))
    cursor = journal.page(None, limit=10, max_bytes=10**9).cursor
    journal.clear()
    journal.record(entry(1))
    page = journal.page(cursor, limit=10, max_bytes=10**9)
    assert ids(page.entries) == ["req_1"] and page.complete
    for odd in ("nonsense", "x:²", f"{cursor.split(':')[0]}:{'9' * 30}", ":-1"):
        assert journal.page(odd, limit=10, max_bytes=10**9).complete
