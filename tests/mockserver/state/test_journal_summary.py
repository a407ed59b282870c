"""What the journal keeps of a request's parameters (mockserver.state.journal.summarise): all
of an ordinary request, a bounded and marked summary of any other, at a bounded cost."""

from __future__ import annotations

import json
import time
from typing import Any

from mockserver.state.journal import CUT, ENTRY_BYTES, MAX_STRING, summarise, weigh


def test_an_ordinary_request_is_kept_whole() -> None:
    body = {"prompt": "a white siamese cat", "n": 2, "size": "1024x1024", "quality": "hd", "user": None,
            "images": [{"image_url": "data:image/png;base64," + "A" * 1500}], "stream": True, "partial_images": 0.5}
    kept, weight, cut = summarise(body)
    assert kept == body and cut is False
    assert weight == weigh(body)
    assert len(json.dumps(body)) <= weight <= 2 * len(json.dumps(body))  # about its JSON's bytes
    flat = {"prompt": "a cat", "n": 1, "size": "256x256", "quality": None, "stream": False, "seed": 2**70, "x": 0.5}
    kept, weight, cut = summarise(flat)
    assert kept == flat and kept is not flat and weight == weigh(flat) and cut is False  # the journal's own copy
    small = summarise(flat, budget=50)  # a flat body past its budget is cut as any other
    assert small.cut is True and list(small.value)[:2] == ["prompt", "n"] and small.value["…"].endswith("more")


def test_every_cut_is_marked_where_it_was_made() -> None:
    body: dict[str, Any] = {
        "prompt": "p" * 5000,
        "deep": [[[[[[[[[["bottom"]]]]]]]]]],
        "many": list(range(250)),
        "keys": {f"k{i}": i for i in range(130)},
        "k" * 500: 1,
    }
    kept, _, cut = summarise(body)
    assert cut is True
    assert kept["prompt"] == "p" * MAX_STRING + f"{CUT} (5000 characters)"
    level = kept["deep"]
    for _ in range(6):
        level = level[0]
    assert level == [f"{CUT} (list of 1 item)"]  # nothing deeper than 8 levels
    assert kept["many"][:100] == list(range(100)) and kept["many"][100:] == [f"{CUT} (150 more)"]
    assert len(kept["keys"]) == 101 and kept["keys"][CUT] == "30 more"
    assert "k" * 200 + CUT in kept
    for text in (body["prompt"], body["many"], body["keys"]):
        assert summarise({"x": text}).cut is True


def test_a_summary_stays_within_its_budget() -> None:
    items = [{"image_url": "data:image/png;base64," + "A" * 1970} for _ in range(40)]
    kept, weight, cut = summarise({"images": items}, budget=10_000)
    assert cut is True and weight <= 10_000 + MAX_STRING + 100
    assert weigh(kept) == weight
    assert kept["images"][:4] == items[:4] and kept["images"][-1] == f"{CUT} ({40 - len(kept['images']) + 1} more)"
    assert summarise({"images": items[:16]}).value == {"images": items[:16]}  # the default holds the API's 16
    assert ENTRY_BYTES == 64 * 1024


def test_nested_arrays_of_any_size_cost_a_budgets_worth() -> None:
    # A 16 MB body's worth of nested arrays (8 zeros, 100 of those, 100 of those, 92 of those,
    # 7 million numbers) and a hundred times more: built from shared lists, so the test is cheap.
    block = [[[0] * 8] * 100] * 100
    for copies in (92, 9200):
        started = time.process_time()
        kept, weight, cut = summarise({"prompt": "a cat", "extra": [block] * copies})
        took = time.process_time() - started
        assert cut is True and weight <= ENTRY_BYTES + 100
        assert weigh(kept) == weight and len(json.dumps(kept)) < ENTRY_BYTES
        assert kept["prompt"] == "a cat"
        assert took < 1.0  # a budget's worth of work (a few ms), whatever the size


def test_long_numbers_and_keys_weigh_their_length() -> None:
    long_number = int("9" * 4000)
    kept, weight, cut = summarise([long_number] * 1000, budget=20_000)
    assert cut is True and weight <= 20_000 + 4100 and len(kept) < 30
    keys = {"k" * 150 + str(i): 0 for i in range(1000)}
    assert summarise(keys, budget=20_000).weight <= 20_000 + 200
