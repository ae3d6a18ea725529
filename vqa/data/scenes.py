"""Sample CLEVR-like scene graphs without rendering.

The rules follow CLEVR's scene generator (Johnson et al., 2017): 3 to 10 objects, each with a
random shape, colour, material and size, placed uniformly on the ground plane ``[-3, 3]^2``
with a minimum gap between objects and a *margin* rule that keeps every pair clearly apart
along the left/right and front/behind axes, so that the spatial relations are unambiguous.
We cannot check visibility (CLEVR renders and rejects scenes with heavily occluded objects),
so an object may be partly hidden behind another in an image rendered from these scenes.
"""
from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from ..graph.relations import DEFAULT_DIRECTIONS, with_clevr_relations
from ..graph.scene_graph import SceneGraph, SceneObject

__all__ = ["COLORS", "SHAPES", "MATERIALS", "SIZES", "IMAGE_WIDTH", "IMAGE_HEIGHT", "project_to_pixel",
           "sample_scene", "sample_scenes"]

COLORS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow")
SHAPES = ("cube", "sphere", "cylinder")
MATERIALS = ("rubber", "metal")
SIZES = {"large": 0.7, "small": 0.35}  # name -> radius in scene units
IMAGE_WIDTH, IMAGE_HEIGHT = 480, 320

# Pinhole camera of the CLEVR v1.0 renderer, estimated once (not read at run time) from the 6,018
# annotated objects of the 932 scenes in CLEVR_train_scenes.json: a DLT solve of
# (3d_coords -> pixel_coords[:2]) refined by Gauss-Newton on the reprojection error. RMS error is
# 3.4 px (max 19 px): CLEVR jitters the camera per image, so one matrix is only the mean camera.
# pixel = (P @ [x, y, z, 1])[:2] / (P @ [x, y, z, 1])[2].
_CAMERA = np.array([
    [1.6412236010e+01, 4.7522626233e+01, -1.0374442171e+01, 2.4002115292e+02],
    [7.2168917388e+00, -6.2201542581e+00, -4.7936328881e+01, 1.6000163963e+02],
    [-5.8957630168e-02, 5.1451049560e-02, -4.3268375528e-02, 1.0000000000e+00],
])
# pixel_coords[2] (the camera-space depth) as an affine function of [x, y, z, 1], least squares on
# the same objects (RMS error 0.30 scene units, again from the camera jitter).
_DEPTH = np.array([-0.664855082, 0.5780357664, -0.4836273258, 11.2704114718])

# Directions as written in CLEVR scene files (the four ground-plane ones drive the relations).
_DIRECTIONS = dict(DEFAULT_DIRECTIONS, above=[0.0, 0.0, 1.0], below=[0.0, 0.0, -1.0])


def project_to_pixel(position: list[float] | np.ndarray) -> list[float]:
    """``[x, y, z]`` -> CLEVR ``pixel_coords`` ``[u, v, depth]`` (u, v rounded to ints, as CLEVR)."""
    h = np.append(np.asarray(position, dtype=np.float64), 1.0)
    p = _CAMERA @ h
    return [int(round(p[0] / p[2])), int(round(p[1] / p[2])), float(_DEPTH @ h)]


class _Rng:
    """The few draws we need, from either ``random.Random`` or ``numpy.random.Generator``."""

    def __init__(self, rng: random.Random | np.random.Generator | None):
        self.rng = rng if rng is not None else random.Random()
        self.is_numpy = isinstance(self.rng, np.random.Generator)

    def uniform(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def randint(self, a: int, b: int) -> int:
        """Integer in ``[a, b]``, both ends included."""
        return int(self.rng.integers(a, b + 1)) if self.is_numpy else self.rng.randint(a, b)

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]


def _placement_ok(x: float, y: float, r: float, placed: list[tuple[float, float, float]],
                  min_dist: float, margin: float) -> bool:
    """CLEVR's two placement tests against every object already placed."""
    left = DEFAULT_DIRECTIONS["left"]
    front = DEFAULT_DIRECTIONS["front"]
    for (px, py, pr) in placed:
        dx, dy = x - px, y - py
        if math.hypot(dx, dy) - r - pr < min_dist:
            return False
        # left/right and front/behind are opposite pairs, so two projections cover all four
        # directions; a pair closer than `margin` along an axis would make e.g. "left of" a
        # judgement call in the image.
        for d in (left, front):
            if abs(dx * d[0] + dy * d[1]) < margin:
                return False
    return True


def sample_scene(rng: random.Random | np.random.Generator | None = None, min_objects: int = 3,
                 max_objects: int = 10, *, min_dist: float = 0.25, margin: float = 0.4,
                 max_retries: int = 50, image_index: int = 0, prefix: str = "GEN",
                 split: str = "gen") -> SceneGraph:
    """One random CLEVR scene as a ``SceneGraph`` with positions, pixels and relations.

    Args:
        rng: ``random.Random`` or ``numpy.random.Generator`` (a fresh unseeded one if None).
        min_objects, max_objects: the object count is uniform in this range (inclusive).
        min_dist: smallest allowed gap between two objects' bounding circles (scene units).
        margin: smallest allowed separation of two centres along the left and front axes.
        max_retries: placement attempts per object before the whole scene is re-sampled.
        image_index: stored as ``image_index`` and in ``image_filename`` (``GEN_000123.png``).
    """
    r = _Rng(rng)
    # The count is drawn once: re-drawing it after a failed layout would bias scenes to be small.
    n = r.randint(min_objects, max_objects)
    while True:
        placed: list[tuple[float, float, float]] = []
        objects: list[SceneObject] = []
        for k in range(n):
            size = r.choice(tuple(SIZES))
            radius = SIZES[size]
            for _ in range(max_retries):
                x, y = r.uniform(-3.0, 3.0), r.uniform(-3.0, 3.0)
                if _placement_ok(x, y, radius, placed, min_dist, margin):
                    break
            else:
                break  # this object does not fit: start the scene again, as CLEVR does
            placed.append((x, y, radius))
            shape = r.choice(SHAPES)
            position = [x, y, radius]  # resting on the ground plane
            objects.append(SceneObject(
                name=shape,
                attributes={"color": r.choice(COLORS), "shape": shape, "material": r.choice(MATERIALS),
                            "size": size},
                position=position, pixel=project_to_pixel(position), id=str(k),
                extra={"rotation": r.uniform(0.0, 360.0)}))
        if len(objects) == n:
            break
    extra: dict[str, Any] = {"split": split}
    graph = SceneGraph(objects=objects, image_filename=f"{prefix}_{image_index:06d}.png", image_index=image_index,
                       width=IMAGE_WIDTH, height=IMAGE_HEIGHT,
                       directions={k: list(v) for k, v in _DIRECTIONS.items()}, extra=extra)
    return with_clevr_relations(graph, eps=0.2)


def sample_scenes(n: int, seed: int = 0, **kwargs) -> list[SceneGraph]:
    """``n`` scenes from one seeded ``random.Random``; ``image_index`` runs 0..n-1."""
    rng = random.Random(seed)
    return [sample_scene(rng, image_index=i, **kwargs) for i in range(n)]
