"""Spatial relations from geometry, as pure functions.

CLEVR's rule (the official renderer's ``compute_all_relationships``): object j is ``pred`` of
object i when the vector from i to j, projected on the scene's unit direction for ``pred``,
exceeds a margin ``eps`` (0.2 scene units, about a tenth of a small object's diameter).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .scene_graph import Relation, SceneGraph

__all__ = ["CLEVR_PREDICATES", "DEFAULT_DIRECTIONS", "clevr_relations", "with_clevr_relations",
           "relationships_dict"]

if TYPE_CHECKING:
    import numpy as np

CLEVR_PREDICATES = ("left", "right", "front", "behind")

# Directions of the released CLEVR v1.0 camera (every scene in CLEVR_train_scenes.json uses them).
DEFAULT_DIRECTIONS = {
    "left": [-0.6563112735748291, -0.7544902563095093, 0.0],
    "right": [0.6563112735748291, 0.7544902563095093, 0.0],
    "front": [0.754490315914154, -0.6563112735748291, 0.0],
    "behind": [-0.754490315914154, 0.6563112735748291, 0.0],
}


def clevr_relations(coords: np.ndarray, directions: dict[str, list[float]] | None = None,
                    eps: float = 0.2) -> list[Relation]:
    """Relations of CLEVR's rule.

    Args:
        coords: ``Tensor[N, 3]``-like 3-D coordinates (or ``[N, 2]`` ground-plane ones).
        directions: predicate -> unit vector; defaults to the CLEVR v1.0 camera.
        eps: margin in scene units.

    Returns:
        ``Relation(j, pred, i)`` for every ordered pair with ``(c_j - c_i) . d_pred > eps``.
    """
    import numpy as np  # defers numpy: `vqa --help` and the metrics read this package's formats without it

    directions = directions or DEFAULT_DIRECTIONS
    c = np.asarray(coords, dtype=np.float64).reshape(len(coords), -1)
    out = []
    for pred in CLEVR_PREDICATES:
        d = np.asarray(directions[pred], dtype=np.float64)[: c.shape[1]]
        proj = c @ d  # [N]
        diff = proj[None, :] - proj[:, None]  # diff[i, j] = (c_j - c_i) . d
        for i, j in zip(*np.nonzero(diff > eps)):
            if i != j:
                out.append(Relation(int(j), pred, int(i)))
    return out


def with_clevr_relations(graph: SceneGraph, eps: float = 0.2) -> SceneGraph:
    """Return ``graph`` with its relations recomputed from object positions."""
    coords = [[float(v) for v in o.position] for o in graph.objects]
    graph.relations = clevr_relations(coords, graph.directions, eps) if coords else []
    return graph


def relationships_dict(graph: SceneGraph, predicates=CLEVR_PREDICATES) -> dict[str, list[list[int]]]:
    """CLEVR's ``relationships`` layout: ``{pred: [[j, ...] for each object i]}``."""
    rel = {p: [[] for _ in graph.objects] for p in predicates}
    for r in graph.relations:
        if r.predicate in rel:
            rel[r.predicate][r.object].append(r.subject)
    return {p: [sorted(v) for v in lists] for p, lists in rel.items()}
