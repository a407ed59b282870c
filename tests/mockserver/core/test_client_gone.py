"""Work stops when the client is gone (issue 22): the images of an answer not yet made when its client
closes the connection are not made. Against a real ``python -m mockserver``, its CPU read from
``/proc/<pid>/stat``."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import requests

from tests.mockserver.render.test_upload_costs import AUTH, cpu_seconds
from tests.support.pngs import pattern, png_bytes
from tests.support.processes import FakeProcess

FORM = {"model": "gpt-image-2", "prompt": "a boat", "size": "3840x2160"}  # about half a second an image


def _settled(pid: int, timeout: float = 60.0) -> float:
    """The fake's CPU once it has stopped using any (unchanged for half a second)."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the fake was still busy after {timeout} s")


def test_the_images_of_a_client_that_left_are_not_made(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet")
    image = ("image", ("in.png", png_bytes(pattern(512)), "image/png"))
    one = requests.post(fake.base_url + "/images/edits", data=FORM, files=[image], headers=AUTH, timeout=120)
    assert one.status_code == 200, one.text
    before = _settled(fake.pid)
    one = requests.post(fake.base_url + "/images/edits", data=FORM, files=[image], headers=AUTH, timeout=120)
    assert one.status_code == 200, one.text
    per_answer = _settled(fake.pid) - before  # one image, its input decoded and checked

    ten = requests.Request("POST", fake.base_url + "/images/edits", data={**FORM, "n": "10"}, files=[image],
                           headers=AUTH).prepare()
    assert isinstance(ten.body, bytes)
    before = _settled(fake.pid)
    with socket.create_connection(("127.0.0.1", fake.port)) as client:
        head = "".join(f"{name}: {value}\r\n" for name, value in ten.headers.items())
        client.sendall(f"POST /v1/images/edits HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + ten.body)
        time.sleep(0.5)  # the request read whole, its first image begun
    left = _settled(fake.pid) - before
    # Without the check ten images are made (about 10 x per_answer); with it the first, and the one that
    # may have begun as the client left.
    assert left <= 4 * per_answer, f"{left:.2f} s of CPU after the client left; one image costs {per_answer:.2f} s"
    assert requests.get(fake.url + "/_mock/requests", timeout=30).status_code == 200
