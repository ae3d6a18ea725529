"""Checks of scene files before they become ``SceneGraph``s: each problem is one ``DataError`` that
names the field (``objects[2].color``) and says what it should be.

Without them a bad scene fails far from its file (a relationship index past the objects is an
``IndexError`` in the tensor builder) or, worse, is answered: an unknown colour such as
"ultraviolet" is a node with no attribute at all, and the reasoner answers about it anyway.
"""
from __future__ import annotations

import math
from typing import Any

from ..errors import DataError
from ..vocab.clevr import CLEVR_VALUES
from ..vocab.coco import COCO_CLASSES, COLOR_NAMES, SIZE_VALUES

__all__ = ["is_photo_scene", "check_clevr_scene", "check_gqa_scene", "show"]

_PHOTO_VALUES = {"class": tuple(COCO_CLASSES), "color": COLOR_NAMES, "size": SIZE_VALUES}
# coordinate fields of a CLEVR object: how many numbers each may hold
_COORDS = {"3d_coords": (2, 3), "pixel_coords": (2, 3), "box": (4, 4)}


def show(value: Any, limit: int = 40) -> str:
    """repr() of a value, cut short so that an error message stays on one line."""
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_photo_scene(scene: dict) -> bool:
    """A scene ``vqa graph`` wrote for a photo (COCO classes, box relations), not a CLEVR render."""
    return scene.get("relations") == "boxes" or scene.get("detector") == "coco"


def check_clevr_scene(scene: Any) -> None:
    """Refuse an entry of ``{"scenes": [...]}`` that ``scene_from_clevr`` cannot turn into a sound graph.

    CLEVR objects need the four attributes with CLEVR's values; photo objects (``vqa graph`` on a
    photo) a COCO ``class``, and a colour and size from the photo vocabulary when they have one.
    Coordinates must be lists of finite numbers; ``relationships[pred]`` one list per object, of
    indices of objects.
    """
    if not isinstance(scene, dict):
        raise DataError(f"a scene must be an object, got {type(scene).__name__} {show(scene)}")
    for key, kind, ok in (("image_filename", "a string", lambda v: isinstance(v, str)),
                          ("image_index", "an integer", _index)):
        if scene.get(key) is not None and not ok(scene[key]):
            raise DataError(f"'{key}' must be {kind}, got {show(scene[key])}")
    objects = scene.get("objects")
    if not isinstance(objects, list):
        raise DataError(f"'objects' must be a list of objects, got {show(objects)}")
    photo = is_photo_scene(scene)
    for k, o in enumerate(objects):
        _check_object(o, f"objects[{k}]", photo)
    _check_relationships(scene.get("relationships", {}), len(objects))
    directions = scene.get("directions")
    if directions is not None and not (isinstance(directions, dict) and all(
            isinstance(v, list) and 2 <= len(v) <= 3 and all(map(_number, v)) for v in directions.values())):
        raise DataError(f"'directions' must map predicates to 3-D unit vectors, got {show(directions)}")


def _check_object(o: Any, where: str, photo: bool) -> None:
    if not isinstance(o, dict):
        raise DataError(f"{where} must be an object, got {type(o).__name__} {show(o)}")
    values = _PHOTO_VALUES if photo else CLEVR_VALUES
    for attribute, allowed in values.items():
        v = o.get(attribute)
        if v is None and (photo and attribute != "class"):
            continue  # a photo object's colour or size may be unknown
        if v is None:
            raise DataError(f"{where} has no '{attribute}'; a {'photo' if photo else 'CLEVR'} object needs one of "
                            f"{', '.join(allowed[:12])}")
        if v not in allowed:
            listed = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
            raise DataError(f"{where}.{attribute} is {show(v)}, not a {'photo' if photo else 'CLEVR'} "
                            f"{attribute} ({listed})")
    for attribute in ("shape", "material") if photo else ():
        if o.get(attribute) is not None and not isinstance(o[attribute], str):
            raise DataError(f"{where}.{attribute} must be a string or null, got {show(o[attribute])}")
    probs = o.get("attribute_probs")  # a detector's distributions (vqa ask --json writes them), read as node features
    if probs is not None and not (isinstance(probs, dict) and all(
            isinstance(d, dict) and all(_number(p) and 0 <= p <= 1 for p in d.values()) for d in probs.values())):
        raise DataError(f"{where}.attribute_probs must map attributes to {{value: probability}}, got {show(probs)}")
    for key, (lo, hi) in _COORDS.items():
        v = o.get(key)
        if v is not None and not (isinstance(v, list) and lo <= len(v) <= hi and all(map(_number, v))):
            raise DataError(f"{where}.{key} must be a list of {lo if lo == hi else f'{lo} or {hi}'} finite numbers, "
                            f"got {show(v)}")
    if "score" in o and not _number(o["score"]):
        raise DataError(f"{where}.score must be a finite number, got {show(o['score'])}")


def _check_relationships(relationships: Any, n: int) -> None:
    if not isinstance(relationships, dict):
        raise DataError(f"'relationships' must map predicates to lists, got {show(relationships)}")
    for pred, lists in relationships.items():
        where = f"relationships[{pred!r}]"
        if not isinstance(lists, list) or (lists and len(lists) != n):
            raise DataError(f"{where} must hold one list per object ({n}), got {show(lists)}")
        for i, js in enumerate(lists):
            if not isinstance(js, list) or not all(_index(j) and 0 <= j < n for j in js):
                raise DataError(f"{where}[{i}] must list indices of objects (0 to {n - 1}), got {show(js)}")


def check_gqa_scene(sg: Any) -> None:
    """Refuse a GQA scene graph (``{"width", "height", "objects": {id: {...}}}``) with missing or
    mistyped fields; relations to objects the graph lacks are allowed (GQA has them) and dropped."""
    if not isinstance(sg, dict) or not isinstance(sg.get("objects"), dict):
        raise DataError(f"must be an object with an 'objects' object, got {show(sg)}")
    for key in ("width", "height"):
        if sg.get(key) is not None and not (_number(sg[key]) and sg[key] > 0):
            raise DataError(f"'{key}' must be a positive number, got {show(sg[key])}")
    for oid, o in sg["objects"].items():
        where = f"objects[{oid!r}]"
        if not isinstance(o, dict):
            raise DataError(f"{where} must be an object, got {show(o)}")
        if not isinstance(o.get("name"), str):
            raise DataError(f"{where}.name must be a string, got {show(o.get('name'))}")
        for key in ("x", "y", "w", "h"):
            if not _number(o.get(key)):
                raise DataError(f"{where}.{key} must be a finite number, got {show(o.get(key))}")
        attributes = o.get("attributes", [])
        if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
            raise DataError(f"{where}.attributes must be a list of strings, got {show(attributes)}")
        relations = o.get("relations", [])
        if not isinstance(relations, list) or not all(
                isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("object"), str)
                for r in relations):
            raise DataError(f"{where}.relations must be a list of {{\"name\", \"object\"}} strings, got {show(relations)}")
