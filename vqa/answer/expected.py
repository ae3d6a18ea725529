"""The answer a CLEVR question asks for, read from its words, and the answer mask it gives.

The reasoner scores all 28 CLEVR answers for every question. On wording it was not trained on it
sometimes answers in the wrong kind: "no" to "Is the cylinder metal or rubber?", "metal" to "What
is the shiny ball's colour?". Those answers are wrong whatever the scene is, and the question's
words say so. ``expected_answer`` parses what the question asks for:

* **options**: "X or Y" at the end of a question naming two values of one attribute ("Is the ball
  red or blue?", "The cylinder: metal or rubber?", "Is it a ball or a block?"), or "more X or Y"
  ("Are there more cylinders or cubes?" answers "cylinder" or "cube"). Not when the question asks
  whether something exists ("Is there a red or blue cube?"), counts, or compares with "than";
* **count**: "how many" anywhere, or a question that starts "count", "number of", or asks "what
  (is the total) number / amount of";
* **bool** (yes/no): a question that starts with a verb: is, are, does, do, was, has, can ... Fillers
  come off first ("Hey, is ...", "Just checking: are ...", "Can you tell me ..."), and a question
  of several clauses is read from its last clause that starts like a question;
* **color, shape, material, size**: a question asked with a question word, or with none ("colour of
  the cylinder?", "The red object is what shape?"), asks for the attribute its question word asks
  ("what colour", "what is its material", "how big"), else the first one named that does not follow
  "same" ("same material?" is yes/no); "made of" at the end asks for the material. "What is the
  <thing>?" with no attribute named asks for its shape, as in CLEVR;
* otherwise **nothing**: every answer stays allowed.

Words may carry a typo ("whhat colur", "how mny", "mde of"). Only these words decide, so a question
the parser gets wrong loses its right answer; the rules keep the answer types of the template
questions whole, as asked and as reworded by ``vqa.encode.augment`` (tests/answer/test_expected.py
checks every shared CLEVR question). ``restrict_logits`` applies the mask before the softmax: the
probabilities of the allowed answers are renormalised among themselves.

Shapes: ``answer_mask`` gives ``[B, A]`` booleans (B questions, A answers); ``restrict_logits``
maps logits ``[B, A]`` to ``[B, A]`` with ``-inf`` where the mask is False.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

from ..vocab.clevr import VALUE_WORDS, clevr_answer_type, one_edit

__all__ = ["ExpectedAnswer", "expected_answer", "answer_mask", "restrict_logits", "value_of"]


@dataclass(frozen=True)
class ExpectedAnswer:
    """What a question asks for.

    Attributes:
        answer_type: "bool", "count", "color", "shape", "material" or "size"; None when the words
            do not say (every answer allowed).
        options: the two values a question offers ("red", "blue"), as CLEVR answers; empty unless
            the question names them. When given, only they are allowed.
    """

    answer_type: str | None = None
    options: tuple[str, ...] = ()

    def allows(self, answer: str) -> bool:
        if self.options:
            return answer in self.options
        return self.answer_type is None or clevr_answer_type(answer) == self.answer_type


_VALUE_WORDS = frozenset(VALUE_WORDS)
_GENERIC = {"thing", "things", "object", "objects", "one", "ones", "item", "items", "stuff", "shape", "shapes"}
_AUX = {"is", "are", "was", "were", "does", "do", "did", "has", "have", "can", "could", "would", "will", "r",
        "isnt", "arent", "doesnt", "dont", "am", "should", "must", "doe"}
# long enough to spot with a typo ("wozld")
_FUZZY_AUX = frozenset({"would", "could", "should", "does", "doesnt", "arent"})
_WH = {"what", "whats", "wat", "wats", "which", "whcih", "wich", "witch"}
_KEYWORDS = {"color": "color", "colour": "color", "colors": "color", "colours": "color",
             "shape": "shape", "shapes": "shape", "material": "material", "materials": "material",
             "size": "size", "sizes": "size", "siz": "size", "sze": "size", "sie": "size"}
_KEYWORD_WORDS = frozenset(_KEYWORDS)
_COUNT, _NUMBER, _MADE = frozenset({"count"}), frozenset({"number", "amount"}), frozenset({"made"})
# Openings that carry no question ("hey", "just checking", "can you tell me" with a typo or two).
# They are matched on the clause's words, joined by single spaces.
_FILLER = re.compile(
    r"^(?:[a-z]{2,6} you (?:please )?t[a-z]{1,4} me|(?:can|could|would|will) you (?:please )?(?=count\b)"
    r"|(?:please )?tell me|do you know|id like to know|i want to know|i (?:was |am )?wonder(?:ing)?|just wondering"
    r"|just checking|quick question|question|please|hey|hi|so|ok|okay|now|well|and|also|then"
    r"|in (?:this|the) (?:picture|image|scene|photo))(?: |$)")
_SAME = {"same", "identical", "equal", "different"}
_CLAUSES = re.compile(r"[,;:]|\s[-–]\s")
# real words one letter from a known one ("side" is not "size", "that" is not "what")
_NOT_TYPOS = {"side", "sides", "shade", "shades", "shame", "cool", "colon", "meta", "mall", "smell", "hue",
              "that", "chat", "hat", "whet", "wheat", "wham", "world", "goes", "dogs", "man",
              "shaped", "sized", "colored", "coloured"}


@lru_cache(maxsize=16384)  # a question's words repeat across questions: a lookup, not a scan, for most
def _close(word: str, known: frozenset[str], shortest: int = 4) -> str | None:
    """``word`` if known, else a known word one typo away (words under ``shortest`` letters must match)."""
    if word in known:
        return word
    if len(word) < shortest or word in _NOT_TYPOS:
        return None
    return next((k for k in sorted(known) if len(k) >= shortest and one_edit(word, k)), None)


def value_of(word: str) -> str | None:
    """The CLEVR answer a word names ("balls" -> "sphere", "shiny" -> "metal", "purpel" -> "purple"), or None."""
    k = _close(word, _VALUE_WORDS)
    return VALUE_WORDS[k] if k else None


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.replace("'", "").replace("’", ""))


def _strip_fillers(words: list[str]) -> list[str]:
    text = " ".join(words)
    while (m := _FILLER.match(text)) and m.end():
        text = text[m.end():]
    return text.split()


@lru_cache(maxsize=16384)  # asked of most words of a question (``_attribute``): a lookup after the first time
def _is_what(word: str) -> bool:
    """A question word, typos included ("whhat", "waht", "wht"), but not "that"."""
    return word in _WH or (3 <= len(word) <= 5 and word not in _NOT_TYPOS and one_edit(word, "what"))


def _is_many(word: str) -> bool:
    return word == "many" or (len(word) >= 3 and one_edit(word, "many"))  # "how mny", "how man"


def _head(words: list[str]) -> str | None:
    """How a clause starts: "count", "aux" (a verb: yes/no), "wh" (what, which, how), or None."""
    if not words:
        return None
    first, second = words[0], (words[1] if len(words) > 1 else "")
    if (_close(first, _COUNT) or (first == "how" and _is_many(second))
            or (first in ("number", "amount", "total") and second in ("of", "number"))):
        return "count"
    if first in _AUX or _close(first, _FUZZY_AUX):
        return "aux"
    if _is_what(first) or first == "how":
        return "wh"
    return None


def _asks_count(words: list[str], head: str | None) -> bool:
    """ "how many" anywhere, a count opening, or "what is the (total) number / amount of"."""
    if head == "count" or ("how" in words and any(w == "how" and (_is_many(n) or n == "much")
                                                  for w, n in zip(words, words[1:]))):
        return True
    return head == "wh" and "of" in words and any(n == "of" and _close(w, _NUMBER) for w, n in zip(words, words[1:]))


def _options(words: list[str]) -> tuple[str, ...]:
    """The two values of one attribute an "X or Y" question ends with (or its "more X or Y"), else ()."""
    if "or" not in words or "than" in words or "how" in words:
        return ()
    comparing = bool({"more", "fewer", "less"} & set(words))
    if not comparing and ({"there", "any", "anything", "something", "either", "neither", "nor"} & set(words)):
        return ()
    tail = [w for w in words if w not in {"a", "an", "the"}]
    while tail and tail[-1] in _GENERIC:
        tail.pop()
    if len(tail) < 3 or tail[-2] != "or":
        return ()
    before = len(tail) - 3
    while before >= 0 and tail[before] in _GENERIC:
        before -= 1
    if before < 0:
        return ()
    x, y = value_of(tail[before]), value_of(tail[-1])
    if not x or not y or x == y or clevr_answer_type(x) != clevr_answer_type(y):
        return ()
    return (x, y)


def _attribute(words: list[str]) -> str | None:
    """The attribute a question asks for: the one a question word asks ("what colour", "what is its
    material", "how big"), else the first one named, else the material when it ends "made of"."""
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if w == "how" and (after == "tall" or value_of(after) in ("large", "small")):
            return "size"
        if _is_what(w):
            near = [x for x in words[i + 1: i + 5] if x not in ("is", "s", "the", "its", "was", "are", "of")][:1]
            k = _close(near[0], _KEYWORD_WORDS) if near else None
            if k:
                return _KEYWORDS[k]
    for i, w in enumerate(words):
        k = _close(w, _KEYWORD_WORDS)
        if k and not (i and words[i - 1] in _SAME):  # "same colour?" is yes/no
            return _KEYWORDS[k]
    end = [w for w in words[-4:] if w not in ("it", "what", "out")]
    if len(end) >= 2 and end[-1] in ("of", "from") and _close(end[-2], _MADE, 3):  # "what is it made of", "mde of"
        return "material"
    return None


@lru_cache(maxsize=65536)
def expected_answer(question: str) -> ExpectedAnswer:
    """What ``question`` asks for (see the module docstring); ``ExpectedAnswer()`` when unsure."""
    pieces = [_words(c) for c in _CLAUSES.split(question.lower())]
    words = [w for piece in pieces for w in piece]
    # the clause that asks: the last one that opens like a question ("There is a cube; what colour is it?")
    clauses = [_strip_fillers(piece) for piece in pieces]
    asked = next((c for c in reversed(clauses) if _head(c)), _strip_fillers(words))
    head = _head(asked)
    if _asks_count(words, head):
        return ExpectedAnswer("count")
    options = _options(words)
    if options:
        return ExpectedAnswer(clevr_answer_type(options[0]), options)
    if head == "aux":
        return ExpectedAnswer("bool")
    attribute = _attribute(asked) or _attribute(words)
    if attribute:
        return ExpectedAnswer(attribute)
    if head == "wh":
        return ExpectedAnswer("shape")  # "what is the big thing?": CLEVR's way of asking for a shape
    # no question word: "More green things than grey ones?", "same material??", "Anything cube-shaped ...?"
    if ({"than"} | _SAME) & set(words) or (asked and asked[0] in ("any", "anything", "something", "there")):
        return ExpectedAnswer("bool")
    return ExpectedAnswer()


@lru_cache(maxsize=256)
def _mask_row(expected: ExpectedAnswer, answers: tuple[str, ...]) -> tuple[bool, ...]:
    row = tuple(expected.allows(a) for a in answers)
    return row if any(row) else (True,) * len(answers)


def answer_mask(questions: list[str], answers: list[str]) -> Tensor:
    """``[B, A]`` booleans: which of ``answers`` each question allows (a row allowing none allows all)."""
    # questions ask for a handful of kinds of answer: one row per kind, picked by index (a row per
    # question from nested tuples cost as much as parsing the questions, measured)
    answers = tuple(answers)
    kinds: dict[ExpectedAnswer, int] = {}
    index = [kinds.setdefault(expected_answer(q), len(kinds)) for q in questions]
    rows = torch.tensor([_mask_row(e, answers) for e in kinds], dtype=torch.bool).reshape(len(kinds), len(answers))
    return rows[torch.tensor(index, dtype=torch.long)]


def restrict_logits(logits: Tensor, mask: Tensor) -> Tensor:
    """``logits`` [B, A] with the answers ``mask`` [B, A] rules out set to ``-inf`` (softmax gives them 0)."""
    return logits.masked_fill(~mask.to(logits.device), float("-inf"))
