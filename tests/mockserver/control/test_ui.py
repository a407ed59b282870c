"""The live view's server side: the page, the endpoints it adds, and its guard (no browser here;
tests/ui drives the page in Chromium)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from mockserver import create_app
from mockserver.render import Recipe, render
from mockserver.state.memory import MemoryGallery
from mockserver.testing.handle import FakeHandle
from tests.support import ROOT
from tests.support.pngs import pattern, png_bytes

KEY = {"Authorization": "Bearer sk-test-ui-0000000000000000"}


def _generate(client: Any, **body: Any) -> Any:
    body = {"prompt": "a lighthouse", "size": "256x256", **body}
    return client.post("/v1/images/generations", json=body, headers=KEY)


def test_page_is_html_with_no_outside_resource() -> None:
    client = create_app().test_client()
    page = client.get("/_mock/ui")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    for asset in ("/_mock/ui/static/ui.js", "/_mock/ui/static/ui.css"):
        assert asset in html
        served = client.get(asset)
        assert served.status_code == 200 and served.get_data()
        served.close()
    # The fault form offers the contract's endpoints and the fault kinds.
    assert '<option value="variations">' in html and '<option value="malformed_json">' in html
    # The running configuration is rendered into the page.
    assert "<dt>rate_limits</dt><dd>50/1m</dd>" in html


def test_journal_entries_refer_to_their_images_and_the_images_are_served() -> None:
    app = create_app()
    client = app.test_client()
    url_answer = _generate(client, n=2).get_json()
    b64_answer = _generate(client, response_format="b64_json").get_json()
    first, second = FakeHandle.in_process(app).requests()
    assert [ref["response_format"] for ref in first["images"]] == ["url", "url"]
    assert second["images"][0]["response_format"] == "b64_json" and second["images"][0]["expires_at"] is None
    # A URL image: the same bytes as its URL serves.
    ref = first["images"][0]
    assert ref["id"] in url_answer["data"][0]["url"] and ref["expires_at"] == url_answer["created"] + 3600
    served = client.get(f"/_mock/images/{ref['id']}")
    assert served.mimetype == "image/png"
    assert served.get_data() == client.get(url_answer["data"][0]["url"]).get_data()
    # A b64_json image: rendered again from its recipe, byte for byte what the answer carried.
    shown = client.get(f"/_mock/images/{second['images'][0]['id']}")
    assert shown.get_data() == base64.b64decode(b64_answer["data"][0]["b64_json"])
    assert Image.open(io.BytesIO(shown.get_data())).size == (256, 256)
    assert client.get("/_mock/images/b64-999999").status_code == 404


def test_refused_requests_have_no_images_and_no_journal_keeps_no_recipe() -> None:
    app = create_app()
    client = app.test_client()
    client.post("/v1/images/generations", json={"prompt": "a lighthouse", "size": "300x300"}, headers=KEY)
    assert FakeHandle.in_process(app).requests()[0]["images"] == []
    quiet = create_app(journal_size=0)
    _generate(quiet.test_client(), response_format="b64_json")
    assert len(quiet.extensions["mockserver"].gallery) == 0


def test_gallery_is_bounded_and_reset_forgets_it() -> None:
    image = png_bytes(pattern(64))
    gallery = MemoryGallery(max_images=3, max_bytes=10_000)
    recipe = Recipe(endpoint="variations", model="dall-e-2", prompt=None, width=64, height=64, index=0, n=1,
                    image=image)
    refs = [gallery.add(recipe) for _ in range(5)]
    assert len(gallery) <= 3 and gallery.bytes_used <= 10_000
    assert gallery.image(refs[0]["id"]) is None  # the oldest went first
    assert gallery.image(refs[-1]["id"]) == (render(recipe), "image/png")
    app = create_app()
    _generate(app.test_client())
    FakeHandle.in_process(app).reset()
    assert len(app.extensions["mockserver"].gallery) == 0


def test_requests_after_a_cursor_are_only_the_new_ones() -> None:
    app = create_app()
    client = app.test_client()
    _generate(client)
    first = client.get("/_mock/requests").get_json()
    assert first["complete"] and len(first["requests"]) == 1
    assert client.get(f"/_mock/requests?after={first['cursor']}").get_json()["requests"] == []
    _generate(client)
    _generate(client, size="999x999")
    later = client.get(f"/_mock/requests?after={first['cursor']}").get_json()
    assert not later["complete"] and [e["status"] for e in later["requests"]] == [200, 400]
    FakeHandle.in_process(client.application).clear_requests()
    _generate(client)
    cleared = client.get(f"/_mock/requests?after={later['cursor']}").get_json()
    assert cleared["complete"] and len(cleared["requests"]) == 1  # the reader must start afresh
    stranger = client.get("/_mock/requests?after=abcd:3").get_json()  # a cursor of another run
    assert stranger["complete"]


def test_quotas_per_key_and_window() -> None:
    app = create_app(rate_limits="5/1m,8/5m")
    client = app.test_client()
    fake = FakeHandle.in_process(app)
    fake.freeze()
    _generate(client, n=3)
    client.post("/v1/images/generations", json={"prompt": "x", "size": "256x256", "n": 2},
                headers={"Authorization": "Bearer sk-other-key-1234567890"})
    fake.advance(10)
    quotas = client.get("/_mock/quotas").get_json()
    assert quotas["windows"] == ["5/1m", "8/5m"]
    other, mine = quotas["keys"]  # the most recently seen first
    assert other["key"] == "sk-other" + "*" * 11 + "7890"  # as the 401's message masks it
    assert [(w["window"], w["used"], w["limit"], w["reset_seconds"]) for w in mine["windows"]] == [
        ("5/1m", 3, 5, 50.0), ("8/5m", 3, 8, 290.0)]
    fake.advance(60)
    assert [w["used"] for w in client.get("/_mock/quotas").get_json()["keys"][1]["windows"]] == [0, 3]


def test_clock_returns_to_real_time_and_faults_are_removed_one_by_one() -> None:
    app = create_app()
    client = app.test_client()
    fake = FakeHandle.in_process(app)
    fake.freeze()
    fake.advance(7200)
    answer = client.post("/_mock/clock", json={"real_time": True}).get_json()
    assert answer["frozen"] is False and abs(answer["now"] - fake.now()) < 5
    assert client.post("/_mock/clock", json={"real_time": False}).status_code == 400
    one, two = fake.inject_fault(endpoint="edits"), fake.inject_fault(kind="reset")
    left = client.delete(f"/_mock/faults/{one['id']}").get_json()["faults"]
    assert [f["id"] for f in left] == [two["id"]]
    assert client.delete(f"/_mock/faults/{one['id']}").status_code == 404


@pytest.mark.parametrize("path", ["/_mock/ui", "/_mock/ui/static/ui.js", "/_mock/quotas", "/_mock/images/b64-1"])
def test_guarded_like_the_control_api(path: str) -> None:
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert create_app().test_client().get(path, environ_base=remote).status_code == 403
    locked = create_app(admin_token="s3cret").test_client()
    if path.startswith("/_mock/ui"):  # the page holds no state: served, so that it can ask for the token
        page = locked.get(path, environ_base=remote)
        assert page.status_code == 200
        assert b"s3cret" not in page.get_data() and b"<dt>" not in page.get_data()
        page.close()
    else:
        assert locked.get(path, environ_base=remote).status_code == 401
        assert locked.get(path, headers={"Authorization": "Bearer s3cret"}).status_code in (200, 404)


def test_the_package_ships_the_page() -> None:
    from importlib.resources import files

    root = files("mockserver.control")
    for name in ("static/ui.js", "static/ui.css", "templates/ui.html"):
        assert root.joinpath(name).is_file(), name


def test_the_docs_show_the_page() -> None:
    """The live-view page, and the README's quickstart, show the page's screenshot."""
    assert "](live-view.png)" in (ROOT / "docs" / "live-view.md").read_text()
    assert "](docs/live-view.png)" in (ROOT / "README.md").read_text()
    with Image.open(ROOT / "docs" / "live-view.png") as shot:
        assert shot.size[0] >= 1000
