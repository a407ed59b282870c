"""Property: any valid generate() call returns n images of the asked size (in-process fake)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from client import ImagesClient
from contracts.models import DALL_E_2
from contracts.spec import parse_size
from mockserver import create_app
from tests.client.conftest import FAKE_BASE, route_into
from tests.conftest import API_KEY
from tests.support.pngs import decode
from tests.support.profiles import budget

sizes = st.sampled_from(DALL_E_2.sizes)
counts = st.integers(min_value=DALL_E_2.n_min, max_value=DALL_E_2.n_max)
prompts = st.text(min_size=1, max_size=DALL_E_2.prompt_max_chars)
formats = st.sampled_from(DALL_E_2.response_formats)


def test_valid_generate_calls_return_n_images_of_the_size() -> None:
    # One fake and one client for all examples. Its quota and content policy are off: the
    # property is about the contract's valid arguments, and any text is a valid prompt.
    app = create_app(rate_limits=(), blocked_terms=())
    with route_into(app), ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, max_retries=0) as images:

        @budget(0.2)  # each example renders up to ten images
        @given(prompt=prompts, n=counts, size=sizes, response_format=formats)
        def check(prompt: str, n: int, size: str, response_format: str) -> None:
            result = images.generate(prompt, n=n, size=size, response_format=response_format)
            assert len(result.data) == n
            # The oracle is the size we asked for, decoded by Pillow, not the client's own check.
            expected = parse_size(size)
            for item in result.data:
                assert (item.url is not None) == (response_format == "url")
                assert decode(item.png_bytes()).size == expected

        check()
