"""Colour names: single pixels, pure and shaded patches on a background, boxes."""
import numpy as np
import pytest

from vqa.perception.coco.colors import (COLOR_NAMES, PALETTE, box_color, color_distribution, name_pixels, object_color,
                                   skin_pixels)

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


def _thin_object(colour, background, size=(120, 160), box=(40, 30, 120, 90), seed=0) -> np.ndarray:
    """A photo-like scene: a noisy ``background`` everywhere and, inside ``box``, a thin ring of ``colour``
    covering about a quarter of the box (a motorcycle's frame, a person's outline): the box's pixels
    are mostly background."""
    rng = np.random.default_rng(seed)
    img = np.asarray(background, dtype=np.float32) * rng.uniform(0.85, 1.15, (*size, 1))
    x0, y0, x1, y1 = box
    yy, xx = np.mgrid[: size[0], : size[1]]
    u, v = (xx - (x0 + x1) / 2) / ((x1 - x0) / 2), (yy - (y0 + y1) / 2) / ((y1 - y0) / 2)
    r = np.sqrt(u ** 2 + v ** 2)
    ring = (r > 0.55) & (r < 0.8)
    img[ring] = np.asarray(colour, dtype=np.float32) * rng.uniform(0.8, 1.0, (int(ring.sum()), 1))
    return img.round().clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("colour,background", [("red", "brown"), ("orange", "gray"), ("blue", "white"),
                                               ("green", "black"), ("yellow", "blue")])
def test_colors_object_color_separates_object_from_its_surroundings(colour, background):
    image = _thin_object(PALETTE[colour], PALETTE[background])
    box = [40, 30, 120, 90]
    assert _top(box_color(image, box)) == background  # the box alone: the background wins
    dist = object_color(image, box)
    assert _top(dist) == colour
    assert dist[colour] > 0.5
    assert sum(dist.values()) == pytest.approx(1.0)


def test_colors_object_color_box_filling_the_picture_uses_its_rim():
    # nothing around the box: its outer tenth stands for the background
    image = _thin_object(PALETTE["red"], PALETTE["gray"], size=(100, 100), box=(0, 0, 100, 100))
    assert _top(object_color(image, [0, 0, 100, 100])) == "red"


def test_colors_object_color_skin_does_not_vote_for_people():
    image = np.full((100, 100, 3), PALETTE["white"], dtype=np.uint8)
    image[15:65, 25:75] = (224, 172, 140)  # a large face, skin tone (named brown)
    image[65:95, 30:70] = (30, 50, 160)  # a blue shirt
    box = [25, 15, 75, 95]
    assert _top(object_color(image, box)) == "brown"  # skin counted: the face wins
    assert _top(object_color(image, box, skin=False)) == "blue"
    assert skin_pixels(image)[30, 50] and not skin_pixels(image)[70, 50]
    assert sum(object_color(image, [10, 10, 10, 40]).values()) == pytest.approx(1.0)  # degenerate box: uniform
