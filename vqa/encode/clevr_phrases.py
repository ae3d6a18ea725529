"""The phrases of CLEVR questions as people word them: a backtracking grammar of noun phrases and predicates.

The trained reasoner learned CLEVR's template wording. People also negate ("things that are not
cylinders", "the cube that isn't shiny", "neither cubes nor cylinders", "non-metal"), join values ("green
or blue cylinders", "things that are red or purple") and add relative clauses ("the sphere that's tiny").
``PhraseParser`` reads such phrases over normalised tokens (``vqa.encode.clevr_words``) into object sets
(``vqa.encode.clevr_sets``); ``vqa.encode.clevr_forms`` builds the question forms on it.

Grammar (square brackets: optional; ``|``: or; ``*``: any number)::

    NP    := [the | the only | the two | a | an | any | some] MOD* HEAD POST*
           | anything | something | everything POST*
    MOD   := VALUE [colored] | non VALUE | [either] VALUE (or | and) VALUE ...   (one attribute: a union)
           | SHAPE shaped
    HEAD  := SHAPE | SHAPEs (or | and) SHAPEs ... | thing(s) | object(s) | item(s) | one(s) | stuff | shapes
    POST  := (that | which | who) (is | are) PRED | (that | which) (has | have) the same ATTR as NP
           | made of DISJ | REL NP | (other than | except | apart from | besides | but not) DISJ
    PRED  := [both] NEG ((and | but | and is | and that is ...) NEG)*          a conjunction
    NEG   := not DISJ | neither ATOM (nor ATOM)+ | DISJ
    DISJ  := [either] ATOM (or ATOM)*
    ATOM  := MOD+ [in ATTR] | [a | an] MOD* HEAD | made of [the] MATERIAL | REL NP | the same ATTR as NP

``REL NP`` and ``the same ATTR as NP`` need a definite singular NP ("the cube"): CLEVR relates from one
object. Each rule yields every reading it has, ``(value, next position)``, memoised by position; a
reading that names an impossible object is dropped (``clevr_sets.meet``). A bare value in a predicate
("are red", "that is big", "made of metal") is the form "predicate"; values joined by or/and, "union";
not / non / neither / other than, "negation". "a ball or a cube" and "red things or blue things" after a
copula are CLEVR's own "either X or Y" and are not marked.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Iterator

from .clevr_sets import EVERYTHING, Constraint, Link, Objects, Phrase, Term, join, meet, negate
from .clevr_words import ADJECTIVES, ATTR_OF, ATTR_WORDS, GENERIC, NOUNS, PLURAL_NOUNS, RELATIONS, Token

__all__ = ["PhraseParser"]


@lru_cache(maxsize=1024)
def _words(phrase: str) -> tuple[str, ...]:
    return tuple(phrase.split())


def _memoised(method):
    """Cache a parser method's readings per position (and arguments): NPs and predicates are read again by
    every question form that tries them."""
    def wrapper(self, *args):
        key = (method.__name__, *args)
        if key not in self._memo:
            self._memo[key] = list(method(self, *args))
        return self._memo[key]
    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class PhraseParser:
    """Every reading of a token list (module docstring); methods yield ``(value, next position)``."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.t = tuple(t.text for t in tokens)
        self.n = len(tokens)
        self._np: dict[int, list[tuple[Phrase, int]]] = {}
        self._memo: dict[tuple, list] = {}

    # -- helpers
    def at(self, i: int, phrase: str) -> int | None:
        words = _words(phrase)
        return i + len(words) if self.t[i:i + len(words)] == words else None

    def any_of(self, i: int, *phrases: str) -> Iterator[int]:
        """The end of each of ``phrases`` that starts at ``i`` ("": ``i`` itself)."""
        first = self.t[i] if i < self.n else None
        for p in phrases:
            if p == "":
                yield i
                continue
            words = _words(p)
            if words[0] == first and self.t[i:i + len(words)] == words:
                yield i + len(words)

    def table(self, i: int, phrases: dict[str, list[tuple[tuple[str, ...], str]]]) -> Iterator[tuple[int, str]]:
        """``(end, value)`` of each phrase of ``phrases`` (``by_first_word``) that starts at ``i``."""
        for words, value in phrases.get(self.word(i), ()):
            if self.t[i:i + len(words)] == words:
                yield i + len(words), value

    def span(self, i: int, j: int) -> frozenset[int]:
        return frozenset().union(*(t.words for t in self.tokens[i:j]))

    def word(self, i: int) -> str:
        return self.t[i] if i < self.n else ""

    # -- values
    def value(self, i: int, nouns: bool = False) -> tuple[str, str] | None:
        """``(attribute, value)`` of an adjective (or, with ``nouns``, a shape noun) at ``i``."""
        w = self.word(i)
        v = ADJECTIVES.get(w) or (NOUNS.get(w) if nouns else None)
        return (ATTR_OF[v], v) if v else None

    def constraint(self, i: int, j: int, attr: str, values) -> Term:
        return Term((Constraint(attr, frozenset(values), self.span(i, j)),))

    def modifier(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        """``MOD``: an adjective, "non" adjective, "SHAPE shaped", or values of one attribute joined by or/and."""
        if self.word(i) == "non" and (v := self.value(i + 1)):
            other = negate((self.constraint(i + 1, i + 2, v[0], [v[1]]),), self.span(i, i + 1))
            yield other, frozenset({"negation"}), i + 2
            return
        if (s := NOUNS.get(self.word(i))) and self.word(i + 1) == "shaped":
            yield (self.constraint(i, i + 2, "shape", [s]),), frozenset(), i + 2
            return
        start = i + 1 if self.word(i) == "either" else i
        v = self.value(start)
        if not v:
            return
        j = start + 1
        if self.word(j) == "colored":
            j += 1
        if start == i:
            yield (self.constraint(i, j, v[0], [v[1]]),), frozenset(), j
        values = [v[1]]
        while self.word(j) in ("or", "and") and (w := self.value(j + 1)) and w[0] == v[0] and w[1] not in values:
            values.append(w[1])
            j += 2
            yield (self.constraint(i, j, v[0], values),), frozenset({"union"}), j

    @_memoised
    def modifiers(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        yield EVERYTHING, frozenset(), i
        for objects, forms, j in self.modifier(i):
            for more, forms2, k in self.modifiers(j):
                both = meet(objects, more)
                if both:
                    yield both, forms | forms2, k

    def head(self, i: int) -> Iterator[tuple[Objects, bool, frozenset[str], int]]:
        """``HEAD``: (objects, plural, forms, next); plural shapes may be joined ("cubes or spheres", "cubes
        and spheres": either)."""
        w = self.word(i)
        if w in NOUNS:
            shapes, j = [NOUNS[w]], i + 1
            yield (self.constraint(i, j, "shape", shapes),), w in PLURAL_NOUNS, frozenset(), j
            while w in PLURAL_NOUNS and self.word(j) in ("or", "and") and self.word(j + 1) in PLURAL_NOUNS \
                    and NOUNS.get(self.word(j + 1)) not in shapes + [None]:
                shapes, j = shapes + [NOUNS[self.word(j + 1)]], j + 2
                yield (self.constraint(i, j, "shape", shapes),), True, frozenset({"union"}), j
        elif w in GENERIC:
            yield EVERYTHING, w in PLURAL_NOUNS or w == "stuff", frozenset(), i + 1

    # -- noun phrases
    def np(self, i: int) -> list[tuple[Phrase, int]]:
        if i not in self._np:
            self._np[i] = list(self._np_readings(i))
        return self._np[i]

    def _np_readings(self, i: int) -> Iterator[tuple[Phrase, int]]:
        w = self.word(i)
        if w in ("anything", "something", "everything"):
            yield from self.posts(Phrase(EVERYTHING, False, w == "everything", self.span(i, i + 1)), i, i + 1)
            return
        for det, j in (("the", self.at(i, "the only")), ("the", self.at(i, "only the")), ("two", self.at(i, "the two")),
                       ("the", self.at(i, "the")), ("a", self.at(i, "a")), ("a", self.at(i, "an")),
                       ("any", self.at(i, "any")), ("any", self.at(i, "some")), ("", i)):
            if j is None:
                continue
            for mods, forms, k in self.modifiers(j):
                for head, plural, union, m in self.head(k):
                    objects = meet(mods, head)
                    if objects:
                        phrase = Phrase(objects, det in ("the", "two"), plural or det == "two", self.span(i, m),
                                        forms | union)
                        yield from self.posts(phrase, i, m)
            if det:
                break  # "the" is read as the determiner, not skipped

    def posts(self, phrase: Phrase, start: int, i: int) -> Iterator[tuple[Phrase, int]]:
        """``POST*`` after a head: each reading with as many post-modifiers as can follow."""
        yield phrase, i
        for objects, forms, j in self.post(i):
            both = meet(phrase.objects, objects)
            if both:
                yield from self.posts(replace(phrase, objects=both, words=self.span(start, j),
                                              forms=phrase.forms | forms), start, j)

    @_memoised
    def post(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        for j in self.any_of(i, "that is", "that are", "which is", "which are", "who is", "who are"):
            for pred, k in self.predicate(j):
                yield pred.objects, pred.forms, k
        for j in self.any_of(i, "that has", "that have", "which has", "which have", "with"):
            yield from self.same(j)
        for j in self.any_of(i, "made of", "made out of", "made from"):
            for objects, _, k in self.disjunction(j, True):
                yield objects, frozenset({"predicate"}), k
        if self.word(i) in RELATIONS:
            yield from self.relation(i)
        for j in self.any_of(i, "other than", "except", "except for", "apart from", "besides", "but not"):
            for objects, forms, k in self.disjunction(j):
                other = negate(objects, self.span(i, j))
                if other:
                    yield other, forms | {"negation"}, k

    def anchor(self, i: int) -> Iterator[tuple[Phrase, int]]:
        """A definite singular NP: the one object a relation or "same" starts from."""
        for phrase, j in self.np(i):
            if phrase.one:
                yield phrase, j

    def relation(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        rel = RELATIONS.get(self.word(i))
        if rel:
            for anchor, j in self.anchor(i + 1):
                yield (Term(links=(Link("relate", rel, anchor, self.span(i, i + 1)),)),), anchor.forms, j

    def same(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        j = self.at(i, "the same")
        if j is not None and (attr := ATTR_WORDS.get(self.word(j))) and self.word(j + 1) == "as":
            for anchor, k in self.anchor(j + 2):
                yield (Term(links=(Link("same", attr, anchor, self.span(i, j + 2)),)),), anchor.forms, k

    # -- predicates
    @_memoised
    def predicate(self, i: int) -> Iterator[tuple[Phrase, int]]:
        """``PRED``: a conjunction of (negated) disjunctions of atoms, as a ``Phrase`` (its ``objects``)."""
        start = i + 1 if self.word(i) == "both" else i
        for objects, forms, j in self.negation(start):
            yield Phrase(objects, words=self.span(i, j), forms=forms), j
            yield from self._more_conjuncts(i, objects, forms, j)

    def _more_conjuncts(self, i, objects, forms, j) -> Iterator[tuple[Phrase, int]]:
        for k in self.any_of(j, "and", "but", "and also", "and is", "and are", "and that is", "and that are", "but is"):
            for more, forms2, m in self.negation(k):
                both = meet(objects, more)
                if both:
                    yield Phrase(both, words=self.span(i, m), forms=forms | forms2), m
                    yield from self._more_conjuncts(i, both, forms | forms2, m)

    @_memoised
    def negation(self, i: int) -> Iterator[tuple[Objects, frozenset[str], int]]:
        if self.word(i) == "not":
            for objects, forms, j in self.disjunction(i + 1):
                other = negate(objects, self.span(i, i + 1))
                if other:
                    yield other, forms | {"negation"}, j
        elif self.word(i) == "neither":
            for objects, forms, j in self.atom(i + 1):
                yield from self._nor(i, objects, forms, j)
        else:
            yield from self.disjunction(i)

    def _nor(self, i, objects, forms, j) -> Iterator[tuple[Objects, frozenset[str], int]]:
        if self.word(j) != "nor":
            return
        for more, forms2, k in self.atom(j + 1):
            either = join(objects, more)
            other = negate(either, self.span(i, i + 1) | self.span(j, j + 1))
            if other:
                yield other, forms | forms2 | {"negation", "union"}, k
            yield from self._nor(i, either, forms | forms2, k)

    @_memoised
    def disjunction(self, i: int, values_only: bool = False) -> Iterator[tuple[Objects, frozenset[str], int]]:
        start = i + 1 if self.word(i) == "either" else i
        for objects, forms, j in self.atom(start, values_only):
            if start == i:
                yield objects, forms, j
            yield from self._or(objects, forms, j, values_only)

    def _or(self, objects, forms, j, values_only) -> Iterator[tuple[Objects, frozenset[str], int]]:
        if self.word(j) != "or":
            return
        for more, forms2, k in self.atom(j + 1, values_only):
            either = join(objects, more)
            union = {"union"} if "predicate" in forms | forms2 else set()  # values joined, not whole NPs
            yield either, forms | forms2 | union, k
            yield from self._or(either, forms | forms2 | union, k, values_only)

    @_memoised
    def atom(self, i: int, values_only: bool = False) -> Iterator[tuple[Objects, frozenset[str], int]]:
        """``ATOM``: what an object is (values, a noun), what it is made of, or a relation to one object."""
        pred = frozenset({"predicate"})
        if values_only:  # after "made of": a material ("made of metal", "made of the same ...": no)
            j = self.at(i, "the") or i
            if (v := self.value(j)) and v[0] == "material":
                k = j + 2 if self.word(j + 1) == "material" else j + 1
                yield (self.constraint(i, k, v[0], [v[1]]),), pred, k
            return
        for j in self.any_of(i, "made of", "made out of", "made from"):
            yield from self.atom(j, True)
        if self.word(i) in RELATIONS:
            yield from self.relation(i)
            return
        if self.word(i) == "the":
            yield from self.same(i)
        j = i + 1 if self.word(i) in ("a", "an") else i
        for mods, forms, k in self.modifiers(j):
            named = mods != EVERYTHING
            if named and j == i:  # "red", "big red", "red in colour", "red colored"
                m = k
                if (v := self.value(k - 1)) and self.at(k, f"in {v[0]}") is not None:
                    m = k + 2
                yield mods, forms | pred, m
            for head, _, union, m in self.head(k):
                objects = meet(mods, head)
                if objects and (named or head != EVERYTHING):  # "a ball", "red things": as in CLEVR's "or"
                    yield objects, forms | union, m
