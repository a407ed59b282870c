"""The fault queue (:class:`mockserver.state.faults.FaultQueue`) on every backend."""

from __future__ import annotations

import pytest

from mockserver.state import State
from mockserver.state.faults import MAX_QUEUED, FaultError, draw
from tests.mockserver.state.conformance.conftest import request


def test_a_queued_fault_is_listed_as_described(state: State) -> None:
    faults = state.faults
    fault = faults.add({"endpoint": "edits", "status": 503, "count": 2, "retry_after": 1.5})
    assert fault.id.startswith("fault_") and (fault.endpoint, fault.kind, fault.status) == ("edits", "status", 503)
    assert faults.list() == [{
        "id": fault.id, "endpoint": "edits", "kind": "status", "status": 503, "count": 2, "after": 0,
        "delay_ms": 0, "retry_after": 1.5, "probability": 1.0, "seed": None, "after_events": None,
        "seen": 0, "fired": 0,
    }]
    assert faults.add({"kind": "truncated"}).status == 200  # a processed kind answers 200 by default


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "explode"}, "kind"), ({"endpoint": "chat"}, "endpoint"), ({"status": 200}, "status"),
    ({"kind": "status", "after_events": 2}, "after_events"), ({"probability": 0}, "probability"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_description_is_refused_by_name_and_queues_nothing(state: State, spec: dict[str, object],
                                                                   field: str) -> None:
    with pytest.raises(FaultError) as caught:
        state.faults.add(spec)
    assert caught.value.name == field
    assert state.faults.list() == []


def test_a_fault_fires_for_its_endpoint_count_times_then_leaves(state: State) -> None:
    faults = state.faults
    fault = faults.add({"endpoint": "edits", "status": 502, "count": 2})
    assert faults.take("generations") is None
    first = faults.take("edits")
    assert first is not None and first.id == fault.id and (first.seen, first.fired) == (1, 1)
    assert faults.list()[0]["fired"] == 1
    second = faults.take("edits")
    assert second is not None and (second.seen, second.fired) == (2, 2)
    assert faults.take("edits") is None and faults.list() == []


def test_after_lets_requests_through_first_and_count_none_fires_every_time(state: State) -> None:
    faults = state.faults
    faults.add({"status": 500, "after": 2, "count": None})
    assert [faults.take("generations") is not None for _ in range(5)] == [False, False, True, True, True]
    assert [(f["seen"], f["fired"]) for f in faults.list()] == [(5, 3)]


def test_the_first_matching_fault_in_queue_order_fires(state: State) -> None:
    faults = state.faults
    any_endpoint = faults.add({"status": 500})
    edits = faults.add({"endpoint": "edits", "status": 502})
    assert [f.id for f in (faults.take("edits"), faults.take("edits"))] == [any_endpoint.id, edits.id]  # type: ignore[union-attr]


def test_stream_faults_match_streams_only_and_the_others_match_no_stream(state: State) -> None:
    faults = state.faults
    cut = faults.add({"kind": "reset", "after_events": 2})
    assert faults.take("generations") is None
    taken = faults.take("generations", stream=True)
    assert taken is not None and taken.id == cut.id and taken.after_events == 2
    plain = faults.add({"status": 500})
    assert faults.take("generations", stream=True) is None
    assert faults.list()[0]["id"] == plain.id


def test_probability_draws_follow_the_seed_on_every_backend(state: State) -> None:
    faults = state.faults

    def run(seed: int | None) -> tuple[str, list[bool]]:
        faults.clear()
        fault = faults.add({"status": 503, "count": None, "probability": 0.5, "after": 1, "seed": seed})
        return fault.id, [faults.take("generations") is not None for _ in range(41)]

    _, first = run(7)
    assert first == run(7)[1]  # the same seed, the same firings
    assert first == [False] + [draw("7", k) < 0.5 for k in range(1, 41)]  # the k-th draw past `after`
    assert 5 < first.count(True) < 35
    fault_id, unseeded = run(None)
    assert unseeded == [False] + [draw(fault_id, k) < 0.5 for k in range(1, 41)]  # drawn from its id


def test_remove_unqueues_one_fault(state: State) -> None:
    faults = state.faults
    one, two = faults.add({"status": 500}), faults.add({"status": 502})
    assert faults.remove(one.id) is True
    assert faults.remove(one.id) is False and faults.remove("fault_nonexistent") is False
    assert [f["id"] for f in faults.list()] == [two.id]


def test_the_queue_is_bounded(state: State) -> None:
    faults = state.faults
    for _ in range(MAX_QUEUED):
        faults.add({"endpoint": "variations", "status": 500})
    with pytest.raises(FaultError, match=f"at most {MAX_QUEUED}"):
        faults.add({"status": 500})
    assert len(faults.list()) == MAX_QUEUED


def test_clear_unqueues_every_fault_and_ends_the_hangs(state: State) -> None:
    faults = state.faults
    faults.add({"kind": "hang", "delay_ms": 60_000})
    hang = faults.hang_release
    assert not hang.is_set()
    faults.clear()
    assert hang.is_set() and faults.list() == [] and faults.take("generations") is None
    assert not faults.hang_release.is_set()  # a later hang waits again


def test_releasing_hangs_ends_those_of_every_fake_on_the_state(state: State, peer: State) -> None:
    waiting = peer.faults.hang_release
    state.faults.release_hangs()
    assert waiting.wait(10)
    assert not peer.faults.hang_release.is_set()


def test_clearing_the_faults_ends_the_latency_holds_of_every_fake_and_a_shutdown_does_not(
        state: State, peer: State) -> None:
    latency, hang = peer.faults.latency_release, peer.faults.hang_release
    state.faults.release_hangs()  # what a shutdown does: the hangs end, the latency runs on (the grace bounds it)
    assert hang.wait(10) and not latency.is_set()
    state.faults.clear()  # reset, DELETE /_mock/faults: every hold ends
    assert latency.wait(10)
    assert not peer.faults.latency_release.is_set() and not peer.faults.hang_release.is_set()  # later ones wait


def test_releasing_hangs_never_raises_with_the_state_away(state: State, url: str | None,
                                                         request: pytest.FixtureRequest) -> None:
    hang = state.faults.hang_release
    server = request.getfixturevalue("redis_server") if url is not None else None
    if server is not None:
        server.stop()  # what a shutdown may meet: Redis stopped first
    try:
        state.faults.release_hangs()  # this fake's own hangs end all the same
        assert hang.is_set()
    finally:
        if server is not None:
            server.start()


def test_a_fault_queued_through_one_fake_fires_once_across_both(state: State, peer: State) -> None:
    state.faults.add({"status": 503, "count": 1})
    with request(peer):
        assert peer.faults.take("generations") is not None
    with request(state):
        assert state.faults.take("generations") is None
    assert peer.faults.list() == []
