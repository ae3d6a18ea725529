"""What the GQA evaluator checks of its inputs before it scores: each problem is one DataError naming
the entry and the field. Only what the official eval.py reads is required, but every value it reads
must have the type it uses (a list where a string is used as a key would be a TypeError)."""

from __future__ import annotations

import math
from typing import Any, Mapping

from vqa.errors import DataError
from vqa.eval._checks import about, require_list_of_dicts, show

__all__ = ["QFIX", "PFIX", "check_question", "index_predictions", "index_attentions", "check_grounding"]

QFIX = "pass the GQA all-questions file (e.g. val_all_questions.json) unchanged"
PFIX = 'write predictions as [{"questionId": str, "prediction": str}, ...]'


def check_question(qid: str, q: Any) -> None:
    """Check what the official reads of a *balanced* question (others need only 'answer')."""
    for key in ("question", "answer", "types", "groups", "semantic"):
        if key not in q:
            raise DataError(f"questions[{qid!r}] lacks '{key}'; {QFIX}")
    for key in ("question", "answer"):
        if not isinstance(q[key], str):
            raise DataError(f"questions[{qid!r}]: '{key}' must be a string, got {show(q[key])}; {QFIX}")
    types = q["types"]
    if not isinstance(types, Mapping) or not all(isinstance(types.get(k), str) for k in ("structural", "semantic", "detailed")):
        raise DataError(f"questions[{qid!r}]: 'types' needs the strings structural, semantic and detailed, got {show(types)}; {QFIX}")
    if not isinstance(q["groups"], Mapping) or "global" not in q["groups"] \
            or not (q["groups"]["global"] is None or isinstance(q["groups"]["global"], str)):
        raise DataError(f"questions[{qid!r}]: 'groups' needs 'global' (a string or null), got {show(q['groups'])}; {QFIX}")
    entailed = q.get("entailed", [])
    if not isinstance(entailed, list) or not all(isinstance(e, str) for e in entailed):
        raise DataError(f"questions[{qid!r}]: 'entailed' must be a list of question ids, got {show(entailed)}; {QFIX}")
    if not isinstance(q["semantic"], list):
        raise DataError(f"questions[{qid!r}]: 'semantic' must be a list of operations, got {show(q['semantic'])}; {QFIX}")
    for op in q["semantic"]:
        if not isinstance(op, Mapping) or "operation" not in op or "argument" not in op:
            raise DataError(f"questions[{qid!r}]: semantic operation {show(op)} lacks operation/argument; {QFIX}")


def index_predictions(predictions: Any) -> tuple[dict[str, str], int]:
    """questionId -> prediction, and how many ids were predicted more than once."""
    require_list_of_dicts(predictions, "predictions", PFIX)
    out: dict[str, str] = {}
    repeated: set[str] = set()
    for i, p in enumerate(predictions):
        qid = p.get("questionId")
        if not isinstance(qid, str):
            raise DataError(f"predictions[{i}]: 'questionId' must be a string like the question file keys, got {show(qid)}; {PFIX}")
        pred = p.get("prediction")
        if not isinstance(pred, str):
            raise DataError(f"predictions[{i}] (question {qid!r}): 'prediction' must be a string, got {show(pred)}; {PFIX}")
        if qid in out:
            repeated.add(qid)
        out[qid] = pred  # duplicates: last wins, like the official dict comprehension
    return out, len(repeated)


def index_attentions(attentions: Any) -> dict[str, list]:
    fix = "give attentions as {questionId: [[float] * cells_y] * cells_x}"
    if isinstance(attentions, list):  # official file layout: [{"questionId", "attention"}]
        require_list_of_dicts(attentions, "attentions", fix)
        for i, a in enumerate(attentions):
            if not isinstance(a.get("questionId"), str):
                raise DataError(f"attentions[{i}]: 'questionId' must be a string, got {show(a.get('questionId'))}; {fix}")
        attentions = {a["questionId"]: a.get("attention") for a in attentions}
    if not isinstance(attentions, Mapping):
        raise DataError(f"attentions must be an object, got {show(attentions)}; {fix}")
    for qid, amap in attentions.items():
        ok = isinstance(amap, list) and amap and all(isinstance(r, list) and r for r in amap)
        if ok:
            ok = len({len(r) for r in amap}) == 1 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for r in amap for v in r
            )
        if not ok:
            raise DataError(f"attentions[{show(qid)}] must be a non-empty rectangular 2-D list of numbers, got {show(amap)}; {fix}")
    return dict(attentions)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_grounding(qid: str, q: Mapping, scene_graphs: Mapping) -> Mapping:
    """The scene graph of question ``qid``'s image, once what grounding reads of both is checked: the
    question's imageId and its object pointers, the scene's size and the boxes of those objects."""
    with about("questions"):
        image = q.get("imageId")
        if not isinstance(image, str):
            raise DataError(f"questions[{qid!r}]: 'imageId' must be a string, got {show(image)}; {QFIX}")
        pointers = q.get("annotations")
        if not isinstance(pointers, Mapping) or not all(
                isinstance(pointers.get(k), Mapping) and all(isinstance(v, str) for v in pointers[k].values())
                for k in ("question", "fullAnswer")):
            raise DataError(f"questions[{qid!r}]: 'annotations' needs question and fullAnswer maps of object ids, "
                            f"got {show(pointers)}; {QFIX}")
    with about("scene_graphs"):
        scene = scene_graphs.get(image)
        if not isinstance(scene, Mapping):
            raise DataError(f"grounding: image {show(image)} of question {qid!r} is not in the scene graphs; "
                            "pass the scene graphs of the same split")
        where = f"scene graph {image!r}"
        for key in ("width", "height"):
            if not (_number(scene.get(key)) and scene[key] > 0):
                raise DataError(f"{where}: '{key}' must be a positive number, got {show(scene.get(key))}")
        objects = scene.get("objects")
        if not isinstance(objects, Mapping):
            raise DataError(f"{where}: 'objects' must map object ids to objects, got {show(objects)}")
        for oid in list(pointers["question"].values()) + list(pointers["fullAnswer"].values()):
            o = objects.get(oid)
            if o is None:
                raise DataError(f"grounding: object {oid!r} of question {qid!r} is not in {where}; pass the scene "
                                "graphs of the same split as the questions")
            if not isinstance(o, Mapping) or not all(_number(o.get(k)) for k in ("x", "y", "w", "h")):
                raise DataError(f"{where}: objects[{oid!r}] needs the numbers x, y, w and h, got {show(o)}")
    return scene
