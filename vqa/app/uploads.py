"""Reading an uploaded image: the app's byte limit, the cache key, then ``vqa.perception.image.load_image``.

An upload is checked in this order, so a huge or hostile file costs little:

1. bytes on disk <= ``MAX_UPLOAD_BYTES`` (20 MiB; Gradio's ``max_file_size`` is set to the same value);
2. width x height <= ``MAX_PIXELS`` (perception's limit, 40 megapixels), read from the header
   before any pixel is decoded (a 20,000 x 20,000 PNG of 400 KB is refused in milliseconds);
3. a full decode to 8-bit RGB, upright as its EXIF orientation says, first frame of an animation
   (truncated or corrupt files fail here).

Every failure is an ``ImageError`` naming the uploaded file and saying what to do.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import ImageError
from ..perception.image import MAX_PIXELS, RAISE_HINT, load_image

__all__ = ["MAX_UPLOAD_BYTES", "MAX_PIXELS", "Upload", "read_upload"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass
class Upload:
    """A decoded upload: the RGB image, the file's name and the SHA-256 of its bytes (the cache key)."""

    image: Image.Image
    name: str
    digest: str
    nbytes: int


def read_upload(path: str | Path, max_bytes: int = MAX_UPLOAD_BYTES) -> Upload:
    """Read and decode ``path``; raise ``ImageError`` saying what is wrong and what to do instead."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"the uploaded file {path.name!r} is missing on the server; upload it again")
    nbytes = path.stat().st_size
    if nbytes > max_bytes:
        raise ImageError(f"{path.name!r} is {nbytes / 2**20:.1f} MiB, over the app's limit of "
                         f"{max_bytes / 2**20:.0f} MiB; upload a smaller image")
    data = path.read_bytes()
    try:
        image = load_image(data)
    except ImageError as e:  # its message says "image bytes"; name the file the user chose instead
        # and the app's limit cannot be raised from the page, so the --max-pixels hint goes
        raise ImageError(str(e).replace("image bytes", repr(path.name)).replace(RAISE_HINT, "")) from None
    return Upload(image, path.name, hashlib.sha256(data).hexdigest(), nbytes)
