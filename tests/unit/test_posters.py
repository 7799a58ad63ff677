"""A screenshot larger than Plex accepts is scaled down, or skipped with a note (never an error)."""

import io
import os

from PIL import Image

from plexsync_gui.core.plex.posters import fit_poster


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def test_a_screenshot_within_the_limit_goes_as_it_is():
    data = png(64, 48)
    assert fit_poster(data, limit=len(data)).data is data
    assert fit_poster(data, limit=len(data)).note == ""


def test_a_larger_screenshot_becomes_a_jpeg_within_the_limit():
    data = png(800, 600)  # about 1.4 MB of noise
    poster = fit_poster(data, limit=200_000)
    assert poster.data is not None and len(poster.data) <= 200_000
    with Image.open(io.BytesIO(poster.data)) as image:
        assert image.format == "JPEG" and image.size[0] / image.size[1] == 800 / 600
    assert poster.note.startswith("poster scaled down from 1.")


def test_bytes_that_are_no_image_are_skipped_with_a_note():
    poster = fit_poster(b"\xff\xd8\xff" + os.urandom(5000), limit=1000)
    assert poster.data is None
    assert poster.note.startswith("poster not uploaded: the screenshot is 0.0 MB, more than Plex accepts")
