"""Image bytes served by the emulated Stash: tiny but valid JPEG covers, a PNG placeholder and the SVG placeholder.

No imaging library is needed: a baseline JPEG of one flat 8x8 block is a handful of fixed segments, and a COM
(comment) segment makes the bytes differ per scene and cover version, which is all a client's hash check needs.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

# Stash serves its built-in SVG when a scene has no cover; clients must not upload it to Plex.
SCENE_PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360" width="640" height="360">'
    b'<rect width="640" height="360" fill="#30404d"/>'
    b'<path d="M280 130v100l90-50z" fill="#8a9ba8"/></svg>'
)


def _segment(marker: int, payload: bytes) -> bytes:
    """One JPEG marker segment: FF, marker, big-endian length (which counts itself), payload."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(comment: str) -> bytes:
    """A valid 8x8 grey baseline JPEG whose bytes vary with `comment`.

    One component, quantisation all ones, and Huffman tables holding a single one-bit code each (DC category 0,
    AC end-of-block), so the entropy-coded block is the two bits `00` padded with ones: 0x3F.
    """
    one_code = bytes([1] + [0] * 15) + b"\x00"  # BITS: one code of length 1; HUFFVAL: symbol 0
    return b"".join(
        [
            b"\xff\xd8",  # SOI
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),  # APP0 JFIF 1.1, 1:1, no thumbnail
            _segment(0xFE, comment.encode("utf-8")),  # COM: the per-version variation
            _segment(0xDB, b"\x00" + b"\x01" * 64),  # DQT table 0, 8-bit, all ones
            _segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) + b"\x01" + b"\x01\x11\x00"),  # SOF0 8x8, 1 comp
            _segment(0xC4, b"\x00" + one_code),  # DHT DC table 0
            _segment(0xC4, b"\x10" + one_code),  # DHT AC table 0
            _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),  # SOS: component 1 uses tables 0/0, full spectrum
            b"\x3f",  # entropy-coded data
            b"\xff\xd9",  # EOI
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: length, type, data, CRC over type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A valid flat-colour RGB PNG of `size` x `size` pixels."""
    row = b"\x00" + bytes(rgb) * size  # filter byte 0 (None) then the pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(row * size)),
            _png_chunk(b"IEND", b""),
        ]
    )


# Stash picks a random default performer image; one fixed grey PNG is enough for a client that must skip it.
PERFORMER_PLACEHOLDER_PNG = make_png((0x8A, 0x9B, 0xA8))


def sniff_content_type(data: bytes) -> str:
    """The Content-Type Stash's http.DetectContentType would give for cover bytes set by a test."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip().startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return "application/octet-stream"


def etag(data: bytes) -> str:
    """Stash's image ETag: the hex MD5 of the bytes (unquoted)."""
    return hashlib.md5(data).hexdigest()
