"""Reading user images: one place that turns every bad file into an ``ImageError``.

Accepted: a PNG, JPEG, BMP, GIF, WebP, TIFF or PPM/PGM file that Pillow decodes completely,
of at least 1 x 1 and at most ``MAX_PIXELS`` pixels and ``MAX_BYTES`` bytes. The limits are checked
before any pixel is decoded: the byte count from the file system, width x height from the header,
so a decompression bomb (a small file that claims gigapixels) is refused without allocating it.
The EXIF orientation is applied (a phone photo stands as it was taken); an animated or multi-page
file gives its first frame. Grayscale, palette, RGBA/LA (composited on CLEVR's grey background),
16-bit, 32-bit and float images are converted to 8-bit RGB, since a detector sees RGB only.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError, ImageError

__all__ = ["MAX_PIXELS", "MAX_BYTES", "FORMATS", "load_image", "to_rgb", "pixel_digest", "set_max_pixels",
           "check_image_name", "image_in_folder"]

MAX_PIXELS = 40_000_000  # 40 MP: a phone photo fits; a decompression bomb does not (set_max_pixels raises it)
MAX_BYTES = 100 * 1024 * 1024
# The formats read. Pillow knows more (EPS runs Ghostscript, others are rarely tested): not for user files.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF", "PPM")
RAISE_HINT = "; --max-pixels N raises the limit"  # said where the limit refused an image; the app strips it
_BACKGROUND = (128, 128, 128)  # where transparent pixels go (close to CLEVR's floor)
_ORIENTATION = 0x0112  # the EXIF tag


def set_max_pixels(limit: int) -> None:
    """Raise (or lower) the pixel limit for this process, as ``--max-pixels`` does.

    Pillow's own decompression-bomb guard is moved up with it, so that it never refuses what the
    limit allows; it is never moved down.
    """
    global MAX_PIXELS
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ImageError(f"the pixel limit must be a positive whole number, got {limit!r}")
    MAX_PIXELS = limit
    if Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any Pillow mode (16-bit, 32-bit and float grayscale are rescaled, not clipped)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(image, dtype=np.float64)
        if image.mode == "F" and not np.isfinite(a).all():  # NaN and infinities become the darkest value
            finite = np.isfinite(a)
            a[~finite] = a[finite].min() if finite.any() else 0.0
        lo, hi = float(a.min()), float(a.max())
        a -= lo
        a *= 255 / (hi - lo) if hi > lo else 0.0
        image = Image.fromarray(a.round().astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode == "La":  # premultiplied: Pillow converts it to LA only
        image = image.convert("LA")
    if image.mode in ("RGBA", "RGBa", "LA", "PA"):
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema() == (255, 255):  # opaque, as CLEVR's PNGs are: 2 ms less
            return image.convert("RGB")
        bg = Image.new("RGBA", image.size, _BACKGROUND + (255,))
        image = Image.alpha_composite(bg, image)
    return image.convert("RGB") if image.mode != "RGB" else image


def load_image(source, max_pixels: int | None = None) -> Image.Image:
    """Decode ``source`` (path, bytes, or a PIL image) into an RGB ``PIL.Image``, upright, first frame.

    ``max_pixels`` defaults to ``MAX_PIXELS`` (see ``set_max_pixels``).

    Raises:
        ImageError: missing, empty, too large, not an image, or truncated; the message names the
            file and says what to do. Nothing else, whatever the bytes.
    """
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, Image.Image):
        name, image = "image", source
    else:
        name, data = _read(source)
        image = _open(name, data, limit)
    w, h = image.size
    if w * h > limit:
        raise ImageError(f"{name} is {w}x{h} pixels, over the {limit:,}-pixel limit; resize it{RAISE_HINT}")
    if w < 1 or h < 1:
        raise ImageError(f"{name} is {w}x{h} pixels: it holds no picture; pass a PNG or JPEG image")
    try:
        with warnings.catch_warnings():  # Pillow warns about damaged metadata it then skips
            warnings.simplefilter("ignore")
            image.load()
            image = _upright(image)
        return to_rgb(image)
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise many types on bad data; each is a bad file
        raise ImageError(f"{name} is truncated or corrupt ({_reason(e)}); re-export the image") from None


def _read(source) -> tuple[str, bytes]:
    """The name to show and the bytes of a path or bytes, within ``MAX_BYTES``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        name, data = "image bytes", bytes(source)
    else:
        path = Path(source)
        name = str(path)
        if path.is_dir():
            raise ImageError(f"{path} is a folder; pass an image file")
        if not path.is_file():
            raise ImageError(f"image not found: {path}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImageError(f"{path} is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; resize it")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ImageError(f"{path} cannot be read ({e.strerror or e}); check its permissions") from None
    if not data:
        raise ImageError(f"{name} is empty (0 bytes); pass a PNG or JPEG image")
    if len(data) > MAX_BYTES:
        raise ImageError(f"{name} is {len(data) / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; resize it")
    return name, data


def _open(name: str, data: bytes, limit: int) -> Image.Image:
    """Pillow's header parse only: no pixel is decoded here."""
    Image.init()  # registers every plugin (TIFF and WebP are not among Pillow's first five); once
    try:
        with warnings.catch_warnings():  # the limit is ours, checked next; damaged data is refused or read anyway
            warnings.simplefilter("ignore")
            return Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image vqa reads ({', '.join(FORMATS)}); pass a PNG or JPEG image") from None
    except Image.DecompressionBombError as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise ImageError(f"{name} claims {size}, over the {limit:,}-pixel limit; resize it{RAISE_HINT}") from None
    except Exception as e:  # noqa: BLE001 - a known signature followed by garbage: any exception type
        raise ImageError(f"{name} is truncated or corrupt ({_reason(e)}); re-export the image") from None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (unreadable EXIF counts as none)."""
    try:
        orientation = image.getexif().get(_ORIENTATION)
    except Exception:  # noqa: BLE001 - a damaged EXIF block does not make the pixels unusable
        return image
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(image)
    return image


def _reason(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text[:80]}" if text else type(e).__name__


def pixel_digest(image: Image.Image) -> str:
    """SHA-256 of the RGB pixels and size: equal for the same picture saved in any lossless format."""
    rgb = image.convert("RGB")
    h = hashlib.sha256(f"{rgb.width}x{rgb.height}".encode())
    h.update(rgb.tobytes())
    return h.hexdigest()


def check_image_name(name, what: str = "image") -> str:
    """``name`` if it is a file name relative to a folder; refused: a name that is not a non-empty
    string, an absolute path or a drive, and a ``..`` part.

    Raises:
        DataError: naming ``what`` (e.g. "questions[7].image_filename") and the name.
    """
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise DataError(f"{what} must be a file name, got {name!r}")
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or name.startswith(("/", "\\")):
        raise DataError(f"{what} {name!r} is an absolute path; images are read only from inside the images folder: "
                        "give a name relative to it")
    if ".." in posix.parts or ".." in windows.parts:
        raise DataError(f"{what} {name!r} climbs out of the images folder ('..'); give a name inside it")
    return name


def image_in_folder(folder: str | Path, name, what: str = "image") -> Path:
    """``folder / name`` for an image a data file names, refused unless it stays inside ``folder``:
    ``check_image_name``, and no symbolic link on the way may lead outside ``folder``. A missing
    file is not refused here: the caller says what to do about it.

    Raises:
        DataError: naming ``what``, the name and the folder.
    """
    try:
        check_image_name(name, what)
    except DataError as e:
        raise DataError(f"{e} (images folder {folder})") from None
    path = Path(folder) / name
    if path.is_symlink() or path.exists():
        root, real = Path(folder).resolve(), path.resolve()
        if real != root and root not in real.parents:
            raise DataError(f"{what} {name!r} is a link to {real}, outside the images folder {folder}; "
                            "copy the image into the folder instead")
    return path
