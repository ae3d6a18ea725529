"""The words of the CLEVR question parser: its vocabulary, normalising, fillers and what CLEVR cannot express.

``normalise`` lower-cases, splits "non-metal" and "red/blue", expands contractions with or without the
apostrophe ("aren't", "arent" -> "are not"; "what's", "whats" -> "what is"; "r" -> "are"), drops
possessive "'s" ("the ball's colour" -> "the ball colour") and punctuation, rewrites CLEVR's relation
phrases as one token each ("to the left of", "on the left side of", "left of" -> ``@left``; "in front
of", "closer to us than" -> ``@front``; "behind", "farther away than" -> ``@behind``) and corrects a word
outside the grammar's words that is one typo from exactly one of them ("cyllinder", "purlpe", "then" ->
"than"; never into a word of ``NOT_EXPRESSIBLE``). Each token keeps the positions of the question words
(``question.split()``) it comes from, for the word attention of the answer's steps. Value words are
``vqa.vocab.clevr.VALUE_WORDS`` (ball, block, shiny, matte, tiny, gold, grey ...).

``not_expressible`` finds the words naming what CLEVR's scene graphs do not hold (touching, nearest,
between, biggest, tallest, leftmost, middle, shadow, reflection, hidden, stacked, row, distance, height,
...): whole tokens only, after the relation phrases are read, so "big", "bigger than" and "closer to the
camera than" are fine and "biggest" and "closer to the cube" are not. ``strip_fillers`` drops openings and
closings that carry no question ("hey", "just checking", "can you tell me", "in the picture", "at all"),
and ``resolve_ones`` reads "the blue one" and "rubber ones" as the last noun named before them.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..vocab.clevr import CLEVR_VALUES, VALUE_WORDS, one_edit

__all__ = ["Token", "ATTRS", "ATTR_OF", "ATTR_WORDS", "DOMAIN", "NOUNS", "ADJECTIVES", "PLURAL_NOUNS", "GENERIC",
           "HEADS", "RELATIONS", "NOT_EXPRESSIBLE", "normalise", "not_expressible", "strip_fillers", "resolve_ones",
           "by_first_word"]

ATTRS = ("size", "color", "material", "shape")  # CLEVR's order of filters
DOMAIN = {a: frozenset(CLEVR_VALUES[a]) for a in ATTRS}
ATTR_OF = {v: a for a, vs in CLEVR_VALUES.items() for v in vs}

NOUNS = {w: v for w, v in VALUE_WORDS.items() if ATTR_OF[v] == "shape" and w != "can"}  # "can you ...": no
ADJECTIVES = {w: v for w, v in VALUE_WORDS.items() if ATTR_OF[v] != "shape" and w not in ("larger", "bigger",
                                                                                           "smaller", "metals",
                                                                                           "rubbers")}
PLURAL_NOUNS = frozenset(w for w in NOUNS if w.endswith("s")) | {"things", "objects", "items", "ones", "shapes"}
GENERIC = frozenset({"thing", "things", "object", "objects", "item", "items", "one", "ones", "stuff", "shapes"})
HEADS = frozenset(NOUNS) | GENERIC  # the words a noun phrase ends on
ATTR_WORDS = {"color": "color", "colors": "color", "shape": "shape", "shapes": "shape", "material": "material",
               "materials": "material", "size": "size", "sizes": "size"}
RELATIONS = {"@left": "left", "@right": "right", "@front": "front", "@behind": "behind"}
_VIEWER = ("us", "me", "you", "the camera", "the viewer")


def by_first_word(pairs) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """``(phrase, value)`` pairs -> ``{first word: [(words, value), ...]}``, the longest phrase first, so that
    a reader taking the first phrase that matches takes the longest ("i am curious to know", not "i am
    curious")."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, value in sorted(pairs, key=lambda p: -len(p[0].split())):
        words = tuple(phrase.split())
        out.setdefault(words[0], []).append((words, value))
    return out


def _relation_phrases() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """CLEVR's relation phrases ("X <phrase> Y": X is left of / right of / in front of / behind Y), by first
    word, longest first."""
    phrases = []
    for side in ("left", "right"):
        phrases += [(f"{side} of", side)] + [(f"{prep} the {side}{hand}{part} of", side)
                                             for prep in ("to", "on", "at") for hand in ("", " hand")
                                             for part in ("", " side")]
    phrases += [("in front of", "front")] + [(f"{w} to {v} than", "front") for w in ("closer", "nearer")
                                             for v in _VIEWER]
    phrases += [("behind", "behind"), ("in back of", "behind")]
    phrases += [(f"{w}{away}{src} than", "behind") for w in ("farther", "further") for away in ("", " away")
                for src in [""] + [f" from {v}" for v in _VIEWER]]
    return by_first_word(phrases)


_REL_PHRASES = _relation_phrases()
_CONTRACTIONS = {"isnt": "is not", "arent": "are not", "doesnt": "does not", "dont": "do not", "didnt": "did not",
                 "wasnt": "was not", "werent": "were not", "hasnt": "has not", "havent": "have not",
                 "cant": "can not", "cannot": "can not", "wont": "will not", "whats": "what is", "thats": "that is",
                 "theres": "there is", "heres": "here is", "wheres": "where is", "id": "i would", "im": "i am",
                 "r": "are", "u": "you", "colour": "color", "colours": "colors", "coloured": "colored",
                 "teh": "the", "nonmetal": "non metal", "nonmetallic": "non metallic", "nonshiny": "non shiny"}
_IS_AFTER = {"what", "that", "there", "it", "where", "which", "who", "how", "here"}  # "what's" is "what is"

# Words naming what CLEVR's scene graphs do not hold (contact, distance, extremes, order, the image itself)
NOT_EXPRESSIBLE = frozenset({
    "touching", "touch", "touches", "touched", "contact", "nearest", "closest", "farthest", "furthest", "near",
    "nearby", "close", "closer", "nearer", "farther", "further", "next", "beside", "adjacent", "between",
    "biggest", "largest", "smallest", "tiniest", "tallest", "shortest", "highest", "lowest", "leftmost",
    "rightmost", "frontmost", "backmost", "middle", "center", "centre", "central", "corner", "edge", "shadow",
    "shadows", "reflect", "reflects", "reflected", "reflection", "reflections", "reflecting", "mirror", "hidden",
    "hide", "hides", "hiding", "occluded", "occluding", "occludes", "partly", "partially", "covered", "covering",
    "stacked", "stack", "top", "above", "below", "under", "underneath", "beneath", "row", "line", "lined",
    "aligned", "distance", "far", "camera", "height", "tall", "taller", "shorter", "wide", "wider", "width",
    "heavy", "heavier", "weight", "first", "second", "third", "rotated", "facing", "upright", "tilted",
    "transparent", "glass", "wooden", "plastic", "lying", "upside", "sideways", "tipped", "floating",
    "shiniest", "dullest", "brightest", "darkest", "roundest"})
_NOT_EXPRESSIBLE_PHRASES = ("each other", "one another")

_FILLERS_BEFORE = ("hey", "hi", "so", "ok", "okay", "now", "well", "and", "also", "please", "quick question",
                   "question", "just checking", "just wondering", "i wonder", "i am wondering", "i was wondering",
                   "i would like to know", "i want to know", "do you know", "i am curious", "just curious",
                   "i am curious to know", "out of curiosity", "can you tell me", "could you tell me",
                   "would you tell me", "can you please tell me", "could you please tell me", "tell me",
                   "please tell me", "in this picture", "in the picture", "in this image", "in the image",
                   "in this scene", "in the scene", "looking at the scene", "yes or no", "true or false")
_FILLERS_AFTER = ("in this picture", "in the picture", "in this image", "in the image", "in this scene",
                  "in the scene", "in this photo", "in the photo", "at all", "please", "you can see",
                  "that you can see", "can you see", "do you see", "here", "in total", "altogether", "total",
                  "right", "visible", "yes or no", "true or false", "for me")
# real words a typo away from a grammar word, which are not typos of it ("this" is not "thin" or "thus")
_NOT_TYPOS = frozenset({"sides", "shade", "shades", "this", "them", "they", "these", "those", "with", "where", "when",
                        "sized", "look", "looks", "think", "once", "make", "done", "back", "whole", "sort",
                        "share", "shares", "shared", "find", "finds"})
_GRAMMAR_WORDS = frozenset("""
the a an any some only two three all every each both most majority mostly none no not non neither nor either
or and but of that which who is are was were does do did has have had there here it its what how many much
number count total amount which kind type made out from in same as than more fewer less greater larger bigger
higher smaller lower equal equally outnumber outnumbered by together combined plus put altogether numerous
common different differ anything something everything scene picture image photo contain contains include
includes show shows you see can could would will please tell me i know want like wonder wondering am
checking just quick question hey hi so ok okay now well also looking true false yes color colors shape shapes
material materials size sizes colored shaped one ones thing things object objects item items stuff
left right front behind side hand to on at away us viewer big large other except apart besides count
""".split()) | set(VALUE_WORDS) | NOT_EXPRESSIBLE


_CORRECT_TO = _GRAMMAR_WORDS - NOT_EXPRESSIBLE  # a word is never "corrected" into a question CLEVR cannot answer


class Token(NamedTuple):
    """A normalised word; ``words``: the positions, in ``question.split()``, of the words it comes from."""

    text: str
    words: frozenset[int]


@lru_cache(maxsize=8192)
def _split_word(word: str) -> tuple[str, ...]:
    """One whitespace-separated word -> normalised pieces (contractions expanded, typos corrected,
    punctuation dropped)."""
    w = word.lower().replace("\u2019", "'").replace("\u2018", "'")
    out: list[str] = []
    for piece in re.split(r"[-/]+", w):
        piece = piece.strip(".,;:!?\"()[]{}")
        m = re.fullmatch(r"([a-z0-9]+)'([a-z]+)", piece)
        if m:
            stem, tail = m.groups()
            if tail == "t" and stem.endswith("n"):  # isn't, aren't, can't, won't
                stem = {"ca": "can", "wo": "will"}.get(stem[:-1], stem[:-1])
                out += [stem, "not"]
                continue
            out.append(stem)
            if tail == "s" and stem in _IS_AFTER:
                out.append("is")
            elif tail in ("re", "m", "ve", "ll", "d"):
                out.append({"re": "are", "m": "am", "ve": "have", "ll": "will", "d": "would"}[tail])
            continue
        piece = re.sub(r"[^a-z0-9 ]+", "", piece)
        for p in piece.split():
            out += _CONTRACTIONS.get(p, p).split()
    return tuple(_corrected(p) for p in out)


@lru_cache(maxsize=4096)
def _corrected(word: str) -> str:
    """``word``, or the one grammar word a single typo away from it (``vqa.vocab.clevr.one_edit``)."""
    if word in _GRAMMAR_WORDS or len(word) < 4 or word in _NOT_TYPOS or not word.isalpha():
        return word
    near = [g for g in _CORRECT_TO if len(g) >= 4 and one_edit(word, g)]
    return near[0] if len(near) == 1 else word


@lru_cache(maxsize=65536)
def _word_tokens(word: str, k: int) -> tuple[Token, ...]:
    """The tokens of one whitespace-separated word at position ``k`` of the question (tokens are immutable,
    so one tuple serves every question that has this word there)."""
    return tuple(Token(p, frozenset({k})) for p in _split_word(word))


def normalise(question: str) -> list[Token]:
    """The question's tokens: lower case, contractions expanded, typos corrected, relations as one token."""
    tokens = [t for k, w in enumerate(question.split()) for t in _word_tokens(w, k)]
    text = [t.text for t in tokens]
    out: list[Token] = []
    done = 0  # tokens before this are in ``out``
    # every question of ``vqa eval`` passes through here: only the words that can start a relation phrase
    # are looked at, left to right, a phrase's words consumed
    for i in [i for i, x in enumerate(text) if x in _REL_PHRASES]:
        if i < done:
            continue
        for words, relation in _REL_PHRASES[text[i]]:
            end = i + len(words)
            if tuple(text[i:end]) == words:
                out += tokens[done:i]
                out.append(Token(f"@{relation}", frozenset().union(*(t.words for t in tokens[i:end]))))
                done = end
                break
    out += tokens[done:]
    return out


_BEFORE = by_first_word((f, "") for f in _FILLERS_BEFORE)
_AFTER = by_first_word((" ".join(reversed(f.split())), "") for f in _FILLERS_AFTER)  # read from the end


def strip_fillers(tokens: list[Token]) -> list[Token]:
    """Without the openings and closings that carry no question ("hey", "can you tell me", "at all")."""
    text = [t.text for t in tokens]
    start, end = 0, len(text)
    while start < end:
        head = next((len(w) for w, _ in _BEFORE.get(text[start], ()) if tuple(text[start:start + len(w)]) == w
                     and start + len(w) < end), 0)
        back = text[start:end][::-1]
        tail = next((len(w) for w, _ in _AFTER.get(back[0], ()) if tuple(back[:len(w)]) == w
                     and end - len(w) > start + head), 0)
        if not head and not tail:
            return tokens[start:end]
        start, end = start + head, end - tail
    return tokens[start:end]


_NAMED = frozenset(NOUNS) | (GENERIC - {"one", "ones", "stuff"})  # what "one" can stand for
_BEFORE_ONE = frozenset(ADJECTIVES) | {"the", "a", "an"}
_NOT_AFTER_ONE = frozenset(NOUNS) | GENERIC | frozenset(ADJECTIVES)  # "one cube", "one red ...": a number


def resolve_ones(tokens: list[Token]) -> list[Token]:
    """ "one" and "ones" after an adjective or "the" stand for the last noun before them: "is the red cylinder
    bigger than the blue one" (cylinder), "more metal balls than rubber ones" (balls)."""
    if "one" not in (text := [t.text for t in tokens]) and "ones" not in text:
        return tokens
    out, last = [], None
    for k, t in enumerate(tokens):
        after = text[k + 1] if k + 1 < len(text) else ""
        if t.text in ("one", "ones") and last and k and text[k - 1] in _BEFORE_ONE and after not in _NOT_AFTER_ONE:
            singular = NOUNS.get(last) or "thing"
            t = Token(singular + ("s" if t.text == "ones" else ""), t.words)
        elif t.text in _NAMED:
            last = t.text
        out.append(t)
    return out


_ATTR_PLURALS = frozenset({"colors", "shapes", "materials", "sizes"})
_EXPRESSIBILITY_CUES = NOT_EXPRESSIBLE | {"many", "different", "each", "one"}  # what ``not_expressible`` looks for


def _counted_values(tokens: list[Token], k: int) -> str:
    """The attribute word whose values "how many ..." counts from ``k`` on ("different colors", "kinds of
    shapes", "materials"), or "". Bare "shapes" counts objects ("how many shapes are there")."""
    qualified = False
    while k < len(tokens) and tokens[k].text in ("different", "distinct", "kind", "kinds", "type", "types", "sort",
                                                 "sorts", "of"):
        qualified, k = True, k + 1
    word = tokens[k].text if k < len(tokens) else ""
    return word if word in ("colors", "materials", "sizes") or (word == "shapes" and qualified) else ""


def not_expressible(tokens: list[Token]) -> tuple[tuple[str, ...], frozenset[int]]:
    """The words of ``NOT_EXPRESSIBLE`` (and "each other", "one another") among ``tokens``, and where."""
    found, where = [], set()
    for k in [k for k, t in enumerate(tokens) if t.text in _EXPRESSIBILITY_CUES]:  # the only words that can match
        t = tokens[k]
        if t.text == "many" and k and tokens[k - 1].text == "how" and (kinds := _counted_values(tokens, k + 1)):
            found.append(f"how many {kinds}")  # counting values ("how many colors"), not objects
            where |= tokens[k - 1].words | t.words
        elif t.text == "different" and k + 1 < len(tokens) and tokens[k + 1].text in _ATTR_PLURALS and \
                any(x.text in ("all", "every", "each") for x in tokens[:k]):
            found.append(f"all different {tokens[k + 1].text}")  # "are all the objects different colors"
            where |= t.words | tokens[k + 1].words
        elif t.text in ("each", "one") and k + 1 < len(tokens) and f"{t.text} {tokens[k + 1].text}" in \
                _NOT_EXPRESSIBLE_PHRASES:
            found.append(f"{t.text} {tokens[k + 1].text}")
            where |= t.words | tokens[k + 1].words
        elif t.text in NOT_EXPRESSIBLE:
            found.append(t.text)
            where |= t.words
    return tuple(dict.fromkeys(found)), frozenset(where)
