"""Every image input, property-tested: any bytes give an RGB image or an ImageError (nothing else,
in bounded time), every Pillow mode and size from 1 x 1 up is answered, EXIF orientation is applied,
animations give their first frame, and limits are checked from the header before decoding."""
import io
import resource
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageFile

from vqa.app.uploads import read_upload
from vqa.errors import ImageError, InputError
from vqa.perception import image as image_mod
from vqa.perception.image import MAX_PIXELS, RAISE_HINT, load_image, set_max_pixels

SECONDS_PER_IMAGE = 5.0  # generous on a loaded 2-core machine; a hang or a bomb takes far longer


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8))


# small valid files of every format read, the seeds of the byte mutations below
_SEED_FILES = {fmt: _encode(_noise(23, 17), fmt) for fmt in ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF", "PPM")}
_SIGNATURES = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF89a", b"GIF87a", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
               b"II*\x00", b"MM\x00*", b"P6\n", b"P5\n", b"%!PS-Adobe", b"\x00\x00\x01\x00"]


def _load_bounded(data: bytes):
    """load_image(data): an RGB image or an ImageError, within SECONDS_PER_IMAGE."""
    t0 = time.perf_counter()
    try:
        out = load_image(data)
    except ImageError as e:
        assert str(e) and "\n" not in str(e)
        out = None
    assert time.perf_counter() - t0 < SECONDS_PER_IMAGE
    if out is not None:
        assert out.mode == "RGB" and out.width >= 1 and out.height >= 1
    return out


@given(st.binary(max_size=2048))
def test_image_any_bytes_give_an_image_or_image_error(data):
    _load_bounded(data)


@given(st.sampled_from(_SIGNATURES), st.binary(max_size=512))
def test_image_garbage_behind_a_signature_is_an_image_error(signature, rest):
    _load_bounded(signature + rest)


@given(st.sampled_from(sorted(_SEED_FILES)), st.data())
def test_image_cut_or_damaged_files_give_an_image_or_image_error(fmt, data):
    raw = bytearray(_SEED_FILES[fmt])
    raw = raw[: data.draw(st.integers(0, len(raw)), label="cut at")]
    for _ in range(data.draw(st.integers(0, 4), label="damaged bytes")):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _load_bounded(bytes(raw))


# mode -> the formats that store it (Pillow image objects are tried too, for modes no format stores)
_MODE_FORMATS = {"1": ["PNG", "BMP", "TIFF"], "L": ["PNG", "JPEG", "BMP", "GIF", "TIFF", "PPM"], "P": ["PNG", "GIF", "BMP"],
                 "LA": ["PNG", "WEBP"], "RGB": ["PNG", "JPEG", "BMP", "WEBP", "TIFF", "PPM"], "RGBA": ["PNG", "WEBP", "TIFF"],
                 "CMYK": ["JPEG", "TIFF"], "I;16": ["PNG", "TIFF"], "I": ["PNG", "TIFF"], "F": ["TIFF"],
                 "YCbCr": ["JPEG"], "PA": [], "La": [], "RGBa": [], "RGBX": [], "LAB": ["TIFF"], "HSV": [], "I;16B": [],
                 "I;16L": [], "I;16N": []}
_sizes = st.one_of(
    st.tuples(st.integers(1, 40), st.integers(1, 40)),
    st.tuples(st.just(1), st.integers(1, 3000)),  # extreme aspect ratios, both ways
    st.tuples(st.integers(1, 3000), st.just(1)),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
)


def _image_of(mode: str, size: tuple[int, int], seed: int) -> Image.Image:
    rgb = _noise(*size, seed=seed)
    if mode in ("I;16", "I;16B", "I", "F"):  # grey levels scaled past 8 bits
        a = np.asarray(rgb.convert("L"), dtype=np.float64) * 200
        dtype = {"I;16": "<u2", "I;16B": ">u2", "I": "<i4", "F": "<f4"}[mode]
        return Image.frombytes(mode, size, a.astype(dtype).tobytes())
    if mode in ("PA", "La", "RGBa", "LAB", "HSV", "I;16L", "I;16N"):
        return Image.new(mode, size)
    return rgb.convert(mode)


@given(st.sampled_from(sorted(_MODE_FORMATS)), _sizes, st.integers(0, 9), st.data())
def test_image_every_mode_and_size_is_answered_in_rgb(mode, size, seed, data):
    img = _image_of(mode, size, seed)
    formats = _MODE_FORMATS[mode]
    fmt = data.draw(st.sampled_from(formats + ["object"]), label="format")
    if fmt == "object":
        out = load_image(img)
    else:
        if fmt == "WEBP" and max(size) > 16383:
            return
        out = load_image(_encode(img, fmt))
    assert out.mode == "RGB" and out.size == size


def test_image_one_and_two_pixel_images_are_read():
    for size in [(1, 1), (1, 2), (2, 1), (2, 2), (1, 500), (500, 2)]:
        assert load_image(_encode(_noise(*size), "PNG")).size == size


@pytest.mark.parametrize("orientation", range(1, 9))
def test_image_exif_orientation_is_applied(orientation):
    # a 3 x 2 picture with a distinct colour per pixel, stored as the camera would for each orientation
    upright = np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 14
    stored = {1: lambda a: a, 2: np.fliplr, 3: lambda a: np.rot90(a, 2), 4: np.flipud, 5: lambda a: a.transpose(1, 0, 2),
              6: lambda a: np.rot90(a, 1), 7: lambda a: np.rot90(a, 2).transpose(1, 0, 2), 8: lambda a: np.rot90(a, -1)}
    img = Image.fromarray(np.ascontiguousarray(stored[orientation](upright)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(_encode(img, "PNG", exif=exif))
    assert np.array_equal(np.asarray(out), upright)


def test_image_damaged_exif_is_ignored_not_refused():
    data = _encode(_noise(9, 7), "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff")
    assert load_image(data).size == (9, 7)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP", "TIFF"])
def test_image_animated_and_multi_page_files_give_the_first_frame(fmt):
    frames = [Image.new("RGB", (12, 10), c) for c in ((250, 10, 10), (10, 250, 10), (10, 10, 250))]
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], **({"lossless": True} if fmt == "WEBP" else {}))
    assert Image.open(io.BytesIO(data)).n_frames == 3
    a = np.asarray(load_image(data)).astype(int)
    assert a[..., 0].mean() > 200 and a[..., 1].mean() < 50


def png_bomb(width: int, height: int) -> bytes:
    """A complete, valid grey PNG of ``width`` x ``height`` zero pixels, made without building its pixels:
    one zlib block of 1,000 zero rows, fully flushed, then repeated (benchmarks/image_limits.py uses it)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = min(1000, height)
    assert height % rows == 0
    block = bytes((width + 1) * rows)  # each row: filter byte 0, then zeros
    z = zlib.compressobj(9)
    head = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    again = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    assert head[2:] == again  # after a full flush the same input compresses to the same bytes
    adler = 1
    for _ in range(height // rows):
        adler = zlib.adler32(block, adler)
    stream = head[:2] + again * (height // rows) + b"\x03\x00" + struct.pack(">I", adler)  # empty last block
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(png_bomb(20_000, 20_000))
    return path


def test_image_decompression_bomb_is_refused_from_its_header(bomb, monkeypatch):
    assert bomb.stat().st_size < 1_000_000

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(ImageError, match=r"400,000,000 pixels, over the 40,000,000-pixel limit"):
        load_image(bomb)
    assert time.perf_counter() - t0 < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: nothing near 400 MB


def test_image_app_upload_bomb_is_refused_naming_the_file(bomb):
    with pytest.raises(ImageError, match="'bomb.png' claims 400,000,000 pixels") as e:
        read_upload(bomb)
    assert RAISE_HINT not in str(e.value)  # the app's limit cannot be raised from the page


def test_image_max_pixels_raises_the_limit_knowingly(monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 1000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # Pillow's own guard would refuse first
    data = _encode(_noise(50, 40), "PNG")
    with pytest.raises(ImageError, match="over the 1,000-pixel limit; resize it; --max-pixels N raises the limit"):
        load_image(data)
    set_max_pixels(2000)
    assert load_image(data).size == (50, 40)
    assert Image.MAX_IMAGE_PIXELS == 2000
    with pytest.raises(ImageError, match="positive whole number"):
        set_max_pixels(0)


def test_image_byte_limit_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_BYTES", 100)
    path = tmp_path / "big.png"
    path.write_bytes(_encode(_noise(40, 40), "PNG"))
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read before the size check"))
    with pytest.raises(ImageError, match="over the 0 MiB limit"):
        load_image(path)


@pytest.mark.parametrize("data, message", [
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image vqa reads"),  # Ghostscript never runs
    (_encode(Image.new("RGB", (4, 4)), "ICO"), "not an image vqa reads"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image vqa reads"),
])
def test_image_formats_outside_the_list_are_refused(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_image_errors_are_input_errors():
    assert issubclass(ImageError, InputError)
    assert MAX_PIXELS == 40_000_000
