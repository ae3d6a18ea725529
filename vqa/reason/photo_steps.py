"""The reasoning steps of a rule-answered photo question, for the views (app, ``vqa attention``).

The rules of ``vqa.reason.photo_rules`` read a question as noun phrases, and a phrase with a
relation as a chain: "the car next to the person" finds the person first, then the cars next to
it. Each link of that chain is one step, in the order the rules compute it:

* a plain phrase X is one step, ``find: X``: attention ``q_i / sum_k q_k`` over the objects, with
  ``q_i`` the rules' membership weights (``PhotoAnswerer.weights``);
* a phrase "X P Y" is Y's steps, then ``X P the Y``: the weights of X restricted to the objects
  related by P to the likeliest Y (to any Y for "a Y", "another Y"), with those relations as the
  step's edges;
* a question about two objects ("is the cup left of the laptop?", "... bigger than ...", "is the dog
  on the couch?") adds a last step over the two chosen objects whose edge is the relation asked about;
* "what is P the X?" adds the objects related by P to the X;
* "what is in the picture?" is one step over every object.

A step's word attention is spread evenly over the question words its phrase is made of (uniform
over all words when none match). These are the rules' own intermediate results, not a trained
model's attention: what the views show is what the answer was computed from.
"""
from __future__ import annotations

import re

from ..answer.prediction import PhotoAnswer, ReasoningStep
from ..encode.photo_phrases import DETERMINERS, RELATIONS, Phrase, normalise, parse_phrase
from ..graph.scene_graph import SceneGraph

__all__ = ["rule_steps", "question_tokens"]

# handlers of questions about two chosen objects, and the predicate their last step shows
_PAIR_FORMS = ("_is_side", "_which_side", "_bigger", "_is_related")
_PRED_WORDS = {"left": "left of", "right": "right of", "bigger": "bigger than", "smaller": "smaller than"}


def question_tokens(question: str) -> list[str]:
    """The question's words as shown in the views (split on spaces)."""
    return question.split() or [""]


def _words(tokens: list[str], text: str) -> list[float]:
    """Even attention over the tokens whose normalised form is a word of ``text``."""
    wanted = set(text.split())
    hit = [float(bool(set(normalise(t).split()) & wanted)) for t in tokens]
    total = sum(hit)
    return [h / total for h in hit] if total else [1.0 / len(tokens)] * len(tokens)


def _normalised(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [w / total for w in weights] if total > 0 else [0.0] * len(weights)


def _phrase_steps(weigh, phrase: Phrase, graph: SceneGraph, tokens: list[str]) -> list[ReasoningStep]:
    """The steps that find ``phrase`` (module docstring); ``weigh(phrase, graph)`` gives the rules' weights."""
    w = weigh(phrase, graph)
    if phrase.anchor is None or phrase.relation is None:
        return [ReasoningStep(f"find: {phrase.text}", _normalised(w), _words(tokens, phrase.text))]
    steps = _phrase_steps(weigh, phrase.anchor, graph, tokens)
    anchor = weigh(phrase.anchor, graph)
    if phrase.any_anchor:  # each object's likeliest related Y
        edges = []
        for i, q in enumerate(w):
            ys = [r.object for r in graph.relations if r.subject == i and r.predicate == phrase.relation]
            if q > 0 and ys:
                edges.append((i, phrase.relation, max(ys, key=anchor.__getitem__), q))
    else:
        j = max(range(len(anchor)), key=anchor.__getitem__) if anchor else None
        edges = [(i, phrase.relation, j, q) for i, q in enumerate(w) if q > 0 and j is not None]
    head = " ".join(x for x in phrase.text.split() if x not in set(phrase.anchor.text.split()) | DETERMINERS)
    steps.append(ReasoningStep(phrase.text, _normalised(w), _words(tokens, head or phrase.text), edges))
    return steps


def _pair_predicate(handler: str, m: re.Match, answer: PhotoAnswer) -> str:
    groups = m.groupdict()
    if handler == "_is_side":
        return groups["side"]
    if handler == "_which_side":
        return answer.answer if answer.answer in ("left", "right") else "left"
    if handler == "_bigger":
        return "smaller" if groups.get("cmp") == "smaller" else "bigger"
    return RELATIONS[groups["rel"]]


def rule_steps(weigh, question: str, handler: str, m: re.Match, phrases: dict[str, Phrase], graph: SceneGraph,
               answer: PhotoAnswer) -> tuple[list[str], list[ReasoningStep]]:
    """``(tokens, steps)`` of a question the rules answered (module docstring).

    Args:
        weigh: ``PhotoAnswerer.weights``.
        handler: the name of the rules' method that answered ("_count", "_is_side", ...).
        m: the question form's match on the normalised question; ``phrases`` its parsed phrases.
        answer: the rules' answer (its ``objects`` are the pair a question about two objects chose).
    """
    tokens = question_tokens(question)
    n = len(graph.objects)
    if handler == "_list":
        return tokens, [ReasoningStep("everything detected", _normalised([1.0] * n), _words(tokens, ""))]
    if m.groupdict().get("a2"):  # "what is the colour of the X"
        phrases = {"a": phrases.get("a") or parse_phrase(m.group("a2"))}
    steps: list[ReasoningStep] = []
    for key in ("a", "b"):
        if key in phrases:
            steps += _phrase_steps(weigh, phrases[key], graph, tokens)
    if handler in _PAIR_FORMS and len(answer.objects) == 2:
        a, b = answer.objects
        pred = _pair_predicate(handler, m, answer)
        both = [0.5 if k in (a, b) else 0.0 for k in range(n)]
        said = " ".join(v for k, v in m.groupdict().items() if k in ("side", "cmp", "rel") and v) or pred
        name = {k: f"the {graph.objects[k].name} ({k})" for k in (a, b)}
        steps.append(ReasoningStep(f"is {name[a]} {_PRED_WORDS.get(pred, pred)} {name[b]}?", both, _words(tokens, said),
                                   [(a, pred, b, 1.0)]))
    elif handler == "_relate" and answer.objects:
        j, found = answer.objects[0], answer.objects[1:]
        pred = RELATIONS[m.group("rel")]
        sel = [1.0 if k in found else 0.0 for k in range(n)]
        steps.append(ReasoningStep(f"what is {_PRED_WORDS.get(pred, pred)} the {graph.objects[j].name} ({j})",
                                   _normalised(sel), _words(tokens, m.group("rel")),
                                   [(i, pred, j, 1.0) for i in found]))
    return tokens, steps

