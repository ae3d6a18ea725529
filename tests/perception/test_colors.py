"""Colour names: single pixels, pure and shaded patches on a background, boxes."""
import numpy as np
import pytest

from vqa.perception.colors import COLOR_NAMES, PALETTE, box_color, color_distribution, name_pixels

# CLEVR's own colours (clevr-dataset-gen's properties.json)
CLEVR_RGB = {"gray": (87, 87, 87), "red": (173, 35, 35), "blue": (42, 75, 215), "green": (29, 105, 20),
             "brown": (129, 74, 25), "purple": (129, 38, 192), "cyan": (41, 208, 208), "yellow": (255, 238, 51)}


def _name(rgb) -> str:
    return COLOR_NAMES[int(name_pixels(np.array(rgb, dtype=np.uint8)))]


def _top(dist: dict) -> str:
    return max(dist, key=dist.get)


def _disc(colour, background=(128, 128, 128), size=60, radius=20, shade=None) -> np.ndarray:
    """A ``size`` x ``size`` patch: a disc of ``colour`` (optionally shaded top to bottom by the factors
    ``shade = (top, bottom)``) on ``background``; the disc covers 35 % of the patch."""
    img = np.empty((size, size, 3), dtype=np.float32)
    img[:] = background
    yy, xx = np.mgrid[:size, :size]
    inside = (yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2 <= radius ** 2
    factor = np.ones((size, size), dtype=np.float32)
    if shade is not None:
        factor = np.linspace(shade[0], shade[1], size, dtype=np.float32)[:, None].repeat(size, 1)
    img[inside] = np.asarray(colour, dtype=np.float32) * factor[inside][:, None]
    return img.round().clip(0, 255).astype(np.uint8)


def test_colors_palette_has_the_basic_terms_plus_cyan():
    assert len(COLOR_NAMES) == 12 and set(PALETTE) == set(COLOR_NAMES)
    for name, rgb in PALETTE.items():
        assert _name(rgb) == name


@pytest.mark.parametrize("name", sorted(CLEVR_RGB))
def test_colors_name_clevr_colours(name):
    assert _name(CLEVR_RGB[name]) == name


def test_colors_achromatic_and_lightness_exceptions():
    assert _name((250, 250, 250)) == "white"
    assert _name((20, 20, 20)) == "black"
    assert _name((140, 135, 140)) == "gray"
    assert _name((255, 170, 170)) == "pink"  # light red
    assert _name((255, 140, 0)) == "orange"
    assert _name((120, 70, 10)) == "brown"  # dark orange
    assert _name((120, 20, 20)) == "red"  # dark but saturated red stays red


def test_colors_name_pixels_keeps_shape_and_accepts_floats():
    a = np.zeros((4, 5, 3), dtype=np.uint8)
    assert name_pixels(a).shape == (4, 5)
    assert COLOR_NAMES[int(name_pixels(np.array([0.0, 0.0, 1.0])))] == "blue"


@pytest.mark.parametrize("name", ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "brown",
                                  "white", "black"])
def test_colors_pure_disc_on_grey_background(name):
    dist = color_distribution(_disc(PALETTE[name]))
    assert _top(dist) == name
    assert dist[name] > 0.5


@pytest.mark.parametrize("name", ["red", "green", "blue", "purple", "cyan", "yellow"])
def test_colors_shaded_disc_keeps_its_name(name):
    # lit from above: full brightness at the top, 45 % at the bottom
    dist = color_distribution(_disc(PALETTE[name], background=(235, 235, 235), shade=(1.0, 0.45)))
    assert _top(dist) == name


def test_colors_centre_beats_a_coloured_background():
    # a green disc on a red background: the corners are red, the centre green
    dist = color_distribution(_disc(PALETTE["green"], background=PALETTE["red"]))
    assert _top(dist) == "green"
    assert dist["red"] > 0.05  # the background still shows, less


def test_colors_distribution_sums_to_one_and_empty_is_uniform():
    dist = color_distribution(_disc(PALETTE["blue"]))
    assert set(dist) == set(COLOR_NAMES)
    assert sum(dist.values()) == pytest.approx(1.0)
    assert min(dist.values()) > 0
    empty = color_distribution(np.zeros((0, 5, 3), dtype=np.uint8))
    assert all(v == pytest.approx(1 / 12) for v in empty.values())


def test_colors_box_color_reads_the_box_and_clips():
    image = np.full((100, 200, 3), 128, dtype=np.uint8)
    image[20:80, 120:180] = PALETTE["yellow"]
    assert _top(box_color(image, [120, 20, 180, 80])) == "yellow"
    assert _top(box_color(image, [0, 0, 60, 100])) == "gray"
    assert _top(box_color(image, [110, 10, 400, 90])) == "yellow"  # partly outside the image
    assert sum(box_color(image, [50, 50, 50, 50]).values()) == pytest.approx(1.0)  # degenerate box: uniform
    big = np.full((1000, 1500, 3), PALETTE["purple"], dtype=np.uint8)
    assert _top(box_color(big, [0, 0, 1500, 1000])) == "purple"  # strided down, same answer
