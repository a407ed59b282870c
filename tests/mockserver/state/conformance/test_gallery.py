"""The live view's gallery (:class:`mockserver.state.gallery.Gallery`) on every backend."""

from __future__ import annotations

from mockserver.render import render
from mockserver.state import State
from mockserver.state.gallery import ENTRY_OVERHEAD, kept_cost
from tests.mockserver.state.conformance.conftest import T0, recipe, request


def test_a_b64_image_gets_a_new_id_and_is_rendered_again(state: State) -> None:
    gallery = state.gallery
    cat = recipe()
    refs = gallery.add_many([(cat, None, None), (recipe(index=1, n=2), None, None)])
    assert refs[0] == {"id": refs[0]["id"], "response_format": "b64_json", "format": "png", "model": "dall-e-2",
                       "width": 64, "height": 64, "expires_at": None}
    assert refs[0]["id"].startswith("b64-") and refs[0]["id"] != refs[1]["id"]
    assert gallery.image(refs[0]["id"]) == (render(cat), "image/png")
    assert len(gallery) == 2


def test_a_url_image_is_kept_under_its_urls_id_apart_from_the_store(state: State) -> None:
    gallery = state.gallery
    cat = recipe()
    ref = gallery.add(cat, image_id="img-cat", expires_at=T0 + 3600)
    assert ref["id"] == "img-cat" and ref["response_format"] == "url" and ref["expires_at"] == T0 + 3600
    assert gallery.image("img-cat") == (render(cat), "image/png")
    assert state.store.get("img-cat") is None  # the store never had it: the gallery keeps its own
    gallery.max_images = 1  # and it counts against the gallery's bounds
    gallery.add(recipe("a dog"))
    assert gallery.image("img-cat") is None and len(gallery) == 1


def test_an_images_media_type_follows_its_format(state: State) -> None:
    jpeg = recipe(model="gpt-image-1", output_format="jpeg", quality="low")
    ref = state.gallery.add(jpeg)
    assert ref["format"] == "jpeg" and ref["model"] == "gpt-image-1"
    found = state.gallery.image(ref["id"])
    assert found is not None and found[1] == "image/jpeg" and found[0] == render(jpeg)


def test_the_oldest_go_first_beyond_the_bounds(state: State) -> None:
    gallery = state.gallery
    gallery.max_images = 3
    refs = [gallery.add(recipe(f"cat {i}")) for i in range(5)]
    assert len(gallery) == 3
    assert [gallery.image(r["id"]) is not None for r in refs] == [False, False, True, True, True]
    big = recipe("x" * 600, image=b"\0" * 1000)
    gallery.max_images, gallery.max_bytes = 100, 2 * kept_cost(big) + 10
    assert kept_cost(big) == 1600 + ENTRY_OVERHEAD
    more = [gallery.add(big) for _ in range(3)]
    assert len(gallery) == 2 and gallery.bytes_used == 2 * kept_cost(big)
    assert [gallery.image(r["id"]) is not None for r in more] == [False, True, True]


def test_clear_forgets_and_no_id_is_used_twice(state: State) -> None:
    gallery = state.gallery
    before = {gallery.add(recipe())["id"] for _ in range(3)}
    gallery.clear()
    assert len(gallery) == 0 and gallery.bytes_used == 0
    assert all(gallery.image(i) is None for i in before)
    after = {gallery.add(recipe())["id"] for _ in range(3)}
    assert not before & after and len(after) == 3


def test_an_answers_images_are_kept_once_its_request_ends(state: State, peer: State) -> None:
    with request(state):
        ref = state.gallery.add_many([(recipe(), None, None)])[0]
    with request(peer):
        assert peer.gallery.image(ref["id"]) == (render(recipe()), "image/png")
    assert peer.gallery.bytes_used == kept_cost(recipe())
