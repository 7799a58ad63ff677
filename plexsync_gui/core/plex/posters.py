"""Make a Stash screenshot fit what Plex accepts as a poster.

PMS answers HTTP 500 to an uploaded image of about 10 MB and more (reported for real servers; the emulated Plex
does the same). A larger screenshot is scaled down and re-encoded as JPEG with Pillow; one that cannot be read as
an image is skipped. Either way the caller gets a one-line note for the activity, never an error: a poster problem
must not fail the metadata sync.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MAX_POSTER_BYTES = 8 * 1024 * 1024  # comfortably below PMS's ~10 MB
MAX_POSTER_SIDE = 3840  # no Plex client shows a poster larger than 4K
JPEG_QUALITY = 88


@dataclass(frozen=True)
class PosterUpload:
    data: bytes | None  # what to send; None: nothing fits, skip the upload
    note: str = ""  # what the activity says about it ("" when the screenshot went as it is)


def fit_poster(data: bytes, limit: int = MAX_POSTER_BYTES) -> PosterUpload:
    """The screenshot as it is when Plex accepts its size, else scaled down until it fits, else nothing."""
    if len(data) <= limit:
        return PosterUpload(data)
    size = f"{len(data) / 1_048_576:.1f} MB"
    scaled = _scaled_jpeg(data, limit)
    if scaled is None:
        return PosterUpload(None, f"poster not uploaded: the screenshot is {size}, more than Plex accepts, "
                                  "and could not be scaled down")
    return PosterUpload(scaled, f"poster scaled down from {size} to {len(scaled) / 1_048_576:.1f} MB for Plex")


def _scaled_jpeg(data: bytes, limit: int) -> bytes | None:
    """A JPEG of at most `limit` bytes, halving the size until it fits; None when the bytes are no image Pillow
    reads (or it would not fit even small). Pillow is imported here, so only a sync that needs it pays its import."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
        image.thumbnail((MAX_POSTER_SIDE, MAX_POSTER_SIDE))
        while min(image.size) >= 16:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            if out.tell() <= limit:
                return out.getvalue()
            image = image.resize((image.width // 2, image.height // 2))
    except (OSError, ValueError, KeyError, Image.DecompressionBombError):  # KeyError: no JPEG encoder in this build
        return None
    return None
