"""Object sets of the CLEVR question parser: what a phrase names, as values per attribute and links.

A set is a union of conjunctions (``Term``): the values each attribute may take (``Constraint``) and
links to single objects (``Link``: ``relate`` for left / right / front / behind, ``same`` for "the same
colour as"). "not X" is the complement within the scene, computed on the values by De Morgan
(``negate``): "not brown" allows the other seven colours, "not metal" rubber, "neither cubes nor
cylinders" spheres, "not red cubes" the objects that are not red or not cubes; a negated link is not
read. ``join`` (or) merges terms that differ in one attribute ("red things or purple things" is one
term, red or purple), ``meet`` (and) intersects and drops the terms no object can satisfy ("a blue
cylinder that is red"). A ``Phrase`` is a set with what the words said about it: definite ("the"),
plural, the question words it spans and the forms it used that CLEVR's templates never do ("negation",
"union", "predicate"), which decide whether the rules or the reasoner answer (``vqa.reason.clevr_rules``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .clevr_words import ATTRS, DOMAIN

__all__ = ["Constraint", "Link", "Term", "Objects", "EVERYTHING", "Phrase", "meet", "join", "negate"]


@dataclass(frozen=True)
class Constraint:
    """The values one attribute may take, and the question words that said so."""

    attr: str
    values: frozenset[str]
    words: frozenset[int] = frozenset()

    def describe(self) -> str:
        """ "large", "green or blue", "not brown" (whichever is shorter)."""
        rest = DOMAIN[self.attr] - self.values
        if len(self.values) > 1 and len(rest) < len(self.values):
            return "not " + " or ".join(sorted(rest))
        return " or ".join(sorted(self.values))


@dataclass(frozen=True)
class Link:
    """Objects tied to one other object: ``relate`` (``value`` left/right/front/behind) or ``same``
    (``value`` the attribute: the other objects with its value)."""

    kind: str
    value: str
    anchor: "Phrase"
    words: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Term:
    """A conjunction: constraints on attributes (at most one each, in ``ATTRS`` order) and links."""

    constraints: tuple[Constraint, ...] = ()
    links: tuple[Link, ...] = ()

    def values(self, attr: str) -> frozenset[str]:
        return next((c.values for c in self.constraints if c.attr == attr), DOMAIN[attr])

    def meet(self, other: "Term") -> "Term | None":
        """Both at once, or None when no object can be both ("a blue cube that is red")."""
        mine = {c.attr: c for c in self.constraints}
        for c in other.constraints:
            if c.attr in mine:
                values = mine[c.attr].values & c.values
                if not values:
                    return None
                c = Constraint(c.attr, values, mine[c.attr].words | c.words)
            mine[c.attr] = c
        links = self.links + tuple(k for k in other.links if k not in self.links)
        return Term(tuple(mine[a] for a in ATTRS if a in mine and mine[a].values != DOMAIN[a]), links)

    def within(self, other: "Term") -> bool:
        """Every object this term allows, ``other`` allows too."""
        return set(other.links) <= set(self.links) and all(self.values(a) <= other.values(a) for a in ATTRS)


Objects = tuple[Term, ...]  # a union of conjunctions
EVERYTHING: Objects = (Term(),)


def _simplify(terms) -> Objects:
    """Without terms that another term already covers."""
    kept: list[Term] = []
    for t in terms:
        if any(t.within(k) for k in kept):
            continue
        kept = [k for k in kept if not k.within(t)] + [t]
    return tuple(kept)


def meet(a: Objects, b: Objects) -> Objects:
    return _simplify(m for x in a for y in b if (m := x.meet(y)) is not None)


def _merged(x: Term, y: Term) -> Term | None:
    """One term for two that differ in one attribute's values only ("red things or purple things")."""
    if set(x.links) != set(y.links):
        return None
    differ = [a for a in ATTRS if x.values(a) != y.values(a)]
    if len(differ) != 1:
        return None
    cx = next((c for c in x.constraints if c.attr == differ[0]), None)
    cy = next((c for c in y.constraints if c.attr == differ[0]), None)
    if cx is None or cy is None:
        return None  # one of them allows every value: _simplify keeps it alone
    both = Constraint(cx.attr, cx.values | cy.values, cx.words | cy.words)
    return Term(tuple(both if c.attr == both.attr else c for c in x.constraints if both.values != DOMAIN[c.attr]
                      or c.attr != both.attr), x.links)


def join(a: Objects, b: Objects) -> Objects:
    """Either: the union, with terms that differ in one attribute merged into one."""
    terms = list(_simplify(a + b))
    merged = True
    while merged:
        merged = False
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                m = _merged(terms[i], terms[j])
                if m is not None:
                    terms[i:j + 1] = [m] + terms[i + 1:j]
                    merged = True
                    break
            if merged:
                break
    return _simplify(terms)


def negate(a: Objects, words: frozenset[int]) -> Objects | None:
    """The other objects of the scene (De Morgan over the values), or None when ``a`` has links."""
    if any(t.links for t in a):
        return None
    out = EVERYTHING
    for t in a:
        alternatives = tuple(Term((Constraint(c.attr, DOMAIN[c.attr] - c.values, c.words | words),))
                             for c in t.constraints)
        out = meet(out, alternatives)
    return out


@dataclass(frozen=True)
class Phrase:
    """What an NP (or a predicate) names: its objects, whether it is definite ("the") and plural, the
    question words it spans and the extended forms it used."""

    objects: Objects
    definite: bool = False
    plural: bool = False
    words: frozenset[int] = frozenset()
    forms: frozenset[str] = frozenset()

    @property
    def one(self) -> bool:
        """ "the X", singular: names one object of the scene."""
        return self.definite and not self.plural
