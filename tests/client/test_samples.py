"""``python -m client sample-images`` writes the files the guide's legacy examples open, and the
fake takes them as those examples send them (an edit with an RGBA mask, a variation)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from client import ImagesClient
from client._samples import CORGI, LOUNGE, MASK

PROMPT = "A sunlit indoor lounge area with a pool containing a flamingo"


def test_sample_images_for_the_legacy_examples(tmp_path: Path, images: ImagesClient) -> None:
    done = subprocess.run([sys.executable, "-m", "client", "sample-images", "--out", str(tmp_path / "in")],
                          capture_output=True, text=True, timeout=120, check=False)  # no API key needed
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "in"
    assert done.stdout.splitlines() == [str(folder / name) for name in (LOUNGE, MASK, CORGI)]
    for name in (LOUNGE, MASK, CORGI):
        data = (folder / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 4 * 1024 * 1024
        with Image.open(folder / name) as image:
            assert image.width == image.height
    with Image.open(folder / LOUNGE) as lounge, Image.open(folder / MASK) as mask:
        assert mask.mode == "RGBA" and mask.size == lounge.size
        alphas = {alpha for _, alpha in mask.getchannel("A").getcolors() or []}
        assert alphas == {0, 255}  # a transparent part to repaint, the rest kept

    edited = images.edit(folder / LOUNGE, prompt=PROMPT, mask=folder / MASK, n=1, size="256x256")
    varied = images.create_variation(folder / CORGI, n=1, size="256x256")
    assert len(edited.data) == 1 and len(varied.data) == 1
