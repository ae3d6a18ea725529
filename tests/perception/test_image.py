"""Image loading: every bad file is an ImageError; odd modes become 8-bit RGB."""
import io

import numpy as np
import pytest
from PIL import Image

from vqa.errors import ImageError
from vqa.perception import image as image_mod
from vqa.perception.image import load_image


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"hello, not a picture", "not an image"),
    (_png(Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)))[:2000], "truncated"),
])
def test_image_bad_files_raise_image_error(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        load_image(path)


def test_image_missing_file_raises(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        load_image(tmp_path / "nope.png")


def test_image_huge_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 1000)
    path = tmp_path / "big.png"
    path.write_bytes(_png(Image.new("RGB", (100, 100))))
    with pytest.raises(ImageError, match="limit"):
        load_image(path)


@pytest.mark.parametrize("mode", ["L", "RGBA", "LA", "P", "I;16", "CMYK"])
def test_image_modes_become_rgb(tmp_path, mode):
    if mode == "I;16":
        img = Image.fromarray((np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 20))  # uint16 gives I;16
    else:
        img = Image.new(mode, (64, 48))
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    img.save(path)
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (64, 48)


def test_image_16bit_is_rescaled_not_clipped():
    img = Image.fromarray((np.linspace(0, 60000, 64 * 48).reshape(48, 64)).astype(np.uint16))  # mode I;16
    a = np.asarray(load_image(img))
    assert a.min() == 0 and a.max() == 255


def test_image_rgba_transparent_pixels_become_grey():
    img = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    assert tuple(np.asarray(load_image(img))[0, 0]) == (128, 128, 128)
