"""CLEVR programs of the question parser's readings, and the steps the views show.

A set (``vqa.encode.clevr_sets``) becomes filters from ``scene`` (one per value, joined by ``union``, for
an attribute that allows several: "not brown" is the union of the filters of the other seven colours, as
the hand-written sets write it), ``unique`` + ``relate`` / ``same_*`` for links (``intersect`` when a set
is also filtered), and ``union`` of its terms. Quantifiers and comparisons use CLEVR's integer
primitives: "all X are Y" is ``equal_integer(count X, count X∧Y)`` (so is "is the X Y", with X one
object), "most X are Y" ``greater_than(count X∧Y, count X∧¬Y)``, "A bigger than B" ``greater_than(count
large∧A, count large∧B)``, "A and B differ in colour" ``less_than(count(same_color(A) ∩ B), count B)``,
"A has the colour of any X" ``exist(X among same_color(A))``.

The answer is read off the last output (``ParsedQuestion.finish``): "value" (as CLEVR), "not" (yes and no
swapped: "are there no X", "are none of the X Y"), "option" (a comparison's yes/no as one of the two
options named) or "choice" (a queried value, which should be one of the options). A definite singular NP
that no ``unique`` checks is listed in ``ParsedQuestion.definite``: the answerer declines when it is not
one object of the graph. ``ParsedQuestion.stages`` are the steps the views show: one per filter (with its
union), relation, intersection and union of terms, with the question words each came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .clevr_forms import Reading
from .clevr_sets import Objects, Term, negate
from .clevr_words import ATTR_OF

__all__ = ["Stage", "ParsedQuestion", "EXTENDED_FORMS", "compile_reading"]

# the forms the CLEVR templates never use; a question is answered by the rules only if it uses one
# ("rephrased": worded as no template words it, ``vqa.encode.clevr_rephrase``)
EXTENDED_FORMS = frozenset({"negation", "union", "predicate", "quantifier", "comparison", "choice", "size",
                            "difference", "rephrased"})


@dataclass
class Stage:
    """One step of the answer, as the views show it: what it did (``label``), the program node whose
    objects it selected (``node``), the question words it came from, and for a relation the node of
    the object it related to (``anchor``) and the relation."""

    label: str
    node: int
    words: frozenset[int]
    relation: str | None = None
    anchor: int | None = None


@dataclass
class ParsedQuestion:
    """A question read into a program (module docstring).

    Attributes:
        form: the question form ("count", "exist", "query", "choice", "is", "all", "most", ...).
        program: official CLEVR nodes ``{"type", "inputs", "value_inputs"}``, in order.
        stages: the answer's steps (filters, relations, unions), in program order.
        finish: how the last node's output becomes the answer: "value", "not", "option", "choice".
        options: the two values an "option" or "choice" answer names.
        definite: nodes whose object set must hold exactly one object.
        forms: the extended forms used (``EXTENDED_FORMS``); empty for a template-like question.
        answer_type: bool, count, color, shape, material or size.
    """

    question: str
    form: str
    program: list[dict]
    stages: list[Stage]
    finish: str = "value"
    options: tuple[str, ...] = ()
    definite: tuple[int, ...] = ()
    forms: frozenset[str] = frozenset()
    answer_type: str = "bool"

    @property
    def extended(self) -> bool:
        return bool(self.forms & EXTENDED_FORMS)


_RELATION_WORDS = {"left": "left of", "right": "right of", "front": "in front of", "behind": "behind"}


class _Program:
    """Builds a program node by node, with the stages the views show (``Stage``)."""

    def __init__(self, question: str):
        self.words = [re.sub(r"[^\w'-]+", "", w) for w in question.split()]
        self.nodes: list[dict] = []
        self.stages: list[Stage] = []

    def add(self, kind: str, inputs=(), value: str | None = None) -> int:
        self.nodes.append({"type": kind, "inputs": list(inputs), "value_inputs": [value] if value else []})
        return len(self.nodes) - 1

    def text(self, words: frozenset[int]) -> str:
        return " ".join(self.words[k] for k in sorted(words)).lower()

    def stage(self, label: str, node: int, words: frozenset[int], **relation) -> int:
        self.stages.append(Stage(label, node, words, **relation))
        return node

    def count(self, node: int) -> int:
        return self.add("count", [node])

    def union(self, nodes: list[int]) -> int:
        """The union of ``nodes``' objects: ``union`` nodes folded from the left (the node itself for one)."""
        out = nodes[0]
        for k in nodes[1:]:
            out = self.add("union", [out, k])
        return out

    def same(self, attr: str, one: int) -> int:
        """The other objects with the ATTR of object node ``one``, as a stage."""
        return self.stage(f"same {attr}", self.add(f"same_{attr}", [one]), frozenset())

    def objects(self, objects: Objects, base: int | None = None) -> int:
        """The node of ``objects`` (of the objects of node ``base`` when given): the union of its terms."""
        nodes = [self.term(t, base) for t in objects]
        out = self.union(nodes)
        if len(nodes) > 1:
            labels = " | ".join(" ".join(c.describe() for c in t.constraints) or "linked" for t in objects)
            self.stage(f"either: {labels}", out, frozenset().union(*(c.words for t in objects for c in t.constraints)))
        return out

    def term(self, term: Term, base: int | None) -> int:
        cur = base
        for link in term.links:
            anchor = self.add("unique", [self.objects(link.anchor.objects)])
            label = f"{_RELATION_WORDS.get(link.value, link.value)} {self.text(link.anchor.words)}"
            if link.kind == "relate":
                r = self.stage(label, self.add("relate", [anchor], link.value), link.words | link.anchor.words,
                               relation=link.value, anchor=anchor)
            else:
                r = self.stage(f"same {link.value} as {self.text(link.anchor.words)}",
                               self.add(f"same_{link.value}", [anchor]), link.words | link.anchor.words)
            if cur is None:
                cur = r
            else:
                cur = self.stage(f"of those, {label}", self.add("intersect", [cur, r]), link.words)
        if cur is None:
            cur = self.add("scene")
            if not term.constraints:
                self.stage("all objects", cur, frozenset())
        for c in term.constraints:
            cur = self.union([self.add(f"filter_{c.attr}", [cur], v) for v in sorted(c.values)])
            self.stage(c.describe(), cur, c.words)
        return cur


def _count_or_exist(p: _Program, r: Reading):
    """count / exist / not_exist: of NP, or of NP ∧ PRED."""
    x = p.objects(r.phrases[0].objects)
    if len(r.phrases) > 1:
        x = p.objects(r.phrases[1].objects, base=x)
    p.add("count" if r.form == "count" else "exist", [x])
    return ("not" if r.form == "not_exist" else "value"), []


def _query(p: _Program, r: Reading):
    """query / choice: the attribute of the one object NP names."""
    p.add(f"query_{r.attribute}", [p.add("unique", [p.objects(r.phrases[0].objects)])])
    return ("choice" if r.form == "choice" else "value"), []


def _quantified(p: _Program, r: Reading):
    """is / all / all_of / most / any / none: NP (or NP1 ∪ NP2) against PRED."""
    if r.form == "all_of":
        a, b = p.objects(r.phrases[0].objects), p.objects(r.phrases[1].objects)
        definite, x = [a, b], p.add("union", [a, b])
    else:
        x = p.objects(r.phrases[0].objects)
        definite = [x] if r.form == "is" else []
    pred = r.phrases[-1].objects
    if r.form == "most":
        other = negate(pred, frozenset())
        if not other:  # a relation cannot be negated; "most X are anything" says nothing
            return None
        p.add("greater_than", [p.count(p.objects(pred, base=x)), p.count(p.objects(other, base=x))])
    elif r.form in ("any", "none"):
        p.add("exist", [p.objects(pred, base=x)])
        return ("not" if r.form == "none" else "value"), definite
    else:
        n = p.count(x)
        p.add("equal_integer", [n, p.count(p.objects(pred, base=x))])
    return "value", definite


def _compare(p: _Program, r: Reading):
    """greater_than / less_than / equal_integer of two counts; "option" when the question names the two."""
    a = p.count(p.objects(r.phrases[0].objects))
    p.add(r.form, [a, p.count(p.objects(r.phrases[1].objects))])
    return ("option" if r.options else "value"), []


def _bigger(p: _Program, r: Reading):
    """A bigger (smaller) than B: greater_than(count large∧A, count large∧B) (small for smaller)."""
    a, b = p.objects(r.phrases[0].objects), p.objects(r.phrases[1].objects)
    sized = [p.stage(r.attribute, p.add("filter_size", [n], r.attribute), ph.words) for n, ph in zip((a, b), r.phrases)]
    p.add("greater_than", [p.count(sized[0]), p.count(sized[1])])
    return "value", [a, b]


def _different(p: _Program, r: Reading):
    """A and B differ in ATTR: less_than(count(same_ATTR(A) ∩ B), count B)."""
    same = p.same(r.attribute, p.add("unique", [p.objects(r.phrases[0].objects)]))
    b = p.objects(r.phrases[1].objects)
    p.add("less_than", [p.count(p.add("intersect", [same, b])), p.count(b)])
    return "value", [b]


def _same_as_any(p: _Program, r: Reading):
    """A has the ATTR of any NP: exist(NP among same_ATTR(A))."""
    same = p.same(r.attribute, p.add("unique", [p.objects(r.phrases[0].objects)]))
    p.add("exist", [p.objects(r.phrases[1].objects, base=same)])
    return "value", []


_BUILDERS = {"count": _count_or_exist, "exist": _count_or_exist, "not_exist": _count_or_exist, "query": _query,
             "choice": _query, "is": _quantified, "all": _quantified, "all_of": _quantified, "most": _quantified,
             "any": _quantified, "none": _quantified, "greater_than": _compare, "less_than": _compare,
             "equal_integer": _compare, "bigger": _bigger, "different": _different, "same_any": _same_as_any}


def compile_reading(question: str, r: Reading) -> ParsedQuestion | None:
    """The program of one reading (module docstring), or None when CLEVR cannot say it."""
    p = _Program(question)
    built = _BUILDERS[r.form](p, r)
    if built is None:
        return None
    finish, definite = built
    if r.form in ("query", "choice"):
        answer_type = r.attribute
    elif finish == "option":
        answer_type = ATTR_OF[r.options[0]]
    else:
        answer_type = "count" if r.form == "count" else "bool"
    forms = r.forms.union(*(ph.forms for ph in r.phrases))
    return ParsedQuestion(question, r.form, p.nodes, p.stages, finish, r.options, tuple(definite), forms, answer_type)
