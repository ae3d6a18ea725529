"""Reading a photo question: its form, its noun phrases and the words around them.

A phrase is ``[determiner] [colour] [size] noun [relation the Y]``; the noun names a COCO class (or
"objects"/"things" for any, "animals" for a category, ``vqa.vocab.coco.object_class``), the colour
filters by colour, the size word is ignored, a position ("the car on the right", "the leftmost
person") keeps the leftmost or rightmost of the objects it names, and the relation (left of, right of, above, below, on, next to, inside) ties it to
another phrase. ``normalise`` lower-cases a question, drops punctuation and possessive "'s", and rewrites
"to the left of" / "on the left of" as "left of". The rule-based photo answerer
(``vqa.reason.photo_rules``) answers the forms ``parse_question`` matches (``QUESTION_FORMS_RE``, tried in
order on the normalised text), each by the method the form names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..vocab.coco import ANY, COLOR_WORDS, NOT_CLASSES, category_classes, object_class, surface_forms

__all__ = ["Phrase", "parse_phrase", "parse_question", "question_classes", "counted_classes", "question_looks", "normalise", "strip_phrase", "RELATIONS",
           "REL_RE", "COLORS_RE", "PICTURE", "QUESTION_FORMS_RE", "SIZE_WORDS", "DETERMINERS"]

SIZE_WORDS = frozenset({"big", "large", "small", "little", "tiny", "huge", "giant", "medium"})
# "the biggest / taller / smallest X": the one of the objects X names whose box is the most so
EXTREMES = {"biggest": "largest", "largest": "largest", "bigger": "largest", "larger": "largest",
            "smallest": "smallest", "smaller": "smallest", "tallest": "tallest", "taller": "tallest",
            "shortest": "shortest", "shorter": "shortest"}
# "a bunch of bananas", "a herd of cows": the noun after "of" names the objects
QUANTITIES = frozenset({"piece", "pieces", "slice", "slices", "bunch", "bunches", "pair", "pairs", "group", "groups",
                        "herd", "herds", "flock", "flocks", "couple", "lot", "lots", "number", "pile", "piles",
                        "stack", "stacks", "row", "rows", "set", "crowd", "team", "family", "kind", "kinds",
                        "sort", "type", "bit", "bits", "collection", "line"})
# what people add between a noun and its relation ("the horse lying below ...", "a cat sitting on ...")
POSTURES = frozenset({"lying", "laying", "standing", "sitting", "sleeping", "resting", "walking", "running",
                      "parked", "placed", "located", "hanging", "flying", "swimming", "grazing", "playing",
                      "leaning", "perched", "floating", "seen", "shown", "visible"})
DETERMINERS = frozenset({"a", "an", "the", "any", "some", "this", "that", "these", "those", "one", "other",
                         "another"})
INDEFINITE = frozenset({"a", "an", "any", "another", "other", "some"})  # "next to a person": any person
PICTURE = r"(?:picture|image|photo|photograph|scene|frame)"
FILLER = re.compile(rf"\s+(?:in|on|of) (?:the|this) {PICTURE}$|\s+(?:there|here|visible|in it|at all|around|are|is)$")
RELATIONS = {"left of": "left", "right of": "right", "above": "above", "below": "below", "under": "below",
              "underneath": "below", "beneath": "below", "on": "on", "on top of": "on", "next to": "next to",
              "beside": "next to", "near": "next to", "inside": "inside", "inside of": "inside", "in": "inside"}
REL_RE = "|".join(sorted((re.escape(r) for r in RELATIONS), key=len, reverse=True))
COLORS_RE = "|".join(sorted(COLOR_WORDS, key=len, reverse=True))



@dataclass
class Phrase:
    """A parsed noun phrase: class (or ``ANY``), optional colour, optional relation to an anchor phrase."""

    text: str
    cls: str | None
    color: str | None = None
    relation: str | None = None
    anchor: "Phrase | None" = None
    position: str | None = None  # "left" / "right": the leftmost / rightmost of the objects it names
    extreme: str | None = None  # "largest" / "smallest" / "tallest" / "shortest" box of the objects it names
    any_anchor: bool = False  # "a / another / any Y": related to any Y, not only to the likeliest one

    def unknown(self) -> "Phrase | None":
        """The first phrase (this or its anchor) whose noun is not a detector class."""
        if self.cls is None:
            return self
        return self.anchor.unknown() if self.anchor is not None else None

    def describe(self) -> str:
        return self.text


def normalise(question: str) -> str:
    q = question.lower().replace("\u2019", "'")
    q = re.sub(r"'s\b", "", q)
    q = re.sub(r"[^a-z0-9 ]+", " ", q)
    q = re.sub(r"\s+", " ", q).strip()
    q = re.sub(r"\b(?:to|on|at) the (left|right)(?: hand)?(?: side)? of\b", r"\1 of", q)
    q = re.sub(r"\bcolour\b", "color", q)
    q = re.sub(r"\bin front of\b", "infrontof", q)
    return q


def strip_phrase(text: str) -> str:
    text = text.strip()
    while True:
        new = FILLER.sub("", text).strip()
        if new == text:
            break
        text = new
    words = text.split()
    while words and words[0] in DETERMINERS:
        words = words[1:]
    return " ".join(words)


_POSITION = re.compile(r"^(?P<head>.+?) (?:(?:on|at|to) the )?(?:far |very )?(?P<side>left|right)(?: hand)?(?: side)?"
                       rf"(?: of (?:the|this) {PICTURE})?$|^(?P<side2>left|right)(?:most)? (?P<head2>.+)$")


_POSTURES_RE = "(?:" + "|".join(sorted(POSTURES)) + ")"
_DRESSED = re.compile(rf"^(?P<head>.+?) (?:(?:who is |that is )?(?:dressed |clothed )?in|wearing|wears) "
                      rf"(?:all )?(?P<color>{COLORS_RE})(?: clothes| clothing)?$")

MAX_CHAIN = 8  # relations and positions one phrase may chain; a longer chain names nothing we can find


def parse_phrase(text: str, depth: int = 0) -> Phrase:
    """``[det] [leftmost|rightmost] [colour] [size] noun [on the (far) left|right] [relation [det] phrase]``
    -> ``Phrase`` (module docstring). A chain deeper than ``MAX_CHAIN`` is an unknown phrase."""
    text = strip_phrase(text)
    if depth > MAX_CHAIN:
        return Phrase(text=text[:80], cls=None)
    m = _POSITION.match(text)
    if m:
        phrase = parse_phrase(m.group("head") or m.group("head2"), depth + 1)
        phrase.position, phrase.text = m.group("side") or m.group("side2"), text
        return phrase
    if text in _FORMS:  # a name that contains a relation word: "plants in pots", "glass of wine"
        return Phrase(text=text, cls=_FORMS[text])
    m = _DRESSED.match(text)  # "the woman in purple", "a man wearing red" (not "the cup next to the man in red")
    if m and not re.search(rf"\b(?:{REL_RE})\b", m.group("head")):
        phrase = parse_phrase(m.group("head"), depth + 1)
        phrase.color, phrase.text = phrase.color or COLOR_WORDS[m.group("color")], text
        return phrase
    m = re.match(rf"^(?P<head>.+?) (?:(?:that|which|who) (?:is|are) )?(?:{_POSTURES_RE} )?(?P<rel>{REL_RE}) "
                 rf"(?P<anchor>.+)$", text)
    if m and not m.group("head").endswith(" on"):
        head = parse_phrase(m.group("head"), depth + 1)
        head.relation = RELATIONS[m.group("rel")]
        head.anchor = parse_phrase(m.group("anchor"), depth + 1)
        head.any_anchor = m.group("anchor").split()[0] in INDEFINITE
        head.text = text
        return head
    m = re.match(r"^(?P<part>.+?) of (?P<whole>.+)$", text)
    if m:  # "the combs of the hens" names combs, "a bunch of bananas" bananas
        quantity = strip_phrase(m.group("part")) in QUANTITIES
        return parse_phrase(m.group("whole" if quantity else "part"), depth + 1)
    words = text.split()
    color = extreme = None
    keep = []
    for w in words:
        if w in COLOR_WORDS and color is None and w != words[-1]:
            color = COLOR_WORDS[w]
        elif w in EXTREMES and extreme is None and w != words[-1]:
            extreme = EXTREMES[w]
        elif w not in SIZE_WORDS:
            keep.append(w)
    return Phrase(text=" ".join(keep) or text, cls=object_class(keep), color=color, extreme=extreme)


# (question type, pattern on the normalised question, the rules' method that answers it), tried in order
_PIC = PICTURE
QUESTION_FORMS_RE: list[tuple[str, str, str]] = [
    ("list", rf"^(?:what|which) (?:objects |things )?(?:is|are) (?:there )?(?:in|on) (?:the|this) {_PIC}$"
             rf"|^what (?:do|can) you see(?: in (?:the|this) {_PIC})?$|^what is there$", "_list"),
    ("yes_no", r"^(?:are|is) there (?P<cmp>more|fewer|less) (?P<a>.+?) than (?P<b>.+?)$", "_compare_counts"),
    ("count", r"^(?:how many|what number of) (?P<a>.+?)(?: are there| is there| are| is| can you see| do you see"
              r"| can be seen| do i see| do you count| can you count| can be counted)?"
              rf"(?: in (?:the|this) {_PIC})?$", "_count"),
    ("color", r"^what color (?:is|are) (?P<a>.+)$|^what is the color of (?P<a2>.+)$", "_color"),
    ("left_right", r"^(?:is|are) (?P<a>.+?) (?:on |to )?(?:the )?left or (?:on |to )?(?:the )?right(?: side| hand side)?"
                   r"(?: of (?P<b>.+))?$", "_which_side"),
    ("left_right", rf"^(?:is|are) (?P<a>.+?) on the (?P<side>left|right)(?: side| hand side)?"
                   rf"(?: of (?:the|this) {_PIC})?$", "_on_side"),
    ("left_right", r"^(?:is|are) (?!there )(?P<a>.+?) (?P<side>left|right) of (?P<b>.+)$", "_is_side"),
    ("yes_no", r"^(?:is|are) (?P<a>.+?) (?P<cmp>bigger|larger|smaller) than (?P<b>.+)$", "_bigger"),
    ("yes_no", rf"^(?:is|are) (?!there )(?P<a>.+)(?<! in)(?<! wearing) (?P<color>{COLORS_RE})(?: in color| colored)?$",
     "_is_color"),
    ("relation", rf"^(?:is|are) (?!there )(?P<a>.+?) (?P<rel>{REL_RE}) (?!(?:the )?(?:far )?(?:left|right)\b)(?P<b>.+)$",
     "_is_related"),
    ("relate", rf"^(?:what|which object|what object|who) (?:is|are) (?P<rel>{REL_RE}) (?P<a>.+)$", "_relate"),
    ("exist", r"^(?:any|some) (?P<a>.+)$", "_exist"),  # casual: "any people?"
    ("exist", rf"^(?:is there|are there|is there any|are there any|do you see|can you see|do i see|"
              rf"does (?:the|this) {_PIC} (?:show|contain|have)|does it (?:show|contain|have)) (?P<a>.+)$", "_exist"),
]


def parse_question(question: str) -> tuple[str, re.Match, dict[str, Phrase], str] | None:
    """``(question type, match, {"a": Phrase, "b": Phrase}, method name)`` of the first form of
    ``QUESTION_FORMS_RE`` that matches the normalised question, or None when none does."""
    q = normalise(question)
    for qtype, pattern, method in QUESTION_FORMS_RE:
        m = re.match(pattern, q)
        if m:
            phrases = {k: parse_phrase(v) for k, v in m.groupdict().items() if v and k in ("a", "b")
                       and not re.fullmatch(rf"(?:the |this )?{PICTURE}", v)}  # "of the picture": no object
            if "b" not in phrases and method in _PICTURE_AS_B:  # "left of the picture", "in the picture"
                qtype, method = _PICTURE_AS_B[method]
            if "a" not in phrases and method not in ("_list", "_color") or method in _PAIRS and "b" not in phrases:
                continue  # "is the picture in colour?": the picture is no object
            return qtype, m, phrases, method
    return None


# a question about two objects whose second is the picture itself, and what it then asks
_PICTURE_AS_B = {"_is_side": ("left_right", "_on_side"), "_is_related": ("exist", "_exist")}
_PAIRS = ("_is_side", "_bigger", "_is_related", "_compare_counts")


_FORMS = surface_forms()


def counted_classes(question: str) -> list[str]:
    """The classes a counting question counts: "How many people are right of the bus?" -> person,
    "Are there more sheep than dogs?" -> sheep, dog; none for other questions.

    A count is wrong by every object of its class the first pass missed, and crowds of small
    objects are what the whole-image pass misses most; the pipeline's ``SceneBuilder`` takes a
    closer look for these classes even where the graph has some of them (``look_again``).
    """
    return _counted(parse_question(question))


def question_looks(question: str) -> dict[str, list[str]]:
    """What a closer look at a photo should seek for ``question``, as ``SceneBuilder.build``'s keyword
    arguments: ``look_for`` (``question_classes``: sought when absent) and ``look_again``
    (``counted_classes``: sought even when present). The question is parsed once for both."""
    parsed = parse_question(question)
    return {"look_for": _named(question, parsed), "look_again": _counted(parsed)}


def _phrase_classes(phrases: list[Phrase], anchors: bool) -> list[str]:
    """The COCO classes of ``phrases`` (and of their anchors, with ``anchors``), in order; none when one
    of them is outside the vocabulary."""
    todo, out = list(phrases), []
    while todo:
        p = todo.pop(0)
        if p.cls is None:
            return []
        if p.cls != ANY:
            out += [c for c in category_classes(p.cls) if c not in out]
        if anchors and p.anchor is not None:
            todo.append(p.anchor)
    return out


def _counted(parsed) -> list[str]:
    """``counted_classes`` of a ``parse_question`` result: the counted phrases, not their anchors."""
    if parsed is None or parsed[3] not in ("_count", "_compare_counts"):
        return []
    return _phrase_classes(list(parsed[2].values()), anchors=False)


def question_classes(question: str) -> list[str]:
    """The COCO classes whose presence in the graph can change the answer to ``question``, in order.

    For a question the rules parse: the classes of its phrases and their anchors ("Is the cup left of
    the spoon?" -> cup, spoon); none when one of them is outside the vocabulary (the answer is then
    "I can't see things like ...", whatever the graph holds) or the phrase is generic ("objects").
    For one they cannot parse (the photo reasoner may answer it): every class named by a run of one
    to three words ("Can you spot a spoon?" -> spoon), ``NOT_CLASSES`` excepted. The pipeline's
    ``SceneBuilder`` takes a closer look at a photo for those of them its graph lacks.
    """
    return _named(question, parse_question(question))


def _named(question: str, parsed) -> list[str]:
    """``question_classes`` of ``question``, whose ``parse_question`` result is ``parsed``."""
    if parsed is not None:
        _, m, phrases, _ = parsed
        phrases = list(phrases.values())
        if m.groupdict().get("a2"):  # "what is the colour of the X"
            phrases.append(parse_phrase(m.group("a2")))
        return _phrase_classes(phrases, anchors=True)
    words, out = normalise(question).split(), []
    for i in range(len(words)):
        for n in (3, 2, 1):
            form = " ".join(words[i:i + n])
            if len(words[i:i + n]) == n and form in _FORMS and form not in NOT_CLASSES and _FORMS[form] not in out:
                out.append(_FORMS[form])
                break
    return out
