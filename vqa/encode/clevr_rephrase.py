"""Free wordings rewritten into the grammar's wording before a question is parsed.

``read_question`` parses what ``clevr_phrases`` and ``clevr_forms`` describe. People also ask in ways
that mean one of those forms but are worded otherwise; each rule below rewrites one such way, on the
normalised tokens (which keep the positions of the question's words, so the word attention of the
answer's steps still points at what was asked):

==========================================  ===============================================================
asked                                       read as
==========================================  ===============================================================
"Can you see the X? What color is it?"      "what color is the X" (the last sentence, "it" / "its" / "they"
                                            / "them" standing for the object the sentence before names;
                                            "to its left" is "left of it")
"... how many things in this scene are ..." "... how many things are ..." ("in / on this / the scene /
                                            picture / image / photo" anywhere, not only at the ends)
"Besides the blue ones, how many X ..."     "how many X besides blue ones ..." (an exclusion put first or
"how many X are there besides the blue      last: besides, apart from, aside from, except, except for,
ones"                                       other than, excluding, not counting)
"how many X except the red ones"            "how many X except red ones"
"is there anything red"                     "is there a red thing" (also "something")
"could you count the X (for me)"            "count the X" (also marked when it starts with "count")
"In front of the red cube, is there a ..."  "is there a ... in front of the red cube" (a relation put
                                            first moves after the noun asked about)
"how many X have a color other than red"    "how many X are not red" (any attribute; "has" -> "is"; also
                                            "are some colour other than red")
"does the ball have a matte surface"        "is the ball matte" (also "made of a rubbery material")
"Out of all these things, how many are      "how many things are metal"
metal?"
"is X a cube, a ball or a cylinder"         "what shape is X" (every shape offered)
"more X behind the cube than in front of    "more X behind the cube than X in front of the cube"
it"
==========================================  ===============================================================

A question that needed one of them, or had fillers stripped ("I was wondering, ..."), is worded as no
template words it, so the rules answer it (``ParsedQuestion.forms`` gets ``"rephrased"``, one of
``EXTENDED_FORMS``) rather than the reasoner, which reads the question's own words.
"""
from __future__ import annotations

from .clevr_words import ADJECTIVES, ATTR_OF, ATTR_WORDS, HEADS, NOUNS, RELATIONS, Token, by_first_word

__all__ = ["last_sentence", "rephrase"]

_PRONOUNS = frozenset({"it", "its", "they", "them"})
# how a sentence that only points at an object starts: "can you see the X?", "there is a X.", "look at the X."
_POINTING = by_first_word((p, "") for p in (
    "can you see", "could you see", "do you see", "can you find", "could you find", "can you spot", "do you notice",
    "you see", "see", "find", "look at", "consider", "focus on", "there is", "there are", "there is only one",
    "i see", "i am looking at", "take", "take a look at"))
_PLACES = frozenset({"scene", "picture", "image", "photo", "pic"})
_QUALITIES = frozenset({"surface", "finish", "texture", "material", "look", "color", "colour", "size", "shape"})
_EXCLUDING = by_first_word((p, "") for p in ("besides", "apart from", "aside from", "except", "except for",
                                             "other than", "excluding", "not counting"))
_QUESTION_STARTS = frozenset({"how", "what", "is", "are", "do", "does", "which", "count"})
_SHAPES = frozenset(v for v, a in ATTR_OF.items() if a == "shape")
_ASKING = (("can", "you"), ("could", "you"), ("would", "you"), ("will", "you"), ("please",))


def last_sentence(tokens: list[Token], question: str) -> tuple[list[Token], bool]:
    """The question's last sentence, a pronoun in it replaced by the object the sentence before names
    ("Can you see the small cube? What color is it?"); the tokens unchanged for a one-sentence question.
    Sentences end at a word ending in "?", "." or "!"."""
    body = question.rstrip(" \t\n?.!\"')")
    if "?" not in body and "." not in body and "!" not in body:  # one sentence: most questions, found quickly
        return tokens, False
    words = question.split()
    ends = {k for k, w in enumerate(words[:-1]) if w.rstrip("\"')").endswith(("?", ".", "!"))}
    if not ends or len(tokens) < 3:
        return tokens, False
    cut = max(ends)
    before = [t for t in tokens if max(t.words) <= cut]
    last = [t for t in tokens if min(t.words) > cut]
    if not before or not last:
        return tokens, False
    last = _its_side(last)
    text = [t.text for t in before]
    start = _phrase_at(_POINTING, text, 0)
    refer = [k for k, t in enumerate(last) if t.text in _PRONOUNS]
    if not start or len(refer) != 1 or start >= len(before):
        return tokens, False
    named, k = before[start:], refer[0]  # "what is its color" becomes "what is the X color": the X's colour
    if named[0].text in ("a", "an"):  # "there is a cube. what color is it": the cube
        named = [Token("the", named[0].words)] + named[1:]
    return last[:k] + named + last[k + 1:], True


def _its_side(tokens: list[Token]) -> list[Token]:
    """ "to its left" / "on its right side" -> "left of it" (the relation, then the pronoun)."""
    t = _text(tokens)
    for k in range(len(t) - 2):
        if t[k] in ("to", "on", "at") and t[k + 1] == "its" and t[k + 2] in ("left", "right"):
            end = k + 3 + (t[k + 3:k + 4] == ["hand"])
            end += t[end:end + 1] == ["side"]
            return tokens[:k] + [Token(f"@{t[k + 2]}", tokens[k + 2].words), Token("it", tokens[k + 1].words)] + tokens[end:]
    return tokens


def rephrase(tokens: list[Token]) -> tuple[list[Token], bool]:
    """``tokens`` rewritten by the rules of the module docstring, and whether any applied. Each rule runs
    only when its words are there: every question of ``vqa eval`` passes through here."""
    if not tokens:
        return tokens, False
    words, first = {t.text for t in tokens}, tokens[0].text
    if words.isdisjoint(_TRIGGERS) and first not in RELATIONS:
        return tokens, False
    before = tokens
    for rule, needs in _RULES:
        if needs(words, first):
            tokens = rule(tokens)
    return tokens, tokens is not before


def _text(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens]


def _phrase_at(phrases: dict, t: list[str], k: int) -> int:
    """The length of the longest phrase of ``phrases`` (``by_first_word``) that starts at ``t[k]``, or 0."""
    return next((len(w) for w, _ in phrases.get(t[k], ()) if tuple(t[k:k + len(w)]) == w), 0) if k < len(t) else 0


def _drop_places(tokens: list[Token]) -> list[Token]:
    t = _text(tokens)
    at = [k for k in range(len(t) - 2) if t[k] in ("in", "on") and t[k + 1] in ("this", "the")
          and t[k + 2] in _PLACES]
    if not at:
        return tokens
    drop = {k + d for k in at for d in range(3)}
    return [x for k, x in enumerate(tokens) if k not in drop]


def _asking_to_count(tokens: list[Token]) -> list[Token]:
    """ "(Can you) count the X (for me)": no template starts so, so the rules answer it."""
    t = _text(tokens)
    start = next((len(a) + (t[len(a):len(a) + 1] == ["please"]) for a in _ASKING if tuple(t[:len(a)]) == a), 0)
    if t[start:start + 1] != ["count"]:
        return tokens
    end = len(t) - 2 if t[-2:] == ["for", "me"] else len(t)
    return tokens[start:end] if (start, end) != (0, len(t)) else list(tokens)  # a new list: rephrased


def _excluding_first(tokens: list[Token]) -> list[Token]:
    """An exclusion put first ("besides the red ones, how many cubes ...") or last ("how many cubes are there
    except the red ones") moves after the noun the question counts or asks about."""
    t = _text(tokens)
    n = _phrase_at(_EXCLUDING, t, 0)
    if n:
        q = next((k for k in range(n + 1, len(t)) if t[k] in _QUESTION_STARTS), None)
        head = None if q is None else next((k for k in range(q, len(t)) if t[k] in HEADS), None)
        if head is None:
            return tokens
        return tokens[q:head + 1] + tokens[:q] + tokens[head + 1:]
    head = next((k for k in range(len(t)) if t[k] in HEADS), None)
    for e in range(len(t) - 1, head + 1 if head is not None else len(t), -1):
        n = _phrase_at(_EXCLUDING, t, e)
        if n and all(w in ADJECTIVES or w in HEADS or w == "the" for w in t[e + n:]):
            return tokens[:head + 1] + tokens[e:] + tokens[head + 1:e]
    return tokens


def _relation_first(tokens: list[Token]) -> list[Token]:
    """ "Behind the green cube, how many cylinders are there": the relation moves after the noun the question
    counts or asks about ("how many cylinders behind the green cube are there")."""
    t = _text(tokens)
    q = next((k for k in range(2, len(t)) if t[k] in _QUESTION_STARTS), None)
    if q is None or t[1] != "the" or not any(w in HEADS for w in t[2:q]):
        return tokens
    head = next((k for k in range(q, len(t)) if t[k] in HEADS), None)
    if head is None:
        return tokens
    return tokens[q:head + 1] + tokens[:q] + tokens[head + 1:]


def _than_it(tokens: list[Token]) -> list[Token]:
    """ "more X behind the cube than in front of it": the second group is X too, related to the same object
    ("more X behind the cube than X in front of the cube")."""
    t = _text(tokens)
    if t[-1] != "it" or len(t) < 8 or t[-2] not in RELATIONS:
        return tokens
    m = next((k for k, w in enumerate(t) if w in ("more", "fewer", "less")), None)
    head = None if m is None else next((k for k in range(m + 1, len(t)) if t[k] in HEADS), None)
    c = len(t) - 3
    if head is None or t[c] != "than" or t[head + 1] not in RELATIONS or t[head + 2] != "the":
        return tokens
    return tokens[:c + 1] + [tokens[head], tokens[-2]] + tokens[head + 2:c]


def _excluding_the(tokens: list[Token]) -> list[Token]:
    """ "except the red ones": the exclusion names values, not one object."""
    t = _text(tokens)
    ends = ((k, k + _phrase_at(_EXCLUDING, t, k)) for k in range(len(t)))
    drop = {e for k, e in ends if e > k and t[e:e + 1] == ["the"] and e + 1 < len(t) and t[e + 1] in ADJECTIVES}
    return [x for k, x in enumerate(tokens) if k not in drop] if drop else tokens


def _anything_value(tokens: list[Token]) -> list[Token]:
    t = _text(tokens)
    for k, w in enumerate(t):
        if w in ("anything", "something") and k + 1 < len(t) and t[k + 1] in ADJECTIVES:
            end = k + 1
            while end < len(t) and t[end] in ADJECTIVES:
                end += 1
            if end < len(t) and t[end] in HEADS:
                return tokens  # "anything red cube": not this
            word = tokens[k].words
            return tokens[:k] + [Token("a", word)] + tokens[k + 1:end] + [Token("thing", word)] + tokens[end:]
    return tokens


def _other_than_value(tokens: list[Token]) -> list[Token]:
    """ "have a color other than red", "are some colour other than red" -> "are not red"."""
    t = _text(tokens)
    for k in range(len(t) - 4):
        if t[k] not in ("have", "has", "are", "is"):
            continue
        a = k + 1 + (t[k + 1] in ("a", "an", "any", "some"))
        if a + 3 < len(t) and ATTR_WORDS.get(t[a]) and t[a + 1:a + 3] in (["other", "than"], ["different", "from"]) \
                and t[a + 3] in ADJECTIVES and ATTR_OF.get(ADJECTIVES[t[a + 3]]) == ATTR_WORDS[t[a]]:
            is_ = Token("are" if t[k] in ("have", "are") else "is", tokens[k].words)
            return tokens[:k] + [is_, Token("not", tokens[a + 1].words)] + tokens[a + 3:]
    return tokens


def _value_as_a_noun(tokens: list[Token]) -> list[Token]:
    """ "have a matte surface" -> "are matte"; "made of a rubbery material" -> "made of rubbery"."""
    t = _text(tokens)
    for k in range(len(t) - 3):
        if t[k + 1] in ("a", "an") and t[k + 2] in ADJECTIVES and t[k + 3] in _QUALITIES:
            if t[k] in ("have", "has") and t[0] in ("does", "do"):  # "does X have a matte surface": "is X matte"
                is_ = Token("is" if t[0] == "does" else "are", tokens[0].words)
                return [is_] + tokens[1:k] + [tokens[k + 2]] + tokens[k + 4:]
            if t[k] in ("have", "has"):
                is_ = Token("are" if t[k] == "have" else "is", tokens[k].words)
                return tokens[:k] + [is_, tokens[k + 2]] + tokens[k + 4:]
            if t[k] == "of" and k and t[k - 1] in ("made", "out"):
                return tokens[:k + 1] + [tokens[k + 2]] + tokens[k + 4:]
    return tokens


def _out_of_all(tokens: list[Token]) -> list[Token]:
    """ "Out of all these things, how many are metal?" -> "how many things are metal"."""
    t = _text(tokens)
    if t[:2] != ["out", "of"]:
        return tokens
    k = 2 + (t[2:3] == ["all"])
    k += t[k:k + 1] in (["these"], ["the"], ["those"])
    if k + 3 < len(t) and t[k] in HEADS and t[k + 1:k + 3] == ["how", "many"] \
            and t[k + 3] in ("are", "is"):
        return tokens[k + 1:k + 3] + [tokens[k]] + tokens[k + 3:]
    return tokens


def _every_shape(tokens: list[Token]) -> list[Token]:
    """ "is X a cube, a ball or a cylinder": every shape offered is asking for the shape."""
    t = _text(tokens)
    if len(t) < 6 or t[0] not in ("is", "are") or "or" not in t:
        return tokens
    j = len(t)
    while j > 1 and (t[j - 1] in ("a", "an", "or") or NOUNS.get(t[j - 1]) in _SHAPES):
        j -= 1
    j = next((k for k in range(j, len(t)) if t[k] in ("a", "an")), j)  # the options start at an article
    offered = {NOUNS[w] for w in t[j:] if w in NOUNS}
    if j < 3 or offered != _SHAPES or "or" not in t[j:]:
        return tokens
    first = tokens[j].words
    return [Token("what", first), Token("shape", first), tokens[0]] + tokens[1:j]


_EXCLUDING_WORDS = frozenset({"besides", "apart", "aside", "except", "excluding", "counting"})


def _excluding(words: set[str], first: str) -> bool:
    """Whether ``words`` may hold an exclusion ("besides", "apart from", "other than", ...)."""
    return not _EXCLUDING_WORDS.isdisjoint(words) or ("other" in words and "than" in words)


_RULES = (
    (_drop_places, lambda w, f: not _PLACES.isdisjoint(w)),
    (_asking_to_count, lambda w, f: "count" in w),
    (_relation_first, lambda w, f: f in RELATIONS),
    (_other_than_value, lambda w, f: ("other" in w or "different" in w)),
    (_value_as_a_noun, lambda w, f: not _QUALITIES.isdisjoint(w)),
    (_out_of_all, lambda w, f: f == "out"),
    (_excluding_first, _excluding),
    (_excluding_the, _excluding),
    (_anything_value, lambda w, f: "anything" in w or "something" in w),
    (_than_it, lambda w, f: "it" in w and "than" in w),
    (_every_shape, lambda w, f: f in ("is", "are") and "or" in w),
)
# a word every rule but the relation put first needs one of (an exclusion's first word is among them)
_TRIGGERS = _PLACES | _EXCLUDING_WORDS | _QUALITIES | {"count", "other", "anything", "something", "different", "or",
                                                       "it", "out"}
