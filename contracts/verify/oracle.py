"""The oracle: whether an answer keeps the contract for a case, and if not, how it differs.

It reads the contract's data (the catalogue's envelopes, the response shapes) and the
answer's bytes (Pillow decodes the images), never the fake's validation code.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

import requests
from PIL import Image

from contracts import png
from contracts.envelope import CURRENT
from contracts.models import DALL_E_2, GPT_ANSWER, MODELS, ModelProfile
from contracts.shapes import ERROR_KEYS, images_response_problems
from contracts.spec import parse_size
from contracts.strategies import Case, Refusal, Success
from contracts.verify.pacing import Pacer
from contracts.verify.sending import DEFAULT_TIMEOUT, Answer, send


def expected_text(case: Case, era: str = CURRENT) -> str:
    """What the contract promises for ``case``, in one line."""
    if isinstance(case.expect, Success):
        e = case.expect
        return f"200 with {e.n} {e.output_format} image(s) of {e.size} as {e.response_format} from {e.model}"
    return f"{case.expect.status} {json.dumps(case.expect.body(era), ensure_ascii=False)}"


def refusal_problems(expect: Refusal, answer: Answer, era: str = CURRENT) -> list[str]:
    """How ``answer`` differs from the catalogued error (empty when it is exactly that)."""
    found = []
    if answer.status != expect.status:
        found.append(f"status {answer.status}, expected {expect.status}")
    want = expect.body(era)
    got = answer.body
    if got == want:
        return found
    if not isinstance(got, dict) or not isinstance(got.get("error"), dict):
        return [*found, "the body is not an error envelope"]
    if set(got) != {"error"}:
        found.append(f"body keys {sorted(got)}, expected ['error']")
    for key in ERROR_KEYS:
        if got["error"].get(key, "(missing)") != want["error"][key]:
            found.append(f"error.{key} is {got['error'].get(key, '(missing)')!r}, expected {want['error'][key]!r}")
    extra = sorted(set(got["error"]) - set(ERROR_KEYS))
    if extra:
        found.append(f"error has extra keys {extra}")
    return found


def image_bytes(session: requests.Session, answer: Answer, response_format: str, *,
                timeout: float = DEFAULT_TIMEOUT) -> list[bytes]:
    """The images of a successful answer: base64 decoded, or downloaded (without the API key)."""
    images = []
    for item in answer.body["data"]:
        if response_format == "b64_json":
            images.append(base64.b64decode(item["b64_json"], validate=True))
        else:
            with session.get(item["url"], timeout=timeout) as response:
                response.raise_for_status()
                images.append(response.content)
    return images


def success_problems(session: requests.Session, expect: Success, answer: Answer, *,
                     timeout: float = DEFAULT_TIMEOUT, profile: ModelProfile | None = None) -> list[str]:
    """How ``answer`` differs from ``n`` whole images of the size asked, in the format asked, in
    the shape of the answering model's answers (``expect.model``'s profile)."""
    if answer.status != 200:
        return [f"status {answer.status}, expected 200"]
    profile = profile or MODELS.get(expect.model, DALL_E_2)
    gpt = profile.answer == GPT_ANSWER
    found = images_response_problems(answer.body, n=expect.n, response_format=expect.response_format, gpt=gpt,
                                     revised_prompt=profile.revised_prompt,
                                     svg=expect.output_format == "svg" if gpt else None)
    if gpt and not found:
        found = reported_problems(answer.body, expect)
    if found:
        return found
    try:
        images = image_bytes(session, answer, expect.response_format, timeout=timeout)
    except (binascii.Error, ValueError, requests.RequestException) as exc:
        return [f"could not get the images: {exc}"]
    for index, data in enumerate(images):
        found += [f"image {index} {problem}" for problem in image_problems(data, expect, profile)]
    return found


# The file format Pillow names for each output format; SVG is text, checked apart.
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def image_problems(data: bytes, expect: Success, profile: ModelProfile) -> list[str]:
    """How one image differs from a whole picture of ``expect.size`` in ``expect.output_format``."""
    width, height = parse_size(expect.size)
    if expect.output_format == "png":
        try:
            info = png.inspect(data, max_pixels=profile.uploads.max_pixels)
        except png.PngError as exc:
            return [f"is not a whole PNG: {exc}"]
        return [] if (info.width, info.height) == (width, height) else [f"is {info.size}, expected {expect.size}"]
    if expect.output_format == "svg":
        head = data[:4096].lstrip()
        return [] if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head else ["is not an SVG document"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind, size = image.format, image.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return [f"is not a whole image: {exc}"]
    found = []
    if kind != _PILLOW_FORMATS.get(expect.output_format):
        found.append(f"is {kind}, expected {expect.output_format}")
    if size != (width, height):
        found.append(f"is {size[0]}x{size[1]}, expected {expect.size}")
    return found


def reported_problems(body: dict[str, Any], expect: Success) -> list[str]:
    """How the settings a GPT answer reports differ from those asked for, resolved."""
    reported = {"size": expect.size, "output_format": expect.output_format, "quality": expect.quality,
                "background": expect.background}
    return [f"{key} is {body.get(key)!r}, expected {want!r}" for key, want in reported.items()
            if want is not None and body.get(key) != want]


def problems(session: requests.Session, case: Case, answer: Answer, *, era: str = CURRENT,
             timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """How ``answer`` breaks the contract for ``case`` (empty when it keeps it)."""
    if isinstance(case.expect, Success):
        return success_problems(session, case.expect, answer, timeout=timeout)
    return refusal_problems(case.expect, answer, era)


def disagreement(session: requests.Session, case: Case, *, base_url: str, api_key: str, era: str = CURRENT,
                 timeout: float = DEFAULT_TIMEOUT, pacer: Pacer | None = None) -> str | None:
    """Send ``case`` and compare: None when the endpoint agrees, else a report of the difference.
    With a ``pacer``, a 429 of the endpoint's quota is waited out and the case sent again."""
    try:
        if pacer is not None:
            answer = pacer.send(session, case, base_url=base_url, api_key=api_key, timeout=timeout)
        else:
            answer = send(session, case, base_url=base_url, api_key=api_key, timeout=timeout)
    except requests.RequestException as exc:
        return f"expected: {expected_text(case, era)}\ngot:      no answer ({type(exc).__name__}: {exc})"
    found = problems(session, case, answer, era=era, timeout=timeout)
    if not found:
        return None
    return (f"expected: {expected_text(case, era)}\ngot:      {answer.describe()}\n"
            f"why:      {'; '.join(found)}")
