"""Reading a photo question: its noun phrases and the words around them.

A phrase is ``[determiner] [colour] [size] noun [relation the Y]``; the noun names a COCO class (or
"objects"/"things" for any, ``vqa.vocab.coco.object_class``), the colour filters by colour, the size
word is ignored and the relation (left of, right of, above, below, on, next to) ties it to another
phrase. ``normalise`` lower-cases a question, drops punctuation and possessive "'s", and rewrites
"to the left of" / "on the left of" as "left of". The rule-based photo answerer
(``vqa.reason.photo_rules``) matches its question forms on normalised text and parses their phrases here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..vocab.coco import COLOR_WORDS, object_class

__all__ = ["Phrase", "parse_phrase", "normalise", "strip_phrase", "RELATIONS", "REL_RE", "COLORS_RE", "PICTURE",
           "SIZE_WORDS", "DETERMINERS"]

SIZE_WORDS = frozenset({"big", "large", "small", "little", "tiny", "huge", "giant", "medium"})
DETERMINERS = frozenset({"a", "an", "the", "any", "some", "this", "that", "these", "those", "one", "other"})
PICTURE = r"(?:picture|image|photo|photograph|scene|frame)"
FILLER = re.compile(rf"\s+(?:in|on|of) (?:the|this) {PICTURE}$|\s+(?:there|here|visible|in it|at all|around|are|is)$")
RELATIONS = {"left of": "left", "right of": "right", "above": "above", "below": "below", "under": "below",
              "underneath": "below", "beneath": "below", "on": "on", "on top of": "on", "next to": "next to",
              "beside": "next to", "near": "next to"}
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


def parse_phrase(text: str) -> Phrase:
    """``[det] [colour] [size] noun [relation [det] phrase]`` -> ``Phrase`` (module docstring)."""
    text = strip_phrase(text)
    m = re.match(rf"^(?P<head>.+?) (?:that is |which is |who is )?(?P<rel>{REL_RE}) (?P<anchor>.+)$", text)
    if m and not m.group("head").endswith(" on"):
        head = parse_phrase(m.group("head"))
        head.relation = RELATIONS[m.group("rel")]
        head.anchor = parse_phrase(m.group("anchor"))
        head.text = text
        return head
    words = text.split()
    color = None
    keep = []
    for w in words:
        if w in COLOR_WORDS and color is None and w != words[-1]:
            color = COLOR_WORDS[w]
        elif w not in SIZE_WORDS:
            keep.append(w)
    return Phrase(text=" ".join(keep) or text, cls=object_class(keep), color=color)
