"""The image store (:class:`mockserver.state.store.ImageStore`) on every backend."""

from __future__ import annotations

from mockserver.render import render
from mockserver.state import State
from mockserver.state.store import ENTRY_OVERHEAD, entry_cost
from tests.mockserver.state.conformance.conftest import T0, recipe, request


def test_an_added_image_is_kept_with_its_expiry_and_cost(state: State) -> None:
    store = state.store
    cat, dog = recipe("a cat"), recipe("a dog", n=2, image=b"\x89PNG" + b"\0" * 995)
    store.add_many([("img-cat", cat, T0 + 3600), ("img-dog", dog, T0 + 60)], now=T0)
    assert len(store) == 2
    kept = store.get("img-cat")
    assert kept is not None and kept.recipe == cat and kept.expires_at == T0 + 3600
    assert kept.cost == ENTRY_OVERHEAD
    other = store.get("img-dog")
    assert other is not None and other.recipe == dog and other.cost == 500 + ENTRY_OVERHEAD  # its share of 999
    assert entry_cost(dog) == other.cost
    assert store.bytes_used == kept.cost + other.cost
    assert store.get("img-unknown") is None and store.png("img-unknown") is None


def test_the_png_is_the_recipe_rendered_and_its_bytes_count(state: State) -> None:
    store = state.store
    cat = recipe()
    store.add_many([("img-1", cat, T0 + 3600)], now=T0)
    png = store.png("img-1")
    assert png == render(cat)
    assert store.png("img-1") == png  # kept: the same bytes again
    assert store.bytes_used == ENTRY_OVERHEAD + len(png)


def test_the_oldest_images_go_first_beyond_max_images(state: State) -> None:
    store = state.store
    store.max_images = 3
    for i in range(5):
        store.add_many([(f"img-{i}", recipe(f"cat {i}"), T0 + 3600)], now=T0)
    assert len(store) == 3
    assert [store.get(f"img-{i}") is not None for i in range(5)] == [False, False, True, True, True]
    store.add_many([("img-5", recipe(n=2), T0 + 3600), ("img-6", recipe(n=2, index=1), T0 + 3600)], now=T0)
    assert [store.get(f"img-{i}") is not None for i in range(7)] == [False] * 4 + [True] * 3


def test_expired_images_go_first_oldest_first_up_to_the_oldest_still_valid(state: State) -> None:
    store = state.store
    store.add_many([("a", recipe("a"), T0 + 100), ("b", recipe("b"), T0 + 200), ("c", recipe("c"), T0 + 900),
                    ("d", recipe("d"), T0 + 150)], now=T0)
    store.add_many([("e", recipe("e"), T0 + 3600)], now=T0 + 200)  # a has expired; b is valid in its last second
    assert [k for k in "abcde" if store.get(k) is not None] == ["b", "c", "d", "e"]
    store.add_many([("f", recipe("f"), T0 + 3600)], now=T0 + 300)  # b expired; c is valid, so d waits behind it
    assert [k for k in "abcdef" if store.get(k) is not None] == ["c", "d", "e", "f"]
    assert store.bytes_used == 4 * ENTRY_OVERHEAD


def test_beyond_max_bytes_renders_go_before_images(state: State) -> None:
    store = state.store
    cats = [recipe(f"cat {i}") for i in range(3)]
    store.add_many([(f"img-{i}", r, T0 + 3600) for i, r in enumerate(cats)], now=T0)
    sizes = [len(store.png(f"img-{i}") or b"") for i in range(3)]
    assert store.bytes_used == 3 * ENTRY_OVERHEAD + sum(sizes)
    store.max_bytes = 3 * ENTRY_OVERHEAD + sum(sizes) - 1
    store.add_many([], now=T0)  # bounds apply as images are added: the least recently used render goes
    assert len(store) == 3 and store.bytes_used == 3 * ENTRY_OVERHEAD + sizes[1] + sizes[2]
    assert store.png("img-0") == render(cats[0])  # rendered again: now img-1's render makes room
    assert len(store) == 3 and store.bytes_used == 3 * ENTRY_OVERHEAD + sizes[0] + sizes[2]
    store.max_bytes = 2 * ENTRY_OVERHEAD  # no room for any render, and for two images only
    store.add_many([("img-3", recipe("cat 3"), T0 + 3600)], now=T0)
    assert [store.get(f"img-{i}") is not None for i in range(4)] == [False, False, True, True]
    assert store.bytes_used == 2 * ENTRY_OVERHEAD
    assert store.png("img-3") == render(recipe("cat 3"))  # served, though there is no room to keep it
    assert store.bytes_used == 2 * ENTRY_OVERHEAD


def test_clear_forgets_every_image_and_render(state: State) -> None:
    store = state.store
    store.add_many([("img-1", recipe(), T0 + 3600)], now=T0)
    store.png("img-1")
    store.clear()
    assert len(store) == 0 and store.bytes_used == 0
    assert store.get("img-1") is None and store.png("img-1") is None
    store.add_many([("img-2", recipe(), T0 + 3600)], now=T0)
    assert len(store) == 1 and store.bytes_used == ENTRY_OVERHEAD


def test_an_answers_images_are_kept_once_its_request_ends(state: State, peer: State) -> None:
    with request(state):
        state.store.add_many([("img-1", recipe(), T0 + 3600)], now=T0)
    with request(peer):
        assert peer.store.png("img-1") == render(recipe())
    assert len(state.store) == len(peer.store) == 1
