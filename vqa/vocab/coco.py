"""The photo vocabulary, in one place: what the ``coco`` detector can name (``COCO_CLASSES``, ``SIZE_VALUES``,
``COLOR_NAMES``), and the words people use for it.

``object_class(words)`` maps a noun phrase's words to one of the 80 COCO classes
(``COCO_CLASSES``), ``ANY`` for generic nouns ("objects", "things"),
or None when the phrase names nothing the detector knows. Matching, in order:

1. the longest run of words (at most three) ending the phrase that is a surface form of a class:
   English puts the head noun last ("the red *motorcycle*", "the *cell phone*"), and only the
   head counts ("the person's *suit*" names a suit, which the detector does not know);
2. surface forms are each class's name, its synonyms (``SYNONYMS``: "kitty" -> cat, "man",
   "women", "people" -> person, "sofa" -> couch, "table" -> dining table, ...) and their plurals
   (``plural``: "-s", "-es" after s/x/z/ch/sh, "-y" -> "-ies", plus irregulars);
3. ``NOT_CLASSES`` wins over 1-2: words that look like a class but mean something else
   ("glasses" are spectacles, not wine glasses; "plate" is not a bowl);
4. a category word ("animal", "vehicle", "fruit", "food", "furniture") names one of the groups of
   ``CATEGORIES``, whose classes the answerer adds up.

Colour words (``COLOR_WORDS``) map to the palette of ``vqa.perception.coco.colors`` ("grey" -> gray,
"silver" -> gray, "gold" -> yellow).
"""
from __future__ import annotations


__all__ = ["COCO_LABELS", "COCO_CLASSES", "SIZE_VALUES", "COLOR_NAMES", "ANY", "SYNONYMS", "NOT_CLASSES", "COLOR_WORDS", "GENERIC", "CATEGORIES", "category_classes", "plural", "surface_forms", "object_class"]

# COCO's 90-id label map (the ids the TF Object Detection API models output). Ids 12, 26, 29, 30, 45, 66,
# 68, 69, 71 and 83 were defined in the COCO paper but never annotated, so they have no entry here.
COCO_LABELS: dict[int, str] = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "donut",
    61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone", 78: "microwave",
    79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book", 85: "clock", 86: "vase",
    87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}
COCO_CLASSES: list[str] = [COCO_LABELS[k] for k in sorted(COCO_LABELS)]  # the 80 names, in id order
SIZE_VALUES = ("small", "medium", "large")
# the colour names of the palette of ``vqa.perception.coco.colors`` (what a photo object's colour can be)
COLOR_NAMES = ("black", "white", "gray", "red", "orange", "yellow", "green", "cyan", "blue", "purple",
               "pink", "brown")

ANY = "*"  # a generic noun: any detected object

SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "persons", "man", "men", "woman", "women", "boy", "girl", "child", "children", "kid",
               "guy", "lady", "ladies", "human", "adult", "baby", "babies", "someone", "somebody", "anyone",
               "anybody", "pedestrian", "player", "rider", "astronaut", "gentleman", "gentlemen", "officer",
               "musician", "singer", "dancer", "cyclist", "biker", "skier", "surfer", "skateboarder", "driver",
               "passenger", "student", "tourist", "soldier", "worker", "policeman", "teenager", "toddler",
               "spectator", "athlete", "farmer", "chef", "walker", "hiker", "runner", "individual"),
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
    "bird": ("pigeon", "seagull", "gull", "duck", "parrot", "swan", "goose", "geese", "chicken", "hen", "rooster",
             "chick", "owl", "eagle", "hawk", "crow", "raven", "sparrow", "robin", "pelican", "heron", "stork",
             "flamingo", "penguin", "songbird", "waterbird", "waterfowl", "fowl", "poultry", "dove"),
    "cat": ("kitty", "kitten", "kitties"),
    "dog": ("puppy", "puppies", "pup", "doggy"),
    "horse": ("pony", "ponies", "foal", "stallion", "mare"),
    "cow": ("cattle", "calf", "calves", "bull"),
    "sheep": ("lamb", "ewe", "ram"),
    "handbag": ("purse", "bag"),
    "backpack": ("rucksack",),
    "suitcase": ("luggage",),
    "sports ball": ("ball", "football", "soccer ball", "basketball", "tennis ball"),
    "skis": ("ski",),
    "wine glass": ("glass of wine", "glasses of wine", "wineglass"),
    "cup": ("mug", "coffee cup", "teacup", "tea cup"),
    "orange": ("tangerine", "mandarin", "clementine"),
    "donut": ("doughnut",),
    "hot dog": ("hotdog",),
    "couch": ("sofa",),
    "potted plant": ("plant", "houseplant", "pot plant", "plant pot", "flower pot", "flowerpot", "plant in a pot",
                     "plants in pots", "potted flower"),
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
                         "saucers", "bowtie", "bow tie"})

GENERIC = frozenset({"object", "objects", "thing", "things", "item", "items", "anything", "something"})

# groups of classes that one word names ("is there an animal?"); a phrase's class is then the group's word
CATEGORIES: dict[str, tuple[str, ...]] = {
    "animal": ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"),
    "vehicle": ("bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"),
    "fruit": ("banana", "apple", "orange"),
    "food": ("banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake"),
    "furniture": ("chair", "couch", "bed", "dining table", "bench"),
    "cutlery": ("fork", "knife", "spoon"),
    "glass": ("wine glass", "cup"),  # a drinking glass: COCO boxes tumblers as cups, stemware as wine glasses
}
_CATEGORY_WORDS = {"animal": "animal", "animals": "animal", "creature": "animal", "creatures": "animal",
                   "pet": "animal", "pets": "animal", "vehicle": "vehicle", "vehicles": "vehicle", "fruit": "fruit",
                   "fruits": "fruit", "food": "food", "furniture": "furniture",
                   "cutlery": "cutlery", "silverware": "cutlery", "utensil": "cutlery", "utensils": "cutlery",
                   "glass": "glass", "tumbler": "glass", "tumblers": "glass"}


def category_classes(cls: str) -> tuple[str, ...]:
    """The classes a phrase's class stands for: a category's members, or the class itself."""
    return CATEGORIES.get(cls, (cls,))

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
        if n == 1 and form in _CATEGORY_WORDS:
            return _CATEGORY_WORDS[form]
    return None
