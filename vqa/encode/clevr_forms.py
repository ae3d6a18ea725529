"""The question forms of the CLEVR question parser: whole questions read into ``Reading``s.

Forms, tried in this order on the question without fillers (NP, PRED: ``vqa.encode.clevr_phrases``)::

    count    how many | what number of | count ... NP [are there | you can see ...]
             | how many [of] NP (are | is) PRED | how many NP are there that are PRED | NP, how many are there
    exist    (is | are) there [a | any | at least one] NP | any NP | does the scene contain NP
             | (is | are) there no NP
    query    what ATTR is NP | what is the ATTR of NP | what is NP made of | NP, what ATTR is it
             | NP is what ATTR | how big is NP | what is NP ATTR | what is NP (its shape) ...
    choice   [is | are] NP [a | made of] V1 or [a | made of] V2   (values of one attribute: the options)
    all      (are | is) (all | every | each | both) [of] NP PRED | is everything PRED
             | (is | are) the NPs (all | both) PRED | are [both] NP1 and NP2 [both] PRED
    most     (are | is) (most | the majority | more than half) of NP PRED | are the NPs mostly PRED
    any      (are | is) any [of] NP PRED;    none   (are | is) none of NP PRED
    is       (is | are) the NP PRED            (one object; the NPs, plural: all of them)
    compare  [are there] (more | fewer | less) NP than [there are] NP2
             | is the (number | count) of NP (greater | larger | ... | the same as | equal to) [the number of] NP2
             | are there [just | exactly] as many NP as [there are] NP2 | are there the same number of NP and NP2
             | [do] NP2 outnumber NP2 | are NP outnumbered by NP2 | are NP more common than NP2
             NP2 := NP | NP (and | plus) NP [together | combined | in total]   (no object in both: a sum)
    which    which is there more (fewer) of, NP or NP | are there more NP or [more] NP | which is more common ...
    size     (is | are) NP (bigger | larger | smaller) than NP
    differ   (are | do) NP1 and NP2 (made of | have) different ATTRs
    same-any is NP the same ATTR as any [of the] NP

The forms CLEVR's templates never use are marked on the reading ("quantifier", "comparison", "choice",
"size", "difference", and "predicate" for "is the NP PRED"); the comparisons worded as the templates word
them ("are there more X than Y", "is the number of X greater than the number of Y", "are there the same
number of X and Y") are not.
"""
from __future__ import annotations

from dataclasses import dataclass

from .clevr_phrases import PhraseParser
from .clevr_sets import EVERYTHING, Objects, Phrase, join, meet
from .clevr_words import ATTRS, ATTR_WORDS, by_first_word

__all__ = ["Reading", "QuestionParser"]


@dataclass(frozen=True)
class Reading:
    """One reading of a whole question: its form and the phrases it is about."""

    form: str
    phrases: tuple[Phrase, ...]
    attribute: str | None = None
    options: tuple[str, ...] = ()
    forms: frozenset[str] = frozenset()


_COUNT = ("how many", "what number of", "what is the number of", "what is the total number of", "the number of",
          "number of", "count the number of", "count how many", "count all the", "count all", "count the", "count",
          "what is the count of", "total number of")
_COPULA = ("is", "are")
_MORE = {"more": "greater_than", "fewer": "less_than", "less": "less_than"}
_NUMBER_CMP = {"greater": "greater_than", "larger": "greater_than", "bigger": "greater_than", "more": "greater_than",
               "higher": "greater_than", "less": "less_than", "smaller": "less_than", "fewer": "less_than",
               "lower": "less_than"}
_COMPARISON = frozenset({"comparison"})


def _free(free: bool) -> frozenset[str]:
    """A comparison worded as the templates never do ("than there are", "together", "larger than") is one of the
    extended forms; "are there more X than Y", "is the number of X greater than the number of Y" are not."""
    return _COMPARISON if free else frozenset()

_TOGETHER = ("together", "combined", "put together", "in total", "altogether", "combined together", "")


# "what colour is NP", "what is the colour of NP", "how big is NP", "what is NP" (its shape) ...
_QUERY_OPENINGS = by_first_word(
    [(f.format(w=a), a) for a in ATTRS for f in ("what {w} is", "which {w} is", "what is the {w} of", "what the {w} of",
                                                 "the {w} of", "{w} of", "what {w} does", "what kind of {w} is")]
    + [("how big is", "size"), ("how large is", "size"), ("what is", "shape"), ("what kind of thing is", "shape"),
       ("what kind of object is", "shape")])
# "NP, what colour is it", "NP is which colour", "NP, what is it made of"
_QUERY_ENDINGS = by_first_word(
    [(f.format(w=a), a) for a in ATTRS for f in ("what {w} is it", "what is its {w}", "is what {w}", "is which {w}",
                                                 "is of what {w}", "which {w} is it", "what {w}")]
    + [("what is it made of", "material"), ("is made of what", "material"), ("made of what", "material")])
_CLOSINGS = ("", "is", "have", "has")
_MATERIAL_CLOSINGS = _CLOSINGS + ("made of",)


class QuestionParser(PhraseParser):
    """The question forms (module docstring), each a method yielding ``(Reading, next position)``."""

    def forms(self):
        return (self.count, self.exist, self.query, self.choice, self.quantified, self.is_predicate, self.compare,
                self.which_more, self.bigger, self.different, self.same_as_any)

    def whole(self, i: int) -> list[Reading]:
        """The readings of the first form that reads every token from ``i``."""
        for form in self.forms():
            readings = [r for r, j in form(i) if j == self.n]
            if readings:
                return readings
        return []

    # count: "how many NP [are there]" | "how many [of] NP are PRED" | "how many NP are there that are PRED"
    def count(self, i: int):
        for np, j in self.np(i):  # "the objects that are not red - how many are there?"
            for k in self.any_of(j, "how many are there", "how many of them are there", "how many", "how many are"):
                yield Reading("count", (np,)), k
        for j in self.any_of(i, *_COUNT):
            for np, k in self.np(j):
                for m in self.any_of(k, "", "are there", "is there", "there are", "there is", "are present", "exist",
                                     "do you see", "can you see", "do i see", "can be seen"):
                    yield Reading("count", (np,)), m
                for m in self.any_of(k, "are", "is", "are there that are", "are there which are", "there are that are",
                                     "is there that is"):
                    for pred, p in self.predicate(m):
                        yield Reading("count", (np, pred)), p
            for k in self.any_of(j, "of"):
                for np, m in self.np(k):
                    for p in self.any_of(m, "are", "is"):
                        for pred, q in self.predicate(p):
                            yield Reading("count", (np, pred)), q

    # exist: "(is|are) there [no] NP" | "any NP" | "does the scene contain NP" | "do you see NP"
    def exist(self, i: int):
        for j in self.any_of(i, "is there", "are there", "any", "does the scene contain", "does the scene have",
                             "does the picture contain", "does the image contain", "do you see", "can you see",
                             "is there at least one", "are there any", "is there any"):
            start = j - 1 if self.t[j - 1] == "any" else j
            for np, k in self.np(start):
                yield Reading("exist", (np,)), k
        for j in self.any_of(i, "is there no", "are there no", "is there not any", "are there not any"):
            for np, k in self.np(j):
                yield Reading("not_exist", (np,), forms=frozenset({"negation"})), k

    # query: "what ATTR is NP", "what is the ATTR of NP", "what is NP made of", "NP what ATTR is it" ...
    def query(self, i: int):
        for j, attr in self.table(i, _QUERY_OPENINGS):
            for np, k in self.np(j):
                if np.one:
                    for m in self.any_of(k, *(_MATERIAL_CLOSINGS if attr == "material" else _CLOSINGS)):
                        yield Reading("query", (np,), attr), m
        for j in self.any_of(i, "what is", "what"):
            for np, k in self.np(j):
                if np.one:
                    for m in self.any_of(k, "made of", "made out of", "made from", "is made of"):
                        yield Reading("query", (np,), "material"), m
                    if self.word(j - 1) == "is" and self.word(k) in ("color", "shape", "material", "size"):
                        yield Reading("query", (np,), self.word(k)), k + 1  # "what is the shiny ball's colour"
        for np, j in self.np(i):
            if np.one:
                for k, attr in self.table(j, _QUERY_ENDINGS):
                    yield Reading("query", (np,), attr), k

    # choice: "(is|are) NP V1 or V2" | "NP V1 or V2"
    def choice(self, i: int):
        for j in self.any_of(i, *_COPULA, ""):
            for np, k in self.np(j):
                if np.one:
                    for options, attr, m in self.options(k):
                        yield Reading("choice", (np,), attr, options, frozenset({"choice"})), m

    def options(self, i: int):
        for j in self.any_of(i, "made of", "made out of", "made from", "a", "an", ""):
            if (v := self.value(j, nouns=True)) and self.word(j + 1) == "or":
                for k in self.any_of(j + 2, "made of", "a", "an", ""):
                    if (w := self.value(k, nouns=True)) and w[0] == v[0] and w[1] != v[1]:
                        for m in self.any_of(k + 1, f"in {v[0]}", "colored", ""):
                            yield (v[1], w[1]), v[0], m

    # is: "(is|are) the X PRED": the X is one object (or, plural, all of them are)
    def is_predicate(self, i: int):
        for j in self.any_of(i, *_COPULA):
            for np, k in self.np(j):
                if np.definite:
                    for pred, m in self.predicate(k):
                        if np.one and _only_same(pred.objects):
                            continue  # "is the X the same size as the Y": CLEVR's own comparison
                        form = "is" if np.one else "all"
                        extra = {"predicate"} if np.one else {"quantifier"}
                        yield Reading(form, (np, pred), forms=frozenset(extra)), m

    # all / most / any / none, and "are A and B both PRED"
    def quantified(self, i: int):
        q = frozenset({"quantifier"})
        for quantifier, openings in (("all", ("are all", "is all", "are all of", "is every", "is each", "are each",
                                              "are each of", "is each of", "are both", "are both of",
                                              "is everything")),
                                     ("most", ("are most", "are most of", "is most of", "are the majority of",
                                               "is the majority of", "are the most of", "are more than half of",
                                               "is more than half of", "are over half of")),
                                     ("any", ("are any of", "is any of", "is any", "are any")),
                                     ("none", ("are none of", "is none of"))):
            for j in self.any_of(i, *openings):
                nps = [(Phrase(EVERYTHING, words=self.span(j - 1, j)), j)] if self.t[j - 1] == "everything" \
                    else self.np(j)
                for np, k in nps:
                    for pred, m in self.predicate(k):
                        yield Reading(quantifier, (np, pred), forms=q), m
        for j in self.any_of(i, *_COPULA):
            for np, k in self.np(j):
                if np.definite and np.plural:  # "are the cylinders all big", "are the spheres mostly red"
                    for quantifier, m in (("all", self.at(k, "all")), ("all", self.at(k, "both")),
                                          ("most", self.at(k, "mostly"))):
                        if m is not None:
                            for pred, p in self.predicate(m):
                                yield Reading(quantifier, (np, pred), forms=q), p
            for k in self.any_of(j, "both", ""):
                for a, m in self.anchor(k):
                    if self.word(m) == "and":
                        for b, p in self.anchor(m + 1):
                            for r in self.any_of(p, "both", "") if k == j else (p,):
                                for pred, s in self.predicate(r):
                                    yield Reading("all_of", (a, b, pred), forms=q), s

    # compare counts: "are there more A than B", "is the number of A greater than the number of B", "are there as
    # many A as B", "are there the same number of A and B", "do A outnumber B", "are A more common than B"
    def compare(self, i: int):
        for form in (self._more_than, self._number_of, self._as_many, self._same_number, self._outnumber,
                     self._more_common):
            for reading, j in form(i):
                yield reading, j

    def _more_than(self, i: int):
        for j in self.any_of(i, "are there", "is there", ""):
            word = self.word(j)
            if word in _MORE:
                for a, k in self.np(j + 1):
                    if self.word(k) == "than":
                        for m in self.any_of(k + 1, "there are", "there is", ""):
                            for b, extra, p in self.second(m):
                                free = j == i or m != k + 1 or extra  # verbless, "than there are", "together"
                                yield Reading(_MORE[word], (a, b), forms=_free(free)), p

    def _number_of(self, i: int):
        for j in self.any_of(i, "is the number of", "is the count of", "is the amount of"):
            template = self.word(j - 2) == "number"
            for a, k in self.np(j):
                if self.word(k) in _NUMBER_CMP and self.word(k + 1) == "than":
                    for m in self.any_of(k + 2, "the number of", "the count of", "that of", ""):
                        for b, extra, p in self.second(m):
                            free = not template or self.word(k) not in ("greater", "less") or m == k + 2 or extra
                            yield Reading(_NUMBER_CMP[self.word(k)], (a, b), forms=_free(free)), p
                for m in self.any_of(k, "the same as the number of", "equal to the number of", "equal to that of",
                                     "the same as that of"):
                    for b, extra, p in self.second(m):
                        free = not template or extra or m != self.at(k, "the same as the number of")
                        yield Reading("equal_integer", (a, b), forms=_free(free)), p

    def _as_many(self, i: int):
        for j in self.any_of(i, "are there as many", "is there as many", "are there just as many",
                             "are there exactly as many", "as many"):
            for a, k in self.np(j):
                for m in self.any_of(k, "as there are", "as"):
                    for b, _, p in self.second(m):
                        yield Reading("equal_integer", (a, b), forms=_COMPARISON), p

    def _same_number(self, i: int):
        for j in self.any_of(i, "are there the same number of", "are there an equal number of",
                             "is there the same number of", "is there an equal number of", "are there equally many"):
            for a, k in self.np(j):
                for m in self.any_of(k, "and", "as"):
                    for b, extra, p in self.second(m):
                        free = extra or self.word(m - 1) == "as" or self.word(j - 1) == "many"
                        yield Reading("equal_integer", (a, b), forms=_free(free)), p

    def _outnumber(self, i: int):
        for j in self.any_of(i, "do", "does", "are", "is", ""):
            for a, _, k in self.second(j):
                for verb, cmp in (("outnumber", "greater_than"), ("outnumbers", "greater_than"),
                                  ("outnumbered by", "less_than")):
                    if (m := self.at(k, verb)) is not None and (verb.startswith("outnumbered") == (j == i + 1
                                                                and self.word(i) in ("are", "is"))):
                        for b, _, p in self.second(m):
                            yield Reading(cmp, (a, b), forms=_COMPARISON), p

    def _more_common(self, i: int):
        for j in self.any_of(i, "are", "is"):
            for a, k in self.np(j):
                for m, cmp in ((self.at(k, "more"), "greater_than"), (self.at(k, "less"), "less_than"),
                               (self.at(k, "fewer"), "less_than")):
                    if m is not None and self.word(m) in ("common", "numerous", "frequent") \
                            and self.word(m + 1) == "than":
                        for b, _, p in self.second(m + 2):
                            yield Reading(cmp, (a, b), forms=_COMPARISON), p

    def second(self, i: int):
        """``NP2``: one NP, or "NP and NP together" (their union: a sum when no object is in both)."""
        for b, j in self.np(i):
            yield b, False, j
            if self.word(j) in ("and", "plus"):
                for c, k in self.np(j + 1):
                    if not meet(b.objects, c.objects) and all(not t.links for t in b.objects + c.objects):
                        for m in self.any_of(k, *_TOGETHER):
                            both = Phrase(join(b.objects, c.objects), False, True, b.words | c.words,
                                          b.forms | c.forms)
                            yield both, True, m

    # which: "which is there more of, A or B" | "are there more A or B": the answer names A or B
    def which_more(self, i: int):
        for j in self.any_of(i, "which is there more of", "which are there more of", "which is there fewer of",
                             "which are there fewer of", "which is there less of", "which is more common",
                             "which are more common", "which is more numerous", "which are more numerous",
                             "which is less common", "are there more", "is there more", "are there fewer",
                             "is there less", "more", "fewer"):
            fewer = any(w in self.t[i:j] for w in ("fewer", "less"))
            for a, k in self.np(j):
                for m in self.any_of(k, "or", "or more", "or fewer", "or less"):
                    for b, p in self.np(m):
                        options = _options(a, b)
                        if options:
                            cmp = "less_than" if fewer else "greater_than"
                            yield Reading(cmp, (a, b), options=options, forms=frozenset({"comparison"})), p

    # size: "(is|are) A (bigger|larger|smaller) than B"
    def bigger(self, i: int):
        for j in self.any_of(i, *_COPULA):
            for a, k in self.anchor(j):
                word = self.word(k)
                if word in ("bigger", "larger", "smaller") and self.word(k + 1) == "than":
                    for b, m in self.anchor(k + 2):
                        yield Reading("bigger", (a, b), "small" if word == "smaller" else "large",
                                      forms=frozenset({"size"})), m

    # differ: "are A and B (made of) different ATTRs" | "do A and B have different ATTRs"
    def different(self, i: int):
        for j in self.any_of(i, "are", "do", "does"):
            for a, k in self.anchor(j):
                if self.word(k) != "and":
                    continue
                for b, m in self.anchor(k + 1):
                    for p in self.any_of(m, "made of different", "have different", "of different", "different",
                                         "different in", "have a different", "in different"):
                        attr = ATTR_WORDS.get(self.word(p))
                        if attr:
                            for q in self.any_of(p + 1, "", "from each"):
                                yield Reading("different", (a, b), attr, forms=frozenset({"difference"})), q
                        elif self.t[p - 1] == "different" and self.t[p - 2] == "of":  # "made of different stuff"
                            if self.word(p) in ("stuff", "things", "materials"):
                                yield Reading("different", (a, b), "material", forms=frozenset({"difference"})), p + 1

    # same-any: "is A the same ATTR as any (of the) NP"
    def same_as_any(self, i: int):
        for j in self.any_of(i, "is", "does"):
            for a, k in self.anchor(j):
                for m in self.any_of(k, "the same", "have the same", "share the same", "of the same"):
                    attr = ATTR_WORDS.get(self.word(m))
                    if attr and self.word(m + 1) == "as":
                        for p in self.any_of(m + 2, "any of", "any"):
                            start = p if self.t[p - 1] == "of" else p - 1
                            for np, q in self.np(start):
                                yield Reading("same_any", (a, np), attr, forms=frozenset({"quantifier"})), q


def _only_same(objects: Objects) -> bool:
    return all(not t.constraints and t.links and all(k.kind == "same" for k in t.links) for t in objects)


def _options(a: Phrase, b: Phrase) -> tuple[str, str] | None:
    """The value words that tell two one-term phrases apart ("metal things or rubber things": metal, rubber)."""
    if len(a.objects) != 1 or len(b.objects) != 1 or a.objects[0].links or b.objects[0].links:
        return None
    differ = [attr for attr in ATTRS if a.objects[0].values(attr) != b.objects[0].values(attr)]
    if len(differ) != 1:
        return None
    x, y = a.objects[0].values(differ[0]), b.objects[0].values(differ[0])
    return (next(iter(x)), next(iter(y))) if len(x) == 1 and len(y) == 1 else None
