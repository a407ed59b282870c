"""contracts.cassette.Playback's index: a request is answered after comparing it with a bounded
number of recorded requests whatever the cassettes' size, and it answers exactly what a scan of
every recorded request in order would (the first unused match, then the last match again)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.cassette import (
    REDACTED,
    Interaction,
    Part,
    Playback,
    Request,
    Response,
    build_form,
    differences,
    view,
)

BASE = "https://api.example.test/v1"


def json_request(body: object, path: str = "/images/generations", query: str = "") -> Request:
    return Request("POST", BASE + path + query, [("Content-Type", "application/json")], json.dumps(body).encode())


def recorded(request: Request, number: int) -> Interaction:
    return Interaction(request, Response(200, "OK", [("Content-Type", "application/json")],
                                         json.dumps({"n": number}).encode()), index=number)


class Scan:
    """The reference: every recorded request compared in order (what Playback did before its index)."""

    def __init__(self, interactions: list[Interaction]) -> None:
        self.interactions = interactions
        self.used: set[int] = set()

    def answer(self, sent: Request) -> Interaction | None:
        last = None
        for number, interaction in enumerate(self.interactions):
            if differences(interaction.request, sent):
                continue
            if number not in self.used:
                self.used.add(number)
                return interaction
            last = interaction
        return last


def test_thousands_of_exchanges_each_answered_after_one_comparison() -> None:
    count = 5000
    playback = Playback([recorded(json_request({"prompt": f"take {n}", "n": 1}), n) for n in range(count)])
    for n in reversed(range(count)):  # the last recorded first: a scan would compare them all
        found = playback.answer(json_request({"n": 1, "prompt": f"take {n}"}))  # (key order ignored)
        assert found is not None and found.index == n
    assert playback.compared == count
    before = playback.compared
    assert playback.answer(json_request({"prompt": "never recorded"})) is None
    assert playback.compared == before  # a miss costs no comparison either (near_misses is asked apart)


def test_redacted_recorded_values_are_compared_one_by_one_only_on_their_path() -> None:
    count = 2000
    exchanges = [recorded(json_request({"prompt": f"take {n}"}), n) for n in range(count)]
    exchanges.append(recorded(json_request({"prompt": "secret", "user": REDACTED}), count))
    exchanges.append(recorded(json_request({"prompt": "x"}, "/images/edits"), count + 1))
    playback = Playback(exchanges)
    found = playback.answer(json_request({"prompt": "secret", "user": "alice"}))
    assert found is not None and found.index == count
    assert playback.compared == 1  # the one redacted exchange of that path; no queue has this key
    found = playback.answer(json_request({"prompt": "x"}, "/images/edits"))
    assert found is not None and found.index == count + 1
    assert playback.compared == 2


def test_numbers_match_as_python_compares_them_and_forms_by_their_values() -> None:
    playback = Playback([recorded(json_request({"n": 1, "size": "256x256"}), 0),
                         recorded(Request("POST", BASE + "/images/edits",
                                          [("Content-Type", "multipart/form-data; boundary=aaa")],
                                          build_form([Part("prompt", b"hat"), Part("image", b"PNG", "a.png")],
                                                     "aaa")), 1)])
    found = playback.answer(Request("POST", BASE + "/images/generations", [("Content-Type", "application/json")],
                                    b'{"size": "256x256", "n": 1.0}'))
    assert found is not None and found.index == 0
    other_boundary = build_form([Part("prompt", b"hat"), Part("image", b"PNG", "b.png", "image/png")], "bbb")
    found = playback.answer(Request("POST", BASE + "/images/edits",
                                    [("Content-Type", "multipart/form-data; boundary=bbb")], other_boundary))
    assert found is not None and found.index == 1


# Small values so that hypothesis draws many equal requests, repeated, redacted and not.
_leaf = st.one_of(st.sampled_from(["a", "b", REDACTED]), st.integers(0, 2), st.sampled_from([1.0, True, None]))
_body = st.one_of(
    st.dictionaries(st.sampled_from(["prompt", "n", "user"]), st.one_of(_leaf, st.lists(_leaf, max_size=2)),
                    max_size=3),
    st.lists(_leaf, max_size=2),
)
_request = st.tuples(_body, st.sampled_from(["/images/generations", "/images/edits"]),
                     st.sampled_from(["", "?a=1", "?a=2"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_request, max_size=12), st.lists(_request, max_size=20))
def test_the_index_answers_what_a_scan_in_order_would(recorded_requests: list[tuple[object, str, str]],
                                                      sent_requests: list[tuple[object, str, str]]) -> None:
    exchanges = [recorded(json_request(*r), n) for n, r in enumerate(recorded_requests)]
    playback, scan = Playback(exchanges), Scan(exchanges)
    for r in sent_requests + recorded_requests + sent_requests:
        sent = json_request(*r)
        got, want = playback.answer(sent), scan.answer(sent)
        assert (got.index if got else None) == (want.index if want else None), view(sent)


def test_a_redacted_match_recorded_last_answers_again_once_all_are_used() -> None:
    playback = Playback([recorded(json_request({"prompt": "a"}), 0), recorded(json_request({"prompt": REDACTED}), 1),
                         recorded(json_request({"prompt": "a"}), 2)])
    got = [playback.answer(json_request({"prompt": "a"})) for _ in range(5)]
    assert [g.index if g else None for g in got] == [0, 1, 2, 2, 2]
    playback = Playback([recorded(json_request({"prompt": "a"}), 0), recorded(json_request({"prompt": REDACTED}), 1)])
    got = [playback.answer(json_request({"prompt": "a"})) for _ in range(3)]
    assert [g.index if g else None for g in got] == [0, 1, 1]
