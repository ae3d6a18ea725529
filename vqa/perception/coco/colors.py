"""Colour names from pixels: a 12-name palette, named by rules in HSV space.

Palette (``COLOR_NAMES``): the eleven basic colour terms of Berlin & Kay (black, white, gray, red,
orange, yellow, green, blue, purple, pink, brown) plus ``cyan``, which CLEVR's vocabulary uses.
``PALETTE`` gives one reference RGB per name (for drawing and tests; naming does not use it).

Each pixel is named by its HSV coordinates, V = max(R, G, B), C = V - min(R, G, B) (chroma),
S = C / V, all in [0, 1], and hue H in degrees:

1. ``V < 0.18``: black (too dark for its hue to mean anything).
2. achromatic, ``S < 0.18`` or ``C < 0.08``: white if ``V > 0.70``, black if ``V < 0.25``, else gray.
   A photo's white things are seldom lit to full brightness: with 0.78, the development photos' white
   cup and duck were named gray and brown; 0.70 names them white and turns no other answer wrong.
3. chromatic, by hue band, with lightness exceptions where English changes the name:

   ======================  =======  ========================================================
   hue band (degrees)      name     exception
   ======================  =======  ========================================================
   [340, 360) + [0, 12)    red      ``S < 0.5 and V > 0.75``: pink (light red);
                                    ``H < 12 and V < 0.45 and S < 0.7``: brown (dull dark red)
   [12, 45)                orange   ``V < 0.6 or S < 0.45``: brown (dark or dull orange)
   [45, 70)                yellow   ``V < 0.4``: brown (olive)
   [70, 165)               green
   [165, 195)              cyan
   [195, 260)              blue
   [260, 295)              purple
   [295, 340)              pink     ``V < 0.5``: purple (dark magenta)
   ======================  =======  ========================================================

   Shading keeps hue, so a red ball in shadow (V down to 0.2) stays red. CLEVR's eight colours
   (``[173, 35, 35]`` red, ``[129, 74, 25]`` brown, ...) all get their own names.

The colour of a region (``color_distribution``) is a weighted vote of its pixels' names,
robust to the background a box always includes:

* centre weight ``w = exp(-((u - 1/2)^2 + (v - 1/2)^2) / (2 sigma^2))`` with (u, v) the pixel's
  position in the box scaled to [0, 1] and ``sigma = 0.25``: a box's corners (weight 0.02) are
  usually background, its middle (weight 1) usually the object;
* achromatic votes (black, white, gray) count ``achromatic_weight = 0.5``: shadows, highlights,
  walls, floors and sky are mostly achromatic, and a coloured object's shaded parts look black.

``p = (1 - eps) * votes / sum(votes) + eps / 12`` with ``eps = 0.01``, so every name keeps a little
probability and the distribution sums to 1.

An object's colour in a photo (``object_color``) separates the object from its background first,
by contrast with the box's surroundings (the colour-histogram object model of distractor-aware
tracking, Possegger et al., CVPR 2015). With ``b(x)`` the pixel's bin in an RGB histogram of
``bins^3`` cells, ``H_O`` the centre-weighted histogram inside the box and ``H_S`` the histogram of
its surround (a ring ``surround`` times the box's size around it, clipped to the image, plus the
box's own outer tenth, which is mostly background and is all there is when the box fills the
picture), both normalised,

    P(object | x) = H_O(b(x)) / (H_O(b(x)) + H_S(b(x)))

and each pixel inside the box votes for its name with ``w * P(object | x)`` (``w`` the centre
weight and the achromatic factor above). A red motorcycle in a grey garage: the garage's greys and
browns are as common around the box as in it, so they get ``P ~ 1/2`` or less, while the red,
found only inside, gets ``P ~ 1``. For people (``skin=False``) skin-tone pixels do not vote: "what
colour is the man?" asks about clothes. Skin is the classic YCrCb box ``133 <= Cr <= 173``,
``77 <= Cb <= 127`` (Chai & Ngan, 1999).
"""
from __future__ import annotations

import numpy as np

from ...vocab.coco import COLOR_NAMES

__all__ = ["COLOR_NAMES", "PALETTE", "name_pixels", "color_distribution", "box_color", "object_color",
           "skin_pixels", "grey_world_gains"]


PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0), "white": (255, 255, 255), "gray": (128, 128, 128), "red": (200, 30, 30),
    "orange": (255, 140, 0), "yellow": (255, 230, 40), "green": (40, 160, 40), "cyan": (40, 200, 200),
    "blue": (40, 80, 220), "purple": (130, 40, 190), "pink": (255, 130, 180), "brown": (130, 75, 25),
}

_IDX = {n: k for k, n in enumerate(COLOR_NAMES)}
_ACHROMATIC = np.array([n in ("black", "white", "gray") for n in COLOR_NAMES])


def name_pixels(rgb: np.ndarray) -> np.ndarray:
    """Palette index (into ``COLOR_NAMES``) of every pixel.

    Args:
        rgb: ``[..., 3]`` RGB, uint8 (0-255) or float in [0, 1].

    Returns:
        ``[...]`` int64 indices, by the rules in the module docstring.
    """
    a = np.asarray(rgb)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    v = a.max(-1)
    c = v - a.min(-1)
    s = np.where(v > 0, c / np.maximum(v, 1e-6), 0.0)
    # hue in degrees, the usual piecewise formula; 0 where chroma is 0 (those pixels are achromatic)
    cs = np.maximum(c, 1e-6)
    h = np.where(v == r, ((g - b) / cs) % 6.0, np.where(v == g, (b - r) / cs + 2.0, (r - g) / cs + 4.0)) * 60.0

    out = np.full(v.shape, _IDX["gray"], dtype=np.int64)
    chromatic = (s >= 0.18) & (c >= 0.08)

    def put(mask, name):
        out[mask] = _IDX[name]

    # chromatic bands first, then the exceptions inside them
    put(chromatic & ((h >= 340) | (h < 12)), "red")
    put(chromatic & ((h >= 340) | (h < 12)) & (s < 0.5) & (v > 0.75), "pink")
    put(chromatic & (h < 12) & (v < 0.45) & (s < 0.7), "brown")
    put(chromatic & (h >= 12) & (h < 45), "orange")
    put(chromatic & (h >= 12) & (h < 45) & ((v < 0.6) | (s < 0.45)), "brown")
    put(chromatic & (h >= 45) & (h < 70), "yellow")
    put(chromatic & (h >= 45) & (h < 70) & (v < 0.4), "brown")
    put(chromatic & (h >= 70) & (h < 165), "green")
    put(chromatic & (h >= 165) & (h < 195), "cyan")
    put(chromatic & (h >= 195) & (h < 260), "blue")
    put(chromatic & (h >= 260) & (h < 295), "purple")
    put(chromatic & (h >= 295) & (h < 340), "pink")
    put(chromatic & (h >= 295) & (h < 340) & (v < 0.5), "purple")
    put(~chromatic & (v > 0.70), "white")
    put(~chromatic & (v < 0.25), "black")
    put(v < 0.18, "black")
    return out


def color_distribution(pixels: np.ndarray, sigma: float = 0.25, achromatic_weight: float = 0.5,
                       eps: float = 0.01) -> dict[str, float]:
    """Colour-name distribution of a region (a box's crop), centre-weighted.

    Args:
        pixels: ``[H, W, 3]`` RGB crop (uint8 or float in [0, 1]).
        sigma: centre-weight width as a fraction of the crop's side (module docstring).
        achromatic_weight: vote of a black/white/gray pixel relative to a coloured one.
        eps: mass spread uniformly over all names.

    Returns:
        ``{name: p}`` over ``COLOR_NAMES``, summing to 1 (uniform for an empty crop).
    """
    k = len(COLOR_NAMES)
    a = np.asarray(pixels)
    if a.ndim != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        return {n: 1.0 / k for n in COLOR_NAMES}
    hh, ww = a.shape[:2]
    v = (np.arange(hh, dtype=np.float32) + 0.5) / hh - 0.5
    u = (np.arange(ww, dtype=np.float32) + 0.5) / ww - 0.5
    weight = np.exp(-(v[:, None] ** 2 + u[None, :] ** 2) / (2 * sigma ** 2))
    return _vote(name_pixels(a), weight, achromatic_weight, eps)


def _vote(names: np.ndarray, weight: np.ndarray, achromatic_weight: float, eps: float) -> dict[str, float]:
    """Weighted vote of pixel names (achromatic ones scaled) -> ``{name: p}`` with ``eps`` spread evenly."""
    k = len(COLOR_NAMES)
    weight = weight * np.where(_ACHROMATIC[names], achromatic_weight, 1.0)
    votes = np.bincount(names.ravel(), weights=weight.ravel(), minlength=k)
    total = votes.sum()
    p = (1 - eps) * votes / total + eps / k if total > 0 else np.full(k, 1.0 / k)
    return {n: float(x) for n, x in zip(COLOR_NAMES, p)}


def box_color(image: np.ndarray, box, max_side: int = 48, **kwargs) -> dict[str, float]:
    """``color_distribution`` of the pixels inside ``box``.

    Args:
        image: ``[H, W, 3]`` RGB image.
        box: ``[x0, y0, x1, y1]`` in pixels (xyxy); clipped to the image.
        max_side: the crop is strided down to at most this many pixels per side (speed: a
            48 x 48 sample names a colour as well as the full box does).
        kwargs: passed to ``color_distribution``.
    """
    h, w = image.shape[:2]
    x0, y0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x1, y1 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
    crop = image[y0:y1, x0:x1]
    if crop.size:
        sy, sx = max(1, -(-crop.shape[0] // max_side)), max(1, -(-crop.shape[1] // max_side))
        crop = crop[sy // 2::sy, sx // 2::sx]
    return color_distribution(crop, **kwargs)


def skin_pixels(rgb: np.ndarray) -> np.ndarray:
    """``[H, W]`` bool: skin-tone pixels of a uint8 RGB image (YCrCb box of Chai & Ngan, 1999)."""
    import cv2  # defers OpenCV

    ycc = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return (cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)


def grey_world_gains(image: np.ndarray, strength: float, stride: int = 8) -> np.ndarray:
    """Per-channel gains ``(mean(means) / mean_c) ** strength`` of the grey-world white balance.

    A scene's average colour is taken to be grey, so a warm (or blue) cast over the whole photo is
    divided out: a white cup under lamplight reads white, not brown. ``strength`` 0 leaves the
    colours alone (gains 1), 1 is the full correction; the means come from every ``stride``-th pixel.
    """
    means = np.asarray(image)[::stride, ::stride].reshape(-1, 3).astype(np.float64).mean(0)
    return (means.mean() / np.maximum(means, 1.0)) ** strength


def object_color(image: np.ndarray, box, max_side: int = 48, surround: float = 0.25, bins: int = 8,
                 skin: bool = True, sigma: float = 0.25, achromatic_weight: float = 0.5,
                 eps: float = 0.01, gains: np.ndarray | None = None) -> dict[str, float]:
    """Colour-name distribution of the object in ``box``, weighed against its surroundings (module docstring).

    Args:
        image: ``[H, W, 3]`` uint8 RGB image.
        box: ``[x0, y0, x1, y1]`` in pixels (xyxy).
        max_side: the box is strided down to about this many pixels per side (the surround with it).
        surround: width of the ring around the box, as a fraction of the box's width / height.
        bins: histogram cells per RGB channel.
        skin: False drops skin-tone pixels from the vote (people: their clothes' colour).
        sigma, achromatic_weight, eps: as in ``color_distribution``.
        gains: per-channel factors applied to the pixels first (``grey_world_gains``); None for none.

    Returns:
        ``{name: p}`` over ``COLOR_NAMES``, summing to 1 (uniform for an empty box).
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(c) for c in box)
    bw, bh = x1 - x0, y1 - y0
    if bw < 1 or bh < 1:
        return {n: 1.0 / len(COLOR_NAMES) for n in COLOR_NAMES}
    sx0, sy0 = max(int(x0 - surround * bw), 0), max(int(y0 - surround * bh), 0)
    sx1, sy1 = min(int(np.ceil(x1 + surround * bw)), w), min(int(np.ceil(y1 + surround * bh)), h)
    step = max(1, int(round(max(bw, bh) / max_side)))
    region = image[sy0:sy1:step, sx0:sx1:step]
    if gains is not None:
        region = np.clip(region * gains, 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[sy0:sy1:step, sx0:sx1:step].astype(np.float32)
    u, v = (xx + 0.5 * step - x0) / bw, (yy + 0.5 * step - y0) / bh  # position in the box, [0, 1] inside
    inside = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)
    rim = inside & ((u < 0.1) | (u > 0.9) | (v < 0.1) | (v > 0.9))
    centre = np.exp(-((u - 0.5) ** 2 + (v - 0.5) ** 2) / (2 * sigma ** 2)) * inside
    if not skin:
        centre = centre * ~skin_pixels(region)
    q = region.astype(np.int64) // (256 // bins)
    cell = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    h_obj = np.bincount(cell.ravel(), weights=centre.ravel(), minlength=bins ** 3)
    h_sur = np.bincount(cell[~inside | rim], minlength=bins ** 3).astype(np.float64)
    h_obj, h_sur = h_obj / max(h_obj.sum(), 1e-12), h_sur / max(h_sur.sum(), 1e-12)
    p_object = h_obj / np.maximum(h_obj + h_sur, 1e-12)
    names = name_pixels(region)
    return _vote(names[inside], (centre * p_object[cell])[inside], achromatic_weight, eps)
