"""A question engine for COCO-vocabulary scene graphs: plausible photo layouts and templated questions.

This is the data side of a future photo reasoner (issue 8): scenes whose objects are COCO classes,
laid out as a photo would show them, and questions with programs and answers computed on the gold
graph. It also checks ``vqa.reason.photo_rules.PhotoAnswerer``: on gold graphs the two must agree.

**Scenes** (``sample_photo_scene``). A *context* (``CONTEXTS``: street, kitchen, living room, park,
farm, office) fixes which classes co-occur, as in COCO photos where a cup goes with a table
rather than a giraffe. 1-8 objects are drawn from the context (with repeats). Each object stands on
a ground plane seen from eye level: its base ``y1`` is uniform in ``[0.45 H, H]`` and its box height
is ``h = s_c * H * (0.4 + 0.6 (y1 - 0.45 H) / (0.55 H))`` (farther objects, higher in the picture,
are smaller), with ``s_c`` the class's typical height as a fraction of the picture (``_HEIGHT``)
and width ``w = a_c h`` from its aspect (``_ASPECT``). Colours come from a per-class list
(``_COLORS``: cats are brown, gray, black, white or orange; buses are not green...). Relations are
``vqa.graph.box_relations`` of the boxes, so they follow the same rules as real photos' graphs.
Objects have score 1 and one-hot ``attribute_probs``, as gold graphs.

**Questions** (``photo_questions``), each a ``PhotoQuestion`` with a CLEVR-style program
(``scene``, ``filter_class``, ``filter_color``, ``unique``, ``relate``, ``count``, ``exist``,
``query_color``, ``equal_color``, ``greater_than``, ``side``; a node reads the one before it unless it
lists ``inputs``; ``vqa.data.photo_executor`` runs them) and its answer:

========== =====================================================================================
type       templates (``{X}`` a class phrase, singular or plural, through ``SYNONYMS`` sometimes)
========== =====================================================================================
exist      Is there a {X}? / Are there any {Xs}? / Do you see a {X}? — half about absent classes
count      How many {Xs} are there? / How many {C} {Xs} are there? / What number of {Xs} are visible?
color      What color is the {X}? / What is the color of the {X}? — X unique in the scene
yes_no     Is the {X} {C}? / Are there more {Xs} than {Ys}? / Is the {X} bigger than the {Y}?
left_right Is the {X} left of the {Y}? / Is the {X} on the left or right of the {Y}? — X, Y unique,
           and the box rule says one is left of the other
relation   two steps, an object picked out by its relation P to another (P one of left, right,
           above, below, next to, on, inside, worded as in ``vqa.encode.photo_phrases.RELATIONS``):
           Is there a {X} P the {Y}? / How many {Xs} are P the {Y}? / What color is the {X} P the {Y}?
           / Is the {X} P the {Y}? — Y unique; for the colour, X unique among the objects P the Y
========== =====================================================================================

Some objects are placed on or inside another (``_SUPPORTS``, ``_CONTAINERS``: a cup on a table, a
person on a bench or in a bus), so that "on" and "inside" occur as in photos.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..vocab.coco import SYNONYMS, plural
from ..graph.box_relations import BoxRelationConfig, box_relations
from ..graph.scene_graph import SceneGraph, SceneObject
from .executor import ProgramError
from .photo_executor import photo_answer

__all__ = ["CONTEXTS", "PhotoQuestion", "sample_photo_scene", "photo_questions"]

CONTEXTS: dict[str, tuple[str, ...]] = {
    "street": ("person", "car", "bus", "bicycle", "motorcycle", "traffic light", "bench", "dog", "truck",
               "fire hydrant", "stop sign", "umbrella", "handbag"),
    "kitchen": ("cup", "bowl", "bottle", "spoon", "knife", "fork", "dining table", "chair", "oven", "sink",
                "refrigerator", "person", "microwave", "banana", "apple", "wine glass"),
    "living room": ("couch", "tv", "chair", "potted plant", "remote", "book", "cat", "dog", "person", "clock", "vase",
                    "laptop"),
    "park": ("person", "dog", "bench", "bicycle", "kite", "sports ball", "frisbee", "bird", "backpack", "umbrella"),
    "farm": ("horse", "cow", "sheep", "dog", "person", "bird", "truck"),
    "office": ("laptop", "keyboard", "mouse", "cell phone", "cup", "book", "chair", "person", "tv", "bottle"),
}

_HEIGHT = {"bus": 0.55, "truck": 0.5, "refrigerator": 0.6, "person": 0.6, "couch": 0.35, "car": 0.3, "horse": 0.45,
           "cow": 0.4, "oven": 0.35, "dining table": 0.3, "chair": 0.35, "tv": 0.25, "traffic light": 0.2,
           "bicycle": 0.3, "motorcycle": 0.32, "bench": 0.22, "sheep": 0.25, "dog": 0.22, "sink": 0.15,
           "potted plant": 0.25, "stop sign": 0.15, "fire hydrant": 0.15, "umbrella": 0.2}
_ASPECT = {"bus": 2.0, "truck": 1.8, "car": 1.8, "couch": 2.2, "dining table": 1.8, "bench": 2.0, "horse": 1.4,
           "cow": 1.5, "sheep": 1.3, "dog": 1.3, "cat": 1.2, "bicycle": 1.6, "motorcycle": 1.6, "person": 0.4,
           "bottle": 0.35, "traffic light": 0.35, "refrigerator": 0.5, "potted plant": 0.7, "vase": 0.5,
           "wine glass": 0.45, "spoon": 0.3, "knife": 0.25, "fork": 0.3, "banana": 1.5, "keyboard": 3.0,
           "laptop": 1.4, "tv": 1.5, "remote": 0.4, "cell phone": 0.5, "book": 0.8, "kite": 1.0}
_COLORS = {"person": ("black", "white", "blue", "red", "gray"), "car": ("red", "blue", "white", "black", "gray"),
           "bus": ("yellow", "red", "white", "blue"), "cat": ("brown", "gray", "black", "white", "orange"),
           "dog": ("brown", "black", "white", "gray"), "banana": ("yellow", "green"), "apple": ("red", "green"),
           "horse": ("brown", "black", "white"), "cow": ("black", "white", "brown"), "sheep": ("white", "gray"),
           "potted plant": ("green",), "stop sign": ("red",), "fire hydrant": ("red", "yellow")}
_SUPPORTS = ("dining table", "couch", "bench", "chair", "bicycle", "motorcycle", "horse", "bed", "truck")
_CONTAINERS = ("bus", "car", "truck", "refrigerator", "oven", "sink", "tv")
_PLACE_RATE = 0.3  # chance that an object goes on a support (or into a container) already in the scene
# how a relation is worded (each phrase is one that ``vqa.encode.photo_phrases.RELATIONS`` reads)
_REL_WORDS = {"left": ("left of", "to the left of"), "right": ("right of", "to the right of"),
              "above": ("above",), "below": ("below", "under", "beneath"), "next to": ("next to", "beside", "near"),
              "on": ("on", "on top of"), "inside": ("inside", "in")}
_BIGGER = BoxRelationConfig().bigger_ratio
_DEFAULT_COLORS = ("black", "white", "gray", "red", "blue", "green", "brown", "yellow", "orange", "pink", "purple")


@dataclass
class PhotoQuestion:
    """One generated question: its text, program (CLEVR-style nodes), answer and type."""

    question: str
    answer: str
    type: str
    program: list[dict] = field(default_factory=list)


def sample_photo_scene(rng: random.Random, width: int = 640, height: int = 480, context: str | None = None,
                       max_objects: int = 8) -> SceneGraph:
    """A plausible photo's gold scene graph (module docstring)."""
    context = context or rng.choice(sorted(CONTEXTS))
    classes = CONTEXTS[context]
    objects = []
    for k in range(rng.randint(1, max_objects)):
        name = rng.choice(classes)
        y1 = rng.uniform(0.45, 1.0) * height
        depth = (y1 - 0.45 * height) / (0.55 * height)  # 0 far (high in the picture) .. 1 near (bottom)
        h = _HEIGHT.get(name, 0.12) * height * (0.4 + 0.6 * depth) * rng.uniform(0.8, 1.2)
        w = min(_ASPECT.get(name, 1.0) * h, 0.9 * width)
        x0 = rng.uniform(0, width - w)
        box = [round(x0, 1), round(max(y1 - h, 0.0), 1), round(x0 + w, 1), round(y1, 1)]
        if objects and rng.random() < _PLACE_RATE:
            box = _place(rng, box, objects) or box
        color = rng.choice(_COLORS.get(name, _DEFAULT_COLORS))
        area = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
        size = "small" if area < 0.03 else "large" if area > 0.25 else "medium"
        probs = {"class": {name: 1.0}, "color": {color: 1.0}, "size": {size: 1.0}}
        objects.append(SceneObject(name=name, attributes={"class": name, "color": color, "size": size}, box=box,
                                   pixel=[(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, 1 - box[3] / height],
                                   score=1.0, id=str(k), extra={"attribute_probs": probs}))
    relations = box_relations([o.box for o in objects]) if objects else []
    return SceneGraph(objects, relations, width=width, height=height,
                      extra={"detector": "coco", "relations": "boxes", "context": context})


def _place(rng: random.Random, box: list[float], objects: list[SceneObject]) -> list[float] | None:
    """``box`` (same size) moved onto a support or into a container among ``objects`` that is big
    enough for it, or None when there is none: on = the base inside the support's top half, centred
    over it; inside = wholly within the container."""
    w, h = box[2] - box[0], box[3] - box[1]
    hosts = [o for o in objects if o.name in _SUPPORTS + _CONTAINERS and o.box[2] - o.box[0] > 1.2 * w]
    if not hosts:
        return None
    host = rng.choice(hosts)
    x0, y0, x1, y1 = host.box
    cx = rng.uniform(x0 + w / 2, x1 - w / 2)
    if host.name in _CONTAINERS and y1 - y0 > 1.2 * h:
        base = rng.uniform(y0 + h, y1)
    else:
        base = y0 + rng.uniform(0.1, 0.45) * (y1 - y0)
    return [round(cx - w / 2, 1), round(max(base - h, 0.0), 1), round(cx + w / 2, 1), round(base, 1)]


def _related_question(graph: SceneGraph, rng: random.Random, counts: dict[str, int], absent: list[str],
                      synonym_rate: float) -> PhotoQuestion | None:
    """A two-step question (module docstring, type ``relation``), or None when this draw has none."""
    anchors = [i for i, o in enumerate(graph.objects) if counts[o.name] == 1]
    if not anchors:
        return None
    j = rng.choice(anchors)
    y = graph.objects[j].name
    related: dict[str, list[int]] = {p: [] for p in _REL_WORDS}
    for r in graph.relations:
        if r.object == j and r.predicate in related:
            related[r.predicate].append(r.subject)
    filled = [p for p, subjects in related.items() if subjects]
    pred = rng.choice(filled) if filled and rng.random() < 0.8 else rng.choice(sorted(_REL_WORDS))
    near = sorted({graph.objects[i].name for i in related[pred]})
    others = sorted(set(counts) - {y}) + absent[:2]
    x = rng.choice(near) if near and rng.random() < 0.6 else rng.choice(others or [y])
    kind = rng.choice(["exist", "count", "color", "is"])
    wy, rel = _word(rng, y, False, synonym_rate), rng.choice(_REL_WORDS[pred])
    prog = [{"type": "scene"}, {"type": "filter_class", "value": y}, {"type": "unique"},
            {"type": "relate", "value": pred}, {"type": "filter_class", "value": x}]
    if kind == "exist":
        many = rng.random() < 0.4
        wx = _word(rng, x, many, synonym_rate)
        text = f"Are there any {wx} {rel} the {wy}?" if many else f"Is there a {wx} {rel} the {wy}?"
        prog.append({"type": "exist"})
    elif kind == "count":
        text = f"How many {_word(rng, x, True, synonym_rate)} are {rel} the {wy}?"
        prog.append({"type": "count"})
    elif kind == "color":
        text = f"What color is the {_word(rng, x, False, synonym_rate)} {rel} the {wy}?"
        prog += [{"type": "unique"}, {"type": "query_color"}]
    else:
        if counts.get(x) != 1 or x == y:
            return None
        text = f"Is the {_word(rng, x, False, synonym_rate)} {rel} the {wy}?"
        prog.append({"type": "exist"})
    try:
        answer = photo_answer(prog, graph)
    except ProgramError:  # the colour of an X that is not one object
        return None
    return PhotoQuestion(text, answer, "relation", prog)


def _word(rng: random.Random, cls: str, many: bool, synonym_rate: float) -> str:
    """A surface word for ``cls``: its name or (sometimes) a synonym, singular or plural."""
    forms = [cls] + [s for s in SYNONYMS.get(cls, ()) if " " not in s and s not in ("someone", "somebody", "anyone",
                                                                                    "anybody", "people", "men", "women",
                                                                                    "children", "kitties", "puppies",
                                                                                    "babies", "ladies", "ponies",
                                                                                    "calves", "gentlemen", "cattle")]
    w = rng.choice(forms) if rng.random() < synonym_rate else cls
    return plural(w) if many else w


def photo_questions(graph: SceneGraph, rng: random.Random, n: int = 8, synonym_rate: float = 0.3) -> list[PhotoQuestion]:
    """Up to ``n`` questions about ``graph`` with programs and gold answers (module docstring)."""
    names = [o.name for o in graph.objects]
    present = sorted(set(names))
    counts = {c: names.count(c) for c in present}
    unique = [i for i, o in enumerate(graph.objects) if counts[o.name] == 1]
    context = CONTEXTS.get(graph.extra.get("context", ""), ())
    absent = sorted(set(context) - set(present)) or ["giraffe"]
    left = {(r.subject, r.object) for r in graph.relations if r.predicate == "left"}
    out: list[PhotoQuestion] = []
    makers = ["exist", "count", "color", "is_color", "more", "left", "side", "bigger", "relation", "relation"]
    for _ in range(4 * n):
        if len(out) >= n:
            break
        kind = rng.choice(makers)
        if kind == "relation":
            q = _related_question(graph, rng, counts, absent, synonym_rate)
            if q is not None:
                out.append(q)
        elif kind == "exist":
            cls = rng.choice(present if present and rng.random() < 0.5 else absent)
            many = rng.random() < 0.5
            w = _word(rng, cls, many, synonym_rate)
            text = rng.choice([f"Are there any {w}?", f"Do you see any {w}?"] if many else
                              [f"Is there a {w}?", f"Do you see a {w}?", f"Is there a {w} in the picture?"])
            out.append(PhotoQuestion(text, "yes" if cls in counts else "no", "exist",
                                     [{"type": "scene"}, {"type": "filter_class", "value": cls}, {"type": "exist"}]))
        elif kind == "count":
            cls = rng.choice(present + absent[:1])
            w = _word(rng, cls, True, synonym_rate)
            out.append(PhotoQuestion(rng.choice([f"How many {w} are there?", f"What number of {w} are visible?",
                                                 f"How many {w} are in the picture?"]),
                                     str(counts.get(cls, 0)), "count",
                                     [{"type": "scene"}, {"type": "filter_class", "value": cls}, {"type": "count"}]))
        elif kind in ("color", "is_color") and unique:
            i = rng.choice(unique)
            o = graph.objects[i]
            w = _word(rng, o.name, False, synonym_rate)
            prog = [{"type": "scene"}, {"type": "filter_class", "value": o.name}, {"type": "unique"}]
            if kind == "color":
                out.append(PhotoQuestion(rng.choice([f"What color is the {w}?", f"What is the color of the {w}?"]),
                                         o.attributes["color"], "color", prog + [{"type": "query_color"}]))
            else:
                c = o.attributes["color"] if rng.random() < 0.5 else rng.choice(_DEFAULT_COLORS)
                out.append(PhotoQuestion(f"Is the {w} {c}?", "yes" if c == o.attributes["color"] else "no", "yes_no",
                                         prog + [{"type": "query_color"}, {"type": "equal_color", "value": c}]))
        elif kind == "more" and len(present) >= 1:
            a, b = rng.sample(present + absent[:1], 2) if len(present) >= 1 else (present[0], absent[0])
            wa, wb = _word(rng, a, True, synonym_rate), _word(rng, b, True, synonym_rate)
            out.append(PhotoQuestion(f"Are there more {wa} than {wb}?",
                                     "yes" if counts.get(a, 0) > counts.get(b, 0) else "no", "yes_no",
                                     [{"type": "scene"}, {"type": "filter_class", "value": a}, {"type": "count"},
                                      {"type": "scene"}, {"type": "filter_class", "value": b}, {"type": "count"},
                                      {"type": "greater_than", "inputs": [2, 5]}]))
        elif kind in ("left", "side", "bigger") and len(unique) >= 2:
            i, j = rng.sample(unique, 2)
            oi, oj = graph.objects[i], graph.objects[j]
            if oi.name == oj.name:
                continue
            wi, wj = _word(rng, oi.name, False, synonym_rate), _word(rng, oj.name, False, synonym_rate)
            if kind == "bigger":
                ai = (oi.box[2] - oi.box[0]) * (oi.box[3] - oi.box[1])
                aj = (oj.box[2] - oj.box[0]) * (oj.box[3] - oj.box[1])
                if 1 / _BIGGER < ai / max(aj, 1e-9) < _BIGGER:  # only where the box rule says bigger or smaller
                    continue
                # "is X bigger than Y": is X among the objects bigger than Y?
                out.append(PhotoQuestion(f"Is the {wi} bigger than the {wj}?", "yes" if ai > aj else "no", "yes_no",
                                         [{"type": "scene"}, {"type": "filter_class", "value": oj.name},
                                          {"type": "unique"}, {"type": "relate", "value": "bigger"},
                                          {"type": "filter_class", "value": oi.name}, {"type": "exist"}]))
                continue
            if (i, j) not in left and (j, i) not in left:  # about level: the box rule says neither
                continue
            is_left = (i, j) in left
            def prog(side):  # the X among the objects on ``side`` of the Y
                return [{"type": "scene"}, {"type": "filter_class", "value": oj.name}, {"type": "unique"},
                        {"type": "relate", "value": side}, {"type": "filter_class", "value": oi.name}]

            if kind == "left":
                side = rng.choice(["left", "right"])
                text = rng.choice([f"Is the {wi} {side} of the {wj}?", f"Is the {wi} to the {side} of the {wj}?"])
                out.append(PhotoQuestion(text, "yes" if is_left == (side == "left") else "no", "left_right",
                                         prog(side) + [{"type": "exist"}]))
            else:
                out.append(PhotoQuestion(f"Is the {wi} on the left or right of the {wj}?",
                                         "left" if is_left else "right", "left_right", prog("left") + [{"type": "side"}]))
    return out
