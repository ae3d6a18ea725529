"""Reading CLEVR questions as people word them into CLEVR programs: ``read_question``.

People ask what CLEVR's templates never do: negation ("How many things are not cylinders?"), joined
values ("how many green or blue cylinders"), quantifiers ("Are all the cylinders big?", "Are both cubes
green?", "Is every sphere rubber?", "Are most of the balls shiny?"), free comparisons ("Do the spheres
outnumber the cubes?", "Are there as many X as Y?", "Which is there more of, X or Y?", "more X than Y and
Z together") and questions about one object ("Is the small cube red?", "Is the ball behind the cube?",
"Is the cylinder metal or rubber?"). ``read_question`` reads them into a program in the official CLEVR
format, which ``vqa.data.executor`` runs on any scene graph, gold or detected. The stages:

1. ``clevr_words``: tokens (contractions, typos, relation phrases); a question with a word CLEVR cannot
   express (touching, nearest, between, biggest, shadow, ...) comes back as ``NotExpressible``, whose
   honest answer is "not sure"; fillers come off;
   ``clevr_rephrase``: free wordings of forms the grammar reads are rewritten into its wording (the last of
   two sentences with its "it" resolved, an exclusion or a relation put first, "is there anything red",
   ...), and the question is marked ``"rephrased"``;
2. ``clevr_phrases`` (noun phrases and predicates, as object sets: ``clevr_sets``) and ``clevr_forms``
   (the question forms): every reading of the whole question;
3. ``clevr_programs``: each reading's program, its steps, and how its last output becomes the answer.

**Confidence.** A question is read only when every word is, and the first form that reads it gives one
program: its readings ("the X left of the Y that is red", with "red" on X or on Y) must agree. The forms
are tried in a fixed order, so "Is the cylinder metal or rubber?" is a choice, not "is it either?".
``ParsedQuestion.forms`` says which forms the templates never use it took; the rule answerer
(``vqa.reason.clevr_rules``) answers only such questions (``ParsedQuestion.extended``), so template
questions stay with the reasoner. ``may_be_extended`` tells cheaply when a question cannot be one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .clevr_forms import QuestionParser
from .clevr_programs import EXTENDED_FORMS, ParsedQuestion, Stage, compile_reading
from .clevr_rephrase import last_sentence, rephrase
from .clevr_words import ADJECTIVES, ATTRS, HEADS, NOUNS, PLURAL_NOUNS, Token, normalise, not_expressible, resolve_ones, strip_fillers

__all__ = ["ParsedQuestion", "Stage", "NotExpressible", "read_question", "may_be_extended", "EXTENDED_FORMS"]


@dataclass
class NotExpressible:
    """A question about something CLEVR's scene graphs do not hold; ``words``: the words that say so."""

    question: str
    words: tuple[str, ...]
    positions: frozenset[int] = field(default_factory=frozenset)

    @property
    def message(self) -> str:
        said = ", ".join(f"'{w}'" for w in self.words)
        return (f"not sure: CLEVR's scene graphs hold each object's colour, size, material and shape and whether it "
                f"is left of, right of, in front of or behind another, nothing about {said}")


# What a reading needs to use an extended form (``EXTENDED_FORMS``), from the rules that set them: a negation
# word; a quantifier; a value after a copula, a conjunction or "made of" ("are red", "that is big and shiny",
# "made of metal"); "or" / "and" between values or shapes ("red or blue", "cubes and spheres", "a ball or a
# cube"); a comparison worded freely ("than there are", "outnumber", "as many", "bigger than", "which ... or",
# "more X or Y", "together"); "is the ..." (one object), "different". CLEVR's own "either X things or Y
# things", "both left of X and behind Y", "more X than Y" and "made of the same material" need none of them.
_EXTENDED_WORDS = frozenset({"non", "not", "neither", "nor", "no", "none", "except", "apart", "besides", "all",
                             "every", "each", "most", "majority", "mostly", "half", "everything", "outnumber",
                             "outnumbers", "outnumbered", "which", "different", "equally", "common", "numerous",
                             "together", "combined", "plus", "altogether"})
_EXTENDED_PAIRS = frozenset({("other", "than"), ("as", "many"), ("than", "there"), ("is", "any"), ("are", "any"),
                             ("as", "any"), ("equal", "to")} | {(w, "than") for w in ("bigger", "larger", "smaller",
                                                                                     "higher", "lower")})
_BEFORE_VALUE = frozenset({"is", "are", "and", "but", "also", "either", "both", "or", "nor", "not", "neither"})
_COMPARING = frozenset({"more", "fewer", "less"})
_MADE = frozenset({("made", "of"), ("out", "of"), ("made", "from")})  # "made of metal", "made out of rubber"


_CUE_HERE = frozenset(ADJECTIVES) | {"or", "and"}  # what may_be_extended's tests need in t[k] ...
_CUE_BEFORE = frozenset(a for a, _ in _EXTENDED_PAIRS) | {"both", "of"}  # ... or else in t[k - 1]


def may_be_extended(tokens: list[Token]) -> bool:
    """False when no reading of ``tokens`` (without fillers) can use an extended form: a cheap test that spares
    the parse of 99 in 100 of CLEVR's template questions. It over-approximates: every rule that sets a
    form of ``EXTENDED_FORMS`` needs one of these words or word pairs (the comment above)."""
    t = [x.text for x in tokens]
    if _EXTENDED_WORDS.intersection(t) or t[0] in _COMPARING or (t[0] in ("is", "are") and t[1:2] in (["the"],
                                                                                                   ["only"])
                                                                  and not _template_comparison(t)):
        return True
    comparing = bool(_COMPARING.intersection(t))
    choice = t[0] not in _NOT_CHOICE  # "is the ball a cube or a cylinder", "the ball: a cube or a cylinder"
    # each test below needs t[k] or t[k - 1] to be one of a few words: only those positions are looked at
    for k in [k for k in range(1, len(t)) if t[k] in _CUE_HERE or t[k - 1] in _CUE_BEFORE]:
        before, a, b, c = t[k - 2] if k > 1 else "", t[k - 1], t[k], t[k + 1] if k + 1 < len(t) else ""
        if (a, b) in _EXTENDED_PAIRS or (b in ADJECTIVES and ((before, a) in _MADE
                                                               or (a in _BEFORE_VALUE and _bare_values(t, k)))):
            return True
        if (before, a, b) == ("made", "of", "the") and c in ADJECTIVES:  # "made of the metal kind"
            return True
        if a == "both" and not b.startswith("@"):  # "both left of X and behind Y" is CLEVR's
            return True
        if b in ("or", "and") and (a in ADJECTIVES or (a in NOUNS and a not in PLURAL_NOUNS and b == "or" and choice)
                                   or (a in PLURAL_NOUNS and c in PLURAL_NOUNS) or (b == "or" and comparing)):
            return True
    return False


_NOUN_PHRASE_STARTS = frozenset(ADJECTIVES) | HEADS | {"only", "two", "non", "either"}  # after "the"
_NOT_CHOICE = frozenset({"what", "how", "which", "count", "do", "does"})  # the choice form starts with a copula or NP
_JOINS = frozenset({"and", "but", "or", "nor", "plus", "both", "also"})
_SAME = {("the", "same", a, "as") for a in ATTRS}
_NUMBER_CMP = (["greater", "than", "the", "number", "of"], ["less", "than", "the", "number", "of"],
               ["the", "same", "as", "the", "number", "of"])


def _bare_values(t: list[str], k: int) -> bool:
    """Whether the values from ``t[k]`` on can be a predicate of bare values ("are red", "is big and shiny",
    "either red or blue"): a predicate ends at the end or before a word that is not a noun, so values followed
    by a noun ("are small things", "either tiny green balls or ...") can only be read as a noun phrase."""
    while k < len(t) and (t[k] in ADJECTIVES or t[k] == "colored"):
        k += 1
    return k == len(t) or t[k] not in HEADS


def _template_comparison(t: list[str]) -> bool:
    """Whether a question starting "is the" / "are the" cannot be read by the forms that need these words for
    an extended reading: "(is | are) the NP PRED" (one object or all of them, a quantifier with "all" or
    "mostly") and the free wordings of "is the number of X greater than Y". True for CLEVR's comparisons:

    - "is the size of X the same as Y": no noun phrase starts "the size";
    - "are X and Y the same size", "are X and Y made of the same material": no predicate ends "same size";
    - "is the X the same ATTR as the Y" (X one object, no "and"/"or"): the "is the X PRED" form skips it;
    - "is the number of X greater than / less than / the same as the number of Y" (the template wording).

    The question can still be extended by any other of ``may_be_extended``'s words."""
    if t[1:2] != ["the"]:
        return False
    if t[-2] == "same" and t[-1] in ATTRS:
        return True
    third = t[2] if len(t) > 2 else ""  # "is the?" has none: no noun phrase either
    if third not in _NOUN_PHRASE_STARTS and third not in ("number", "count", "amount"):
        return True
    if t[0] != "is" or _JOINS.intersection(t):
        return False
    if t[2:4] == ["number", "of"]:
        return sum(t[k:k + len(p)] == p for p in _NUMBER_CMP for k in range(4, len(t))) == 1
    at = [k for k in range(2, len(t) - 3) if tuple(t[k:k + 4]) in _SAME]
    return len(at) == 1 and not PLURAL_NOUNS.intersection(t[2:at[0]])


@lru_cache(maxsize=4096)
def read_question(question: str, extended_only: bool = False) -> ParsedQuestion | NotExpressible | None:
    """``question`` as a program (``ParsedQuestion``), as something CLEVR cannot express
    (``NotExpressible``), or None when the grammar does not read it in exactly one way. With
    ``extended_only``, also None when it reads it without an extended form (``ParsedQuestion.extended``),
    which is quicker to find out (``may_be_extended``).

    Cached by text: treat what it returns as read-only.
    """
    tokens = normalise(question)
    words, where = not_expressible(tokens)
    if words:
        return NotExpressible(question, words, where)
    tokens, joined = last_sentence(tokens, question)
    plain = strip_fillers(tokens)
    stripped = len(plain) < len(tokens)  # no template has fillers
    tokens, rephrased = rephrase(plain)
    rephrased = rephrased or joined or stripped
    if not tokens or len(tokens) > 40 or (extended_only and not rephrased and not may_be_extended(tokens)):
        return None
    tokens = resolve_ones(tokens)
    readings = QuestionParser(tokens).whole(0)
    if extended_only and not rephrased and not any(r.forms.union(*(ph.forms for ph in r.phrases)) & EXTENDED_FORMS
                                                   for r in readings):
        return None
    parses = {}
    for reading in readings:
        parsed = compile_reading(question, reading)
        if parsed is not None:
            if rephrased:
                parsed = replace(parsed, forms=parsed.forms | {"rephrased"})
            key = json.dumps([parsed.program, parsed.finish, parsed.options, parsed.definite])
            parses.setdefault(key, parsed)
    return next(iter(parses.values())) if len(parses) == 1 else None
