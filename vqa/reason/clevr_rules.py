"""CLEVR questions answered by rules: the question parser's program, run by the CLEVR executor.

The trained reasoner answers the wording of CLEVR's templates (and rewordings of it) well, and
negation, joined values, quantifiers and free comparisons badly: it never saw them. The question
parser (``vqa.encode.clevr_questions.read_question``) reads those forms into official CLEVR programs;
``ClevrRules`` answers a question with its program when

* the parser reads the question in exactly one way, every word accounted for, and
* the reading uses a form the templates never use (``ParsedQuestion.extended``): template questions
  stay with the reasoner, so its answers on them do not change;
* the program runs on the graph (``vqa.data.executor``) and each definite singular phrase ("the
  cube") names one object there. Otherwise the reasoner answers, as before.

A question about what CLEVR's scene graphs do not hold (touching, nearest, between, biggest, shadows,
...: ``NotExpressible``) gets "not sure", whatever its form. So does "which is there more of, X or Y"
when there are as many of each.

The answer's steps (``ReasoningStep``) are the program's intermediate object sets, one per stage of
the parse (``ParsedQuestion.stages``: a filter, with the union of its values; a relation, with the
edges it followed from the one object it relates to; a union of alternatives): attention spread evenly
over the objects the stage selected and over the question words it came from. They are what the
answer was computed from, not a trained model's attention.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ..answer.expected import expected_answer
from ..answer.prediction import ReasoningStep
from ..data.executor import ProgramError, SceneIndex, answer_to_str, execute_program
from ..encode.clevr_questions import NotExpressible, ParsedQuestion, read_question
from ..graph.scene_graph import SceneGraph
from .photo_steps import question_tokens

__all__ = ["ClevrRules", "RuleAnswer", "rule_steps"]


@dataclass
class RuleAnswer:
    """A CLEVR question the rules took.

    Attributes:
        question: as asked.
        answer: the answer ("3", "yes", "metal"), or "not sure".
        answer_type: bool, count, color, shape, material or size (what the question asks for).
        message: the answer as a sentence (for "not sure": why).
        not_sure: the rules decline to answer (not expressible, or a tie between the options).
        tokens: the question's words (``question.split()``), which the steps' ``words`` attend over.
        steps: the program's stages on this graph; empty when nothing was computed.
        program: the program run (official CLEVR nodes); empty when none.
    """

    question: str
    answer: str
    answer_type: str
    message: str
    not_sure: bool = False
    tokens: list[str] = field(default_factory=list)
    steps: list[ReasoningStep] = field(default_factory=list)
    program: list[dict] = field(default_factory=list)


def _even(selected: list[int], n: int) -> list[float]:
    return [1.0 / len(selected) if k in selected else 0.0 for k in range(n)]


def _word_attention(words: frozenset[int], n: int) -> list[float]:
    hit = [k for k in range(n) if k in words]
    return _even(hit, n) if hit else [1.0 / n] * n


def rule_steps(parsed: ParsedQuestion, outputs: list, n: int, tokens: list[str]) -> list[ReasoningStep]:
    """One ``ReasoningStep`` per stage of ``parsed`` (module docstring), from the executor's ``outputs``."""
    steps = []
    for stage in parsed.stages:
        selected = outputs[stage.node]
        selected = [selected] if isinstance(selected, int) else list(selected)
        edges = []
        if stage.relation and stage.anchor is not None and selected:
            j = outputs[stage.anchor]
            edges = [(i, stage.relation, j, 1.0 / len(selected)) for i in selected]
        steps.append(ReasoningStep(stage.label, _even(selected, n), _word_attention(stage.words, len(tokens)), edges))
    return steps


class ClevrRules:
    """``rules(question, graph) -> RuleAnswer | None``: the rules' answer, or None for the reasoner.

    Scene lookups (``SceneIndex``) are cached for the last ``cache_size`` graphs, by identity: treat a
    graph as read-only once asked about.
    """

    def __init__(self, cache_size: int = 16):
        self.cache_size = cache_size
        self._index: OrderedDict[int, tuple[SceneGraph, SceneIndex]] = OrderedDict()

    def index(self, graph: SceneGraph) -> SceneIndex:
        hit = self._index.get(id(graph))
        if hit is None or hit[0] is not graph:
            hit = self._index[id(graph)] = (graph, SceneIndex.of(graph))
            while len(self._index) > self.cache_size:
                self._index.popitem(last=False)
        self._index.move_to_end(id(graph))
        return hit[1]

    def __call__(self, question: str, graph: SceneGraph) -> RuleAnswer | None:
        parsed = read_question(question, extended_only=True)
        tokens = question_tokens(question)
        if isinstance(parsed, NotExpressible):
            return RuleAnswer(question, "not sure", _asked_type(question), parsed.message, True, tokens)
        if parsed is None or not parsed.extended:
            return None
        try:
            outputs = execute_program(parsed.program, self.index(graph))
        except ProgramError:  # "the cube" where the graph has none or several
            return None
        if any(len(outputs[k]) != 1 for k in parsed.definite):
            return None
        steps = rule_steps(parsed, outputs, len(graph.objects), tokens)
        answer, message, not_sure = _finish(parsed, outputs)
        return RuleAnswer(question, answer, parsed.answer_type, message, not_sure, tokens, steps, parsed.program)


def _finish(parsed: ParsedQuestion, outputs: list) -> tuple[str, str, bool]:
    """``(answer, message, not sure)`` from the last output (``ParsedQuestion.finish``)."""
    value = outputs[-1]
    if parsed.finish == "not":
        value = not value
    elif parsed.finish == "option":
        a, b = (outputs[k] for k in parsed.program[-1]["inputs"])
        if a == b:
            x, y = parsed.options
            return "not sure", f"not sure: there are as many {x} as {y} objects ({a} each)", True
        value = parsed.options[0] if value else parsed.options[1]
    answer = answer_to_str(value)
    if parsed.finish == "choice" and answer not in parsed.options:
        return answer, f"{answer} (neither {' nor '.join(parsed.options)}; computed from the scene graph)", False
    return answer, f"{answer} (computed from the scene graph by the question's program)", False


def _asked_type(question: str) -> str:
    return expected_answer(question).answer_type or "bool"
