"""Readers and writers for the CLEVR scene format and the GQA scene-graph format."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .. import atomic
from ..errors import DataError
from .checks import check_clevr_scene, check_gqa_scene, is_photo_scene, show
from .relations import relationships_dict
from .scene_graph import Relation, SceneGraph, SceneObject

__all__ = ["CLEVR_ATTRIBUTES", "load_json", "scene_from_clevr", "scene_to_clevr", "load_clevr_scenes",
           "save_clevr_scenes", "scene_from_gqa", "scene_to_gqa", "load_gqa_scene_graphs"]

CLEVR_ATTRIBUTES = ("color", "shape", "material", "size")
_CLEVR_OBJECT_KEYS = {"color", "shape", "material", "size", "3d_coords", "pixel_coords", "box", "score"}
_PHOTO_ATTRIBUTES = ("class", "color", "size")  # what a photo object's attributes are (detections_to_box_graph)


def load_json(path: str | Path) -> Any:
    """The JSON value in the file ``path``, or a ``DataError`` naming the file and the problem.

    Strict where ``json.load`` is lax: the file must be UTF-8 (a byte-order mark is skipped) and
    hold standard JSON, so ``NaN``, ``Infinity`` and numbers that overflow to infinity are refused;
    nesting too deep for the parser is refused too, instead of a ``RecursionError``.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a JSON file")
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path} cannot be read ({e.strerror or e}); check its permissions") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                        "save it as UTF-8 JSON") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise DataError(f"{path} is not valid JSON ({e}); check the file is complete") from None
    except _NotFinite as e:
        raise DataError(f"{path} holds {e}, which is not a JSON number; write a finite number or null") from None
    except RecursionError:
        raise DataError(f"{path} is nested too deeply for the JSON reader; no input file of vqa needs more "
                        "than a few levels") from None
    except ValueError as e:  # Python refuses integers of more than 4,300 digits
        raise DataError(f"{path} is not valid JSON ({e})") from None


class _NotFinite(ValueError):
    """A NaN or infinite number in a JSON file: its value is the text as written."""


def _refuse_constant(name: str):
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise _NotFinite(text if len(text) <= 30 else text[:27] + "...")
    return value


def scene_from_clevr(scene: dict) -> SceneGraph:
    """One entry of ``{"scenes": [...]}`` -> ``SceneGraph`` (relations as annotated).

    Raises DataError naming the field when the entry is not a sound CLEVR scene (``checks.check_clevr_scene``).
    """
    check_clevr_scene(scene)
    photo = is_photo_scene(scene)  # `vqa graph` on a photo: the object is its COCO class, as the detector built it
    objects = []
    for k, o in enumerate(scene["objects"]):
        if photo:
            name, attributes = o["class"], {a: o[a] for a in _PHOTO_ATTRIBUTES if o.get(a) is not None}
        else:
            name, attributes = o["shape"], {a: o[a] for a in CLEVR_ATTRIBUTES}
        objects.append(SceneObject(
            name=name, attributes=attributes, box=o.get("box"), position=o.get("3d_coords"), pixel=o.get("pixel_coords"),
            score=o.get("score", 1.0), id=str(k),
            extra={key: v for key, v in o.items() if key not in _CLEVR_OBJECT_KEYS | set(_PHOTO_ATTRIBUTES)}))
    relations = []
    for pred, lists in scene.get("relationships", {}).items():
        for i, js in enumerate(lists):
            relations.extend(Relation(j, pred, i) for j in js)
    extra = {k: v for k, v in scene.items()
             if k not in {"objects", "relationships", "image_filename", "image_index", "directions"}}
    return SceneGraph(objects, relations, image_filename=scene.get("image_filename"),
                      image_index=scene.get("image_index"), directions=scene.get("directions"), extra=extra)


def scene_to_clevr(graph: SceneGraph) -> dict:
    """``SceneGraph`` -> one entry of ``{"scenes": [...]}``. Each object has CLEVR's four attributes
    (None where it lacks one) and its others: a photo object's ``class``, ``color`` and ``size``."""
    objects = []
    for o in graph.objects:
        d = {a: o.attributes.get(a) for a in CLEVR_ATTRIBUTES}
        d.update(o.attributes)
        if o.position is not None:
            d["3d_coords"] = o.position
        if o.pixel is not None:
            d["pixel_coords"] = o.pixel
        if o.box is not None:
            d["box"] = o.box
        if o.score != 1.0:
            d["score"] = o.score
        d.update(o.extra)
        objects.append(d)
    out = dict(graph.extra)
    out.update(image_filename=graph.image_filename, objects=objects,
               relationships=relationships_dict(graph, sorted({r.predicate for r in graph.relations} | {"left", "right", "front", "behind"})))
    if graph.image_index is not None:
        out["image_index"] = graph.image_index
    if graph.directions is not None:
        out["directions"] = graph.directions
    return out


def load_clevr_scenes(path: str | Path) -> list[SceneGraph]:
    """The scenes of a CLEVR scenes file ``{"scenes": [...]}``; a DataError names the file, the scene and the field."""
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("scenes"), list):
        raise DataError(f"{path}: expected a CLEVR scenes file {{\"scenes\": [...]}}, got {show(data)}")
    graphs = []
    for k, scene in enumerate(data["scenes"]):
        try:
            graphs.append(scene_from_clevr(scene))
        except DataError as e:
            name = scene.get("image_filename") if isinstance(scene, dict) else None
            raise DataError(f"{path}: scenes[{k}]{f' ({name})' if isinstance(name, str) else ''}: {e}") from None
    return graphs


def save_clevr_scenes(graphs: list[SceneGraph], path: str | Path, info: dict | None = None) -> None:
    atomic.write_text(path, json.dumps({"info": info or {}, "scenes": [scene_to_clevr(g) for g in graphs]}))


def scene_from_gqa(image_id: str, sg: dict) -> SceneGraph:
    """One GQA scene graph (``{"width", "height", "objects": {id: {...}}}``) -> ``SceneGraph``.

    GQA boxes are ``x, y, w, h``; we hold them as xyxy. GQA attributes are an unordered list,
    kept under keys ``attr0``, ``attr1``, ... in their original order.
    """
    try:
        check_gqa_scene(sg)
    except DataError as e:
        raise DataError(f"GQA scene graph {image_id!r}: {e}") from None
    ids = list(sg["objects"])
    index = {oid: k for k, oid in enumerate(ids)}
    objects, relations = [], []
    for k, oid in enumerate(ids):
        o = sg["objects"][oid]
        x, y, w, h = o["x"], o["y"], o["w"], o["h"]
        objects.append(SceneObject(name=o["name"], attributes={f"attr{n}": a for n, a in enumerate(o.get("attributes", []))},
                                   box=[x, y, x + w, y + h], id=oid))
        for r in o.get("relations", []):
            if r["object"] in index:
                relations.append(Relation(k, r["name"], index[r["object"]]))
    extra = {k: v for k, v in sg.items() if k not in {"objects", "width", "height"}}
    return SceneGraph(objects, relations, image_filename=str(image_id), width=sg.get("width"),
                      height=sg.get("height"), extra=extra)


def scene_to_gqa(graph: SceneGraph) -> dict:
    objects = {}
    for k, o in enumerate(graph.objects):
        x0, y0, x1, y1 = o.box
        rels = [{"object": graph.objects[r.object].id, "name": r.predicate} for r in graph.relations if r.subject == k]
        objects[o.id if o.id is not None else str(k)] = {
            "name": o.name, "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0,
            "attributes": [o.attributes[a] for a in sorted(o.attributes, key=lambda s: int(s[4:]) if s[4:].isdigit() else 0)],
            "relations": rels}
    out = dict(graph.extra)
    out.update(width=graph.width, height=graph.height, objects=objects)
    return out


def load_gqa_scene_graphs(path: str | Path) -> dict[str, SceneGraph]:
    data = load_json(path)
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a GQA scene-graph file {{image_id: {{...}}}}, got {show(data)}")
    graphs = {}
    for k, v in data.items():
        try:
            graphs[k] = scene_from_gqa(k, v)
        except DataError as e:
            raise DataError(f"{path}: {e}") from None
    return graphs
