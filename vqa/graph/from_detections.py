"""``Detections`` -> ``SceneGraph``, with the same relation builder as gold graphs.

Each detection's projected centre goes to CLEVR's ground plane through the size's homography
(``vqa.perception.clevr.geometry``); CLEVR's left/right/front/behind rule then runs on those ground
positions exactly as on annotated ``3d_coords``. Objects keep the argmax attributes for people
and ``extra["attribute_probs"]`` for the reasoner (``scene_to_tensors`` reads the distributions).
"""
from __future__ import annotations

import numpy as np

from ..perception.base import Detections
from ..perception.clevr.geometry import SIZE_RADIUS, pixel_to_ground
from .relations import DEFAULT_DIRECTIONS, clevr_relations
from .scene_graph import SceneGraph, SceneObject

__all__ = ["detections_to_graph", "scene_object"]


def scene_object(d, index: int, name_from: str | None = None) -> SceneObject:
    """A detection as a ``SceneObject``: the argmax of each attribute distribution in ``attributes``,
    the distributions in ``extra["attribute_probs"]`` (``scene_to_tensors`` reads them), ``pixel`` from
    the detector or the box centre at depth 0. ``name`` is the ``name_from`` attribute's argmax when
    given (CLEVR: the shape), else the detector's class."""
    attrs = {a: max(p, key=p.get) for a, p in d.attributes.items() if p}
    pixel = list(d.pixel) if d.pixel is not None else [(d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2, 0.0]
    return SceneObject(name=attrs.get(name_from, d.name) if name_from else d.name, attributes=attrs, box=list(d.box),
                       pixel=pixel, score=float(d.score), feature=d.feature, id=str(index),
                       extra={"attribute_probs": d.attributes})


def detections_to_graph(detections: Detections, image_filename: str | None = None,
                        directions: dict[str, list[float]] | None = None, eps: float = 0.2) -> SceneGraph:
    """Build the scene graph of one image's detections.

    Args:
        detections: a detector's output; objects need ``pixel`` (else the box centre is used)
            and an attribute distribution per attribute type.
        image_filename: stored on the graph (CLEVR scenes match questions by it).
        directions: CLEVR's predicate directions (default: the CLEVR v1.0 camera's).
        eps: the relation margin in scene units (CLEVR's 0.2).
    """
    objects = [scene_object(d, k, name_from="shape") for k, d in enumerate(detections.objects)]
    if objects:
        sizes = [o.attributes.get("size", "large") for o in objects]
        sizes = [s if s in SIZE_RADIUS else "large" for s in sizes]
        # a non-CLEVR-sized image is mapped onto CLEVR's 480 x 320 frame first
        sx, sy = 480 / max(detections.width, 1), 320 / max(detections.height, 1)
        ground = pixel_to_ground(np.array([[o.pixel[0] * sx, o.pixel[1] * sy] for o in objects]), sizes)
        for o, g, s in zip(objects, ground, sizes):
            o.position = [round(float(g[0]), 4), round(float(g[1]), 4), SIZE_RADIUS[s]]
        relations = clevr_relations(np.array([o.position for o in objects]), directions or DEFAULT_DIRECTIONS, eps)
    else:
        relations = []
    return SceneGraph(objects, relations, image_filename=image_filename, width=detections.width,
                      height=detections.height, directions=directions or DEFAULT_DIRECTIONS,
                      extra={"detector": detections.detector})
