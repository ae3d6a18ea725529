"""Reading user images: one place that turns every bad file into an ``ImageError``.

Accepted: anything Pillow decodes completely, at most ``MAX_PIXELS`` pixels and ``MAX_BYTES``
bytes. Grayscale, palette, RGBA/LA (composited on CLEVR's grey background) and 16-bit images are
converted to 8-bit RGB, since a detector sees RGB only.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import ImageError

__all__ = ["MAX_PIXELS", "MAX_BYTES", "load_image", "to_rgb", "pixel_digest"]

MAX_PIXELS = 40_000_000  # 40 MP: a phone photo fits; a decompression bomb does not
MAX_BYTES = 100 * 1024 * 1024
_BACKGROUND = (128, 128, 128)  # where transparent pixels go (close to CLEVR's floor)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any Pillow mode (16-bit and float grayscale are rescaled, not clipped)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(image, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        image = Image.fromarray(a.round().astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema() == (255, 255):  # opaque, as CLEVR's PNGs are: 2 ms less
            return image.convert("RGB")
        bg = Image.new("RGBA", image.size, _BACKGROUND + (255,))
        image = Image.alpha_composite(bg, image)
    return image.convert("RGB") if image.mode != "RGB" else image


def load_image(source) -> Image.Image:
    """Decode ``source`` (path, bytes, or a PIL image) into an RGB ``PIL.Image``.

    Raises:
        ImageError: missing, empty, too large, not an image, or truncated; the message names the
            file and says what to do.
    """
    if isinstance(source, Image.Image):
        name, data = "image", None
        image = source
    else:
        if isinstance(source, (bytes, bytearray)):
            name, data = "image bytes", bytes(source)
        else:
            path = Path(source)
            name = str(path)
            if not path.is_file():
                raise ImageError(f"image not found: {path}")
            size = path.stat().st_size
            if size == 0:
                raise ImageError(f"{path} is empty (0 bytes); pass a PNG or JPEG image")
            if size > MAX_BYTES:
                raise ImageError(f"{path} is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; resize it")
            data = path.read_bytes()
        if not data:
            raise ImageError(f"{name} is empty (0 bytes); pass a PNG or JPEG image")
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageError(f"{name} is not an image Pillow can read; pass a PNG or JPEG image") from None
        except Image.DecompressionBombError as e:
            raise ImageError(f"{name} is too large ({e}); resize it below {MAX_PIXELS:,} pixels") from None
    w, h = image.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"{name} is {w}x{h} pixels, over the {MAX_PIXELS:,}-pixel limit; resize it")
    if w < 8 or h < 8:
        raise ImageError(f"{name} is {w}x{h} pixels, too small to detect anything; pass a larger image")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{name} is truncated or corrupt ({e}); re-export the image") from None
    return to_rgb(image)


def pixel_digest(image: Image.Image) -> str:
    """SHA-256 of the RGB pixels and size: equal for the same picture saved in any lossless format."""
    rgb = image.convert("RGB")
    h = hashlib.sha256(f"{rgb.width}x{rgb.height}".encode())
    h.update(rgb.tobytes())
    return h.hexdigest()
