"""Detector accuracy against CLEVR scene annotations, as pure functions.

A predicted object matches an annotated one when its centre is within ``radius`` pixels of the
annotated ``pixel_coords`` (one-to-one, closest pairs first). Reported: recall, precision, the
share of matched objects with each attribute right and with all four right, and relation
agreement: over ordered pairs of annotated objects that were both matched, the share of
(pair, predicate) whose presence in the predicted graph equals the annotation. ``errors`` lists
each miss, false detection and matched object with a wrong attribute, to be looked at one by one.
"""
from __future__ import annotations

import numpy as np

from ..graph.relations import CLEVR_PREDICATES
from ..graph.scene_graph import SceneGraph

__all__ = ["match_centres", "score_graphs"]

_ATTRS = ("color", "shape", "material", "size")


def match_centres(pred: np.ndarray, gold: np.ndarray, radius: float = 10.0) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of ``[P, 2]`` to ``[G, 2]`` centres within ``radius`` px.

    Returns ``(pred_index, gold_index)`` pairs, closest first.
    """
    if len(pred) == 0 or len(gold) == 0:
        return []
    d = np.linalg.norm(np.asarray(pred, float)[:, None, :2] - np.asarray(gold, float)[None, :, :2], axis=2)
    pairs, used_p, used_g = [], set(), set()
    for flat in np.argsort(d, axis=None):
        i, j = np.unravel_index(flat, d.shape)
        if d[i, j] > radius:
            break
        if i not in used_p and j not in used_g:
            pairs.append((int(i), int(j)))
            used_p.add(i)
            used_g.add(j)
    return pairs


def score_graphs(predicted: list[SceneGraph], gold: list[SceneGraph], radius: float = 10.0) -> dict:
    """Recall, precision, attribute accuracy and relation agreement over paired graphs, and the errors."""
    n_pred = n_gold = n_match = 0
    errors: list[dict] = []
    attr_right = {a: 0 for a in _ATTRS}
    all_right = rel_agree = rel_total = 0
    for p, g in zip(predicted, gold):
        pp = np.array([o.pixel[:2] for o in p.objects]).reshape(-1, 2)
        gp = np.array([o.pixel[:2] for o in g.objects]).reshape(-1, 2)
        pairs = match_centres(pp, gp, radius)
        n_pred += len(p.objects)
        n_gold += len(g.objects)
        n_match += len(pairs)
        for i, j in pairs:
            ok = [p.objects[i].attributes.get(a) == g.objects[j].attributes.get(a) for a in _ATTRS]
            for a, right in zip(_ATTRS, ok):
                attr_right[a] += right
            all_right += all(ok)
            if not all(ok):
                errors.append(_error("attributes", g.image_filename, g.objects[j], p.objects[i]))
        g_of_p = {i: j for i, j in pairs}
        found = set(g_of_p.values())
        errors += [_error("miss", g.image_filename, o, None) for j, o in enumerate(g.objects) if j not in found]
        errors += [_error("false", g.image_filename, None, o) for i, o in enumerate(p.objects) if i not in g_of_p]
        prel = {(g_of_p[r.subject], r.predicate, g_of_p[r.object]) for r in p.relations
                if r.subject in g_of_p and r.object in g_of_p}
        grel = {(r.subject, r.predicate, r.object) for r in g.relations}
        matched = sorted(found)
        for a in matched:
            for b in matched:
                if a != b:
                    for pred in CLEVR_PREDICATES:
                        rel_total += 1
                        rel_agree += ((a, pred, b) in prel) == ((a, pred, b) in grel)
    return {
        "images": len(gold), "gold_objects": n_gold, "predicted_objects": n_pred, "matched": n_match,
        "recall": n_match / max(n_gold, 1), "precision": n_match / max(n_pred, 1),
        "attribute_accuracy": {a: attr_right[a] / max(n_match, 1) for a in _ATTRS},
        "all_attributes_accuracy": all_right / max(n_match, 1),
        "relation_agreement": rel_agree / max(rel_total, 1), "relation_pairs": rel_total,
        "errors": errors,
    }


def _describe(o) -> str:
    return " ".join(o.attributes.get(a, "?") for a in ("size", "color", "material")) + " " + o.attributes.get("shape", o.name)


def _error(kind: str, image: str | None, gold, pred) -> dict:
    """One error: its kind ("miss", "false" or "attributes"), the image, and what the annotation
    and the prediction say (object description, centre pixel, score)."""
    out = {"kind": kind, "image": image}
    for side, o in (("gold", gold), ("predicted", pred)):
        if o is not None:
            out[side] = {"object": _describe(o), "pixel": [round(float(c), 1) for c in (o.pixel or [])[:2]],
                         "score": round(float(o.score), 3)}
    return out
