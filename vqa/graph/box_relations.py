"""Spatial relations between 2-D boxes, for photos (where CLEVR's ground-plane rule does not apply).

Boxes are ``[N, 4]`` xyxy in image pixels, y pointing down. For a box: width ``w = x1 - x0``,
height ``h = y1 - y0``, centre ``(cx, cy)``, area ``A = w h``; for a pair, ``I`` is the area of
their intersection, ``ox`` / ``oy`` the length of the overlap of their x / y intervals (0 when
apart) and ``gx`` / ``gy`` the gap between those intervals (0 when they overlap).

``Relation(s, pred, o)`` reads "s is pred of o" (as in ``relations.py``). The rules, with the
thresholds of ``BoxRelationConfig``:

=============  ===========================================================================  ========
predicate      s --pred--> o when                                                           symmetric
=============  ===========================================================================  ========
left           ``cx_o - cx_s > margin * (w_s + w_o) / 2`` (centres apart by a tenth of the   no
               mean width: a cup in the middle of a table is neither left nor right of it)
right          the converse of left                                                         no
above          ``cy_o - cy_s > margin * (h_s + h_o) / 2``                                   no
below          the converse of above                                                        no
next to        neither inside the other, ``oy >= next_overlap * min(h_s, h_o)`` (side by    yes
               side: a quarter of the shorter height shared) and
               ``gx <= next_gap * min(w_s, w_o)`` (apart by at most half the narrower width)
overlapping    ``I >= overlap_min * min(A_s, A_o)`` (a tenth of the smaller box), nesting   yes
               included
inside         ``I >= inside_min * A_s`` (nine tenths of s lies in o) and ``A_s < A_o``     no
on             ``ox >= on_overlap * w_s`` (s mostly over o), ``y0_o < y1_s`` (s's base      no
               reaches into o), ``y1_s <= y1_o + on_slack * h_o`` (but not below o's base)
               and ``cy_s < cy_o`` (s sits higher): a cup on a table, a rider on a bike
supports       the converse of on (the table supports the cup)                              no
contains       the converse of inside                                                       no
bigger         ``A_s >= bigger_ratio * A_o`` (half as big again, in image area)             no
smaller        the converse of bigger                                                       no
=============  ===========================================================================  ========

These are image-plane rules: "bigger" compares the boxes in the picture, not the objects, and
"on" cannot tell a cup on a table from a cup held in front of it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..perception.base import Detections
from .from_detections import scene_object
from .scene_graph import Relation, SceneGraph

__all__ = ["BOX_PREDICATES", "BoxRelationConfig", "box_predicate_matrices", "box_relations",
           "detections_to_box_graph", "for_display", "is_photo_graph"]

BOX_PREDICATES = ("left", "right", "above", "below", "next to", "overlapping", "inside", "on", "bigger",
                  "smaller", "supports", "contains")


@dataclass(frozen=True)
class BoxRelationConfig:
    """Thresholds of the box rules (module docstring); all are fractions, so they hold at any image size."""

    margin: float = 0.1
    next_overlap: float = 0.25
    next_gap: float = 0.5
    overlap_min: float = 0.1
    inside_min: float = 0.9
    on_overlap: float = 0.5
    on_slack: float = 0.05
    bigger_ratio: float = 1.5


def box_predicate_matrices(boxes, config: BoxRelationConfig | None = None) -> dict[str, np.ndarray]:
    """Every predicate as a boolean matrix.

    Args:
        boxes: ``[N, 4]`` xyxy in pixels (degenerate boxes are allowed; they get no area-based relation).
        config: thresholds (defaults: ``BoxRelationConfig()``).

    Returns:
        ``{pred: Tensor[N, N] bool}`` with ``M[s, o]`` True when s is pred of o; the diagonal is False.
    """
    c = config or BoxRelationConfig()
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(b)
    x0, y0, x1, y1 = (b[:, k] for k in range(4))
    w, h = np.maximum(x1 - x0, 0.0), np.maximum(y1 - y0, 0.0)
    cx, cy, area = (x0 + x1) / 2, (y0 + y1) / 2, w * h

    # pairwise terms, indexed [s, o]
    ox = np.maximum(np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :]), 0.0)
    oy = np.maximum(np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :]), 0.0)
    gx = np.maximum(np.maximum(x0[:, None], x0[None, :]) - np.minimum(x1[:, None], x1[None, :]), 0.0)
    inter = ox * oy
    a_s, a_o = area[:, None], area[None, :]

    m = {}
    m["left"] = cx[None, :] - cx[:, None] > c.margin * (w[:, None] + w[None, :]) / 2
    m["right"] = m["left"].T.copy()
    m["above"] = cy[None, :] - cy[:, None] > c.margin * (h[:, None] + h[None, :]) / 2
    m["below"] = m["above"].T.copy()
    m["inside"] = (a_s > 0) & (inter >= c.inside_min * a_s) & (a_s < a_o)
    nested = m["inside"] | m["inside"].T
    m["next to"] = (~nested & (oy >= c.next_overlap * np.minimum(h[:, None], h[None, :]))
                    & (gx <= c.next_gap * np.minimum(w[:, None], w[None, :])))
    m["overlapping"] = (inter > 0) & (inter >= c.overlap_min * np.minimum(a_s, a_o))
    m["on"] = ((ox >= c.on_overlap * w[:, None]) & (ox > 0) & (y0[None, :] < y1[:, None])
               & (y1[:, None] <= y1[None, :] + c.on_slack * h[None, :]) & (cy[:, None] < cy[None, :]))
    m["bigger"] = (a_o > 0) & (a_s >= c.bigger_ratio * a_o)
    m["smaller"] = m["bigger"].T.copy()
    # the converses of on and inside, so that every relation can be followed from either end (a
    # reasoner's message flows from the anchor to the candidates, along "anchor supports candidate")
    m["supports"] = m["on"].T.copy()
    m["contains"] = m["inside"].T.copy()
    eye = np.eye(n, dtype=bool)
    return {p: m[p] & ~eye for p in BOX_PREDICATES}


def box_relations(boxes, config: BoxRelationConfig | None = None) -> list[Relation]:
    """``Relation(s, pred, o)`` for every true entry of ``box_predicate_matrices``, in ``BOX_PREDICATES`` order."""
    out = []
    for pred, mat in box_predicate_matrices(boxes, config).items():
        for s, o in zip(*np.nonzero(mat)):
            out.append(Relation(int(s), pred, int(o)))
    return out


def detections_to_box_graph(detections: Detections, image_filename: str | None = None,
                            config: BoxRelationConfig | None = None) -> SceneGraph:
    """Scene graph of a photo's detections (the ``coco`` detector's) with box relations.

    Objects keep the detector's class as ``name``, the argmax of each attribute distribution in
    ``attributes`` (``{"class", "color", "size"}``), the distributions in ``extra["attribute_probs"]``
    (``scene_to_tensors`` reads them), the box, and ``pixel = [cx, cy, depth]`` (box centre and a 0
    depth when the detector gave none). ``position`` stays None: there is no 3-D frame for a photo.
    """
    objects = [scene_object(d, k) for k, d in enumerate(detections.objects)]
    relations = box_relations([o.box for o in objects], config) if objects else []
    return SceneGraph(objects, relations, image_filename=image_filename, width=detections.width,
                      height=detections.height, extra={"detector": detections.detector, "relations": "boxes"})


def is_photo_graph(graph: SceneGraph | None) -> bool:
    """True for graphs built by ``detections_to_box_graph`` (photos), which the CLEVR reasoner must not see."""
    return graph is not None and (graph.extra.get("relations") == "boxes" or graph.extra.get("detector") == "coco")


def for_display(graph: SceneGraph) -> SceneGraph:
    """A copy whose objects drop the ``class`` attribute where it repeats the name, for drawing labels.

    Drawings label an object with its attributes and then its name; a photo object's ``class``
    attribute is its name, so "large orange person person" becomes "large orange person".
    Other graphs come back unchanged (the same object).
    """
    if not is_photo_graph(graph):
        return graph
    objects = [replace(o, attributes={k: v for k, v in o.attributes.items() if not (k == "class" and v == o.name)})
               for o in graph.objects]
    return replace(graph, objects=objects)
