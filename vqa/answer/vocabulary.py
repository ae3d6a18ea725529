"""What the ``coco`` detector can name, and the words people use for it.

``object_class(words)`` maps a noun phrase's words to one of the 80 COCO classes
(``vqa.perception.coco_detector.COCO_CLASSES``), ``ANY`` for generic nouns ("objects", "things"),
or None when the phrase names nothing the detector knows. Matching, in order:

1. the longest run of words (at most three) ending the phrase that is a surface form of a class:
   English puts the head noun last ("the red *motorcycle*", "the *cell phone*"), and only the
   head counts ("the person's *suit*" names a suit, which the detector does not know);
2. surface forms are each class's name, its synonyms (``SYNONYMS``: "kitty" -> cat, "man",
   "women", "people" -> person, "sofa" -> couch, "table" -> dining table, ...) and their plurals
   (``plural``: "-s", "-es" after s/x/z/ch/sh, "-y" -> "-ies", "-fe" -> "-ves", plus irregulars);
3. ``NOT_CLASSES`` wins over 1-2: words that look like a class but mean something else
   ("glasses" are spectacles, not wine glasses; "plate" is not a bowl).

Colour words (``COLOR_WORDS``) map to the palette of ``vqa.perception.colors`` ("grey" -> gray,
"silver" -> gray, "gold" -> yellow).
"""
from __future__ import annotations

from ..perception.coco_detector import COCO_CLASSES
from ..perception.colors import COLOR_NAMES

__all__ = ["ANY", "SYNONYMS", "NOT_CLASSES", "COLOR_WORDS", "GENERIC", "plural", "surface_forms", "object_class"]

ANY = "*"  # a generic noun: any detected object

SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "persons", "man", "men", "woman", "women", "boy", "girl", "child", "children", "kid",
               "guy", "lady", "ladies", "human", "adult", "baby", "babies", "someone", "somebody", "anyone",
               "anybody", "pedestrian", "player", "rider", "astronaut", "gentleman", "gentlemen", "officer"),
    "bicycle": ("bike", "cycle"),
    "car": ("automobile", "taxi", "cab"),
    "motorcycle": ("motorbike", "motor bike", "motor cycle"),
    "airplane": ("plane", "aeroplane", "jet", "aircraft", "airliner"),
    "bus": ("coach bus",),
    "train": ("locomotive", "tram"),
    "truck": ("lorry", "pickup"),
    "boat": ("ship", "canoe", "kayak", "sailboat", "yacht", "ferry"),
    "traffic light": ("stoplight", "traffic signal"),
    "fire hydrant": ("hydrant",),
    "bird": ("pigeon", "seagull", "duck", "parrot"),
    "cat": ("kitty", "kitten", "kitties"),
    "dog": ("puppy", "puppies", "pup", "doggy"),
    "horse": ("pony", "ponies"),
    "cow": ("cattle", "calf", "calves", "bull"),
    "sheep": ("lamb",),
    "handbag": ("purse", "bag"),
    "backpack": ("rucksack",),
    "suitcase": ("luggage",),
    "sports ball": ("ball", "football", "soccer ball", "basketball", "tennis ball"),
    "skis": ("ski",),
    "wine glass": ("glass of wine",),
    "cup": ("mug", "coffee cup", "teacup"),
    "donut": ("doughnut",),
    "hot dog": ("hotdog",),
    "couch": ("sofa",),
    "potted plant": ("plant", "houseplant", "pot plant"),
    "dining table": ("table",),
    "tv": ("television", "tv set", "monitor"),
    "laptop": ("laptop computer", "notebook computer"),
    "remote": ("remote control",),
    "cell phone": ("phone", "mobile phone", "smartphone", "cellphone", "mobile"),
    "refrigerator": ("fridge",),
    "teddy bear": ("teddy",),
    "hair drier": ("hair dryer", "hairdryer", "blow dryer"),
}

# words that contain or resemble a class but mean something the detector does not know
NOT_CLASSES = frozenset({"glasses", "eyeglasses", "spectacles", "sunglasses", "plate", "plates", "saucer",
                         "saucers", "glass", "bowtie", "bow tie"})

GENERIC = frozenset({"object", "objects", "thing", "things", "item", "items", "anything", "something"})

COLOR_WORDS: dict[str, str] = {c: c for c in COLOR_NAMES} | {"grey": "gray", "silver": "gray", "gold": "yellow",
                                                              "golden": "yellow", "violet": "purple"}

_IRREGULAR = {"person": "people", "man": "men", "woman": "women", "child": "children", "mouse": "mice",
              "sheep": "sheep", "skis": "skis", "knife": "knives", "scissors": "scissors", "people": "people"}


def plural(word: str) -> str:
    """English plural of a (possibly multi-word) noun: the last word is inflected."""
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR:
        p = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        p = last[:-1] + "ies"
    elif last.endswith("fe"):
        p = last[:-2] + "ves"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


def surface_forms() -> dict[str, str]:
    """Every word form (singular and plural of names and synonyms) -> its COCO class."""
    out: dict[str, str] = {}
    for cls in COCO_CLASSES:
        for form in (cls, *SYNONYMS.get(cls, ())):
            out.setdefault(form, cls)
            out.setdefault(plural(form), cls)
    out["tvs"] = "tv"
    return out


_FORMS = surface_forms()


def object_class(words: list[str]) -> str | None:
    """The COCO class a noun phrase names (``ANY`` for "objects", None when unknown); module docstring."""
    end = len(words)
    for n in (3, 2, 1):
        if end - n < 0:
            continue
        form = " ".join(words[end - n:end])
        if form in NOT_CLASSES:
            return None
        if form in _FORMS:
            return _FORMS[form]
        if n == 1 and form in GENERIC:
            return ANY
    return None
