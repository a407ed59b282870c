"""The ``upload_max_*`` settings reach the upload checks: changed by ``PATCH /_mock/config`` (and given
by ``create_app``, the command line and the environment as every setting is), each decides what an
edit's images may cost."""

from __future__ import annotations

import io
import zlib

from flask.testing import FlaskClient
from PIL import Image

from mockserver import create_app
from tests.conftest import AUTH
from tests.support import bombs
from tests.support.pngs import pattern


def _progressive_jpeg() -> bytes:
    buf = io.BytesIO()
    pattern((64, 48)).save(buf, "JPEG", progressive=True)
    return buf.getvalue()


def _edit(client: FlaskClient, data: bytes, content_type: str) -> tuple[int, str | None]:
    answer = client.post("/v1/images/edits", data={"model": "gpt-image-1", "prompt": "a boat",
                                                  "image": (io.BytesIO(data), "in", content_type)},
                         content_type="multipart/form-data")
    body = answer.get_json()
    return answer.status_code, body["error"]["code"] if answer.status_code != 200 else None


def test_each_upload_limit_is_a_setting_the_checks_read() -> None:
    jpeg = _progressive_jpeg()
    scans = jpeg.count(b"\xff\xda")
    text = bombs.png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * 100_000))
    chunky = bombs.small_png(64, before=text)
    frames = [pattern(16).point(lambda v, k=k: (v + 40 * k) % 256) for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:])
    apng = buf.getvalue()
    large = bombs.webp_lossless_bomb(2048, 2048)  # 64 MiB to decode
    cases = [("upload_max_jpeg_scans", scans - 1, jpeg, "image/jpeg"),
             ("upload_max_inflated_chunks", 99_999, chunky, "image/png"),
             ("upload_max_frames", 2, apng, "image/png"),
             ("upload_max_decode_bytes", 32 << 20, large, "image/webp")]
    for name, tight, data, content_type in cases:
        client = create_app().test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
        assert _edit(client, data, content_type) == (200, None), name
        assert client.patch("/_mock/config", json={name: tight}).status_code == 200, name
        assert _edit(client, data, content_type) == (400, "invalid_image_file"), name
    assert Image.open(io.BytesIO(apng)).n_frames == 3
