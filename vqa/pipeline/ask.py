"""The question-answering pipeline over scene graphs, shared by the CLI, the app and notebooks.

Two kinds of graph reach it. CLEVR graphs (gold, or from the ``clevr`` detector) go to the trained
reasoner, except the questions the CLEVR rules take (``vqa.reason.clevr_rules.ClevrRules``: negation,
values joined by "or", quantifiers, free comparisons and questions about one object that the templates
never ask, read into a CLEVR program and run on the graph; "not sure" for what CLEVR cannot express).
Photo graphs (``detections_to_box_graph``, marked ``extra["relations"] == "boxes"``) never do: the reasoner's vocabulary is CLEVR's, so it would answer "cylinder" about a cat. They go
to the photo answerer (``vqa.reason.photo_answerer.default_photo_answerer``: the rules of
``vqa.reason.photo_rules.PhotoAnswerer`` where they parse the question, the trained photo reasoner for
familiar rewordings), which answers from what the graph contains or says why it cannot (out of
vocabulary, not found, not sure).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..answer.calibration import NOT_SURE_ANSWER, calibration_for
from ..answer.prediction import (EMPTY_GRAPH, NO_IMAGE, NOT_EXPRESSIBLE, NOT_SURE, PARSED, PHOTO_GRAPH,
                                 ParsedPrediction, PhotoPrediction, Prediction, ReasoningStep, clevr_predictions)
from ..device import resolve_device
from ..encode.encoder import token_strings, tokenize
from ..graph.box_relations import is_photo_graph
from ..graph.scene_graph import SceneGraph
from ..graph.tensors import collate_graphs, scene_to_tensors
from ..reason.clevr_rules import ClevrRules, RuleAnswer
from ..reason.exported import ExportedReasoner
from ..reason.photo_answerer import default_photo_answerer
from ..reason.photo_rules import PhotoAnswerer
from ..reason.reasoner import DEFAULT_WEIGHTS, Reasoner, ReasonerOutput
from ..weights import stored_sha256

__all__ = ["Explanation", "GraphQA", "PhotoPrediction", "PHOTO_GRAPH", "describe_steps"]

@dataclass
class Explanation:
    """A prediction with the attention that produced it, cut to this question's tokens and objects.

    Shapes (T steps, L tokens, N objects, E edges of this graph):
        word_attn [T, L] (rows sum to 1); node_attn [T, N] (a row sums to 1 when the step selects
        anything, to about 0 when it selects nothing); node_select [T, N] (set membership in [0, 1]);
        coattn [L, N] (rows sum to 1; zeros unless the model's fusion is "hybrid"); edge_attn [T, E]
        over edge_index [2, E] (object indices, source j -> target i); slot_attn [2, T] (which
        steps the answer reads).

    Photo answers (``GraphQA._photo_explanation``) and CLEVR answers of the rules
    (``GraphQA._rule_explanation``) also say what each step did (``step_labels``, [T]) and which
    predicate each edge stands for (``edge_labels``, [E]; "" means every relation between the two
    objects, as for the CLEVR reasoner, whose edges weigh them all).
    """

    prediction: Prediction
    tokens: list[str]
    word_attn: torch.Tensor
    node_attn: torch.Tensor
    node_select: torch.Tensor
    coattn: torch.Tensor
    edge_attn: torch.Tensor
    edge_index: torch.Tensor
    slot_attn: torch.Tensor
    step_labels: list[str] = field(default_factory=list)
    edge_labels: list[str] = field(default_factory=list)

    def step_edges(self, step: int) -> list[tuple[int, str, int]]:
        """The relations ``step`` followed, ``(source, predicate, target)`` (predicate "" when unlabelled)."""
        return [(j, self.edge_labels[k] if self.edge_labels else "", i)
                for k, (j, i) in enumerate(self.edge_index.T.tolist()) if self.edge_attn[step, k] > 0]


class GraphQA:
    """Answers questions about scene graphs with a trained reasoner (loaded once).

    A graph's tensors are cached by identity for the next questions, so treat a graph as read-only
    once asked about (edit a copy: ``copy.deepcopy(graph)``). ``fast=True`` also exports the
    reasoner to ONNX Runtime in a child process (``vqa.reason.exported``: 10-25 s, answers meanwhile
    come from the eager model; then the same answers in about a quarter of the time): for anything
    that asks more than one question, like the app. ``device``: where the reasoner runs
    (``vqa.device.resolve_device``; the exported path is the CPU's).

    CLEVR answers are restricted to the type the question asks for and their probabilities
    calibrated, "not sure" included (``vqa.answer.clevr_predictions``; ``calibration`` is the one
    fitted for these weights, ``vqa.answer.calibration_for``). A question the CLEVR rules take
    (``vqa.reason.clevr_rules``; ``rules=False`` turns them off) is answered by its program instead
    (``ParsedPrediction``), or "not sure" followed by the reasoner's guesses when CLEVR cannot express it.
    """

    def __init__(self, weights: str | Path = DEFAULT_WEIGHTS, threads: int | None = None,
                 photo: PhotoAnswerer | None = None,  # or any (question, graph) -> PhotoAnswer
                 fast: bool = False, device: str | torch.device = "cpu", rules: bool = True):
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = Reasoner.from_pretrained(weights).to(self.device)
        self.config = self.model.config
        self.calibration = calibration_for(stored_sha256(weights))
        self.fast = ExportedReasoner.start(weights, self.config) if fast and self.device.type == "cpu" else None
        self._tensors: OrderedDict[int, tuple[SceneGraph, object]] = OrderedDict()
        self.photo = photo if photo is not None else default_photo_answerer()
        self.rules = ClevrRules() if rules else None

    def explain(self, question: str, graph: SceneGraph | None, top_k: int = 5) -> Explanation:
        """Answer one question and keep its attention. ``graph=None`` means no image was given."""
        if is_photo_graph(graph):
            return self._photo_explanation(question, graph, top_k)
        flags = []
        if graph is None:
            flags.append(NO_IMAGE)
            graph = SceneGraph()
        elif not graph.objects:
            flags.append(EMPTY_GRAPH)
        ruled = self.rules(question, graph) if self.rules is not None and NO_IMAGE not in flags else None
        if ruled is not None and not ruled.not_sure:
            return self._rule_explanation(ruled, len(graph.objects), flags)
        ids, mask = tokenize([question], self.config.encoder.max_tokens)
        batch = self._graph_batch(graph)
        out = self.fast(ids, mask, batch) if self.fast is not None else None
        if out is None:
            if self.device.type != "cpu":
                ids, mask, batch = ids.to(self.device), mask.to(self.device), batch.to(self.device)
            with torch.inference_mode():
                out = self.model(ids, mask, batch)
            if self.device.type != "cpu":
                out, ids, mask = out.to("cpu"), ids.cpu(), mask.cpu()
        e = self._explanation(question, out, ids, mask, len(graph.objects), flags, top_k)
        if ruled is not None:  # "not sure", then the reasoner's guesses
            e.prediction = _not_sure(ruled, e.prediction, top_k)
        return e

    def _graph_batch(self, graph: SceneGraph):
        """The one-graph batch (``scene_to_tensors``, ``collate_graphs``) of the last few graphs, so a second
        question about an image (whose graph the image cache returns as the same object) skips building
        it: about 1 of 7 ms per question, and of the 1.7 ms a second question takes, 0.2 ms. The model
        and the exported path only read it."""
        hit = self._tensors.get(id(graph))
        if hit is None or hit[0] is not graph:  # keeping the graph keeps its id from being reused
            hit = self._tensors[id(graph)] = (graph, collate_graphs([scene_to_tensors(graph, self.config.vocab)]))
            while len(self._tensors) > 16:
                self._tensors.popitem(last=False)
        self._tensors.move_to_end(id(graph))
        return hit[1]

    def _explanation(self, question: str, out: ReasonerOutput, ids, mask, n: int, flags: list[str], top_k: int):
        prediction = clevr_predictions([question], out.logits, self.config.answers, top_k, self.calibration, flags)[0]
        L = int(mask[0].sum())
        keep = (out.edge_index[0] < n) & (out.edge_index[1] < n)  # edges of graph 0
        return Explanation(prediction, token_strings(ids, mask)[0],
                           out.word_attn[0, :, :L], out.node_attn[0, :, :n], out.node_select[0, :, :n],
                           out.coattn[0, :L, :n], out.edge_attn[:, keep], out.edge_index[:, keep], out.slot_attn[0])

    def _photo_explanation(self, question: str, graph: SceneGraph, top_k: int) -> Explanation:
        """The photo answerer's steps (``PhotoAnswer.steps``) as attention tensors, so that the views
        draw them as they draw the CLEVR reasoner's; one step over the objects used when it has none."""
        answer = self.photo(question, graph)
        prediction = PhotoPrediction.from_answer(answer, top_k)
        if not graph.objects:
            prediction.flags.append(EMPTY_GRAPH)
        n = len(graph.objects)
        tokens = answer.tokens or question.split() or [""]
        steps = answer.steps
        if not steps:
            used = [1.0 / len(answer.objects) if k in answer.objects else 0.0 for k in range(n)]
            steps = [ReasoningStep("the objects the answer used", used, [1.0 / len(tokens)] * len(tokens))]
        return _steps_explanation(prediction, tokens, steps, n)

    def _rule_explanation(self, ruled: RuleAnswer, n: int, flags: list[str]) -> Explanation:
        """A CLEVR answer of the rules, with its program's stages as the steps (``vqa.reason.clevr_rules``)."""
        prediction = ParsedPrediction(ruled.question, [(ruled.answer, 1.0)], ruled.answer_type, flags + [PARSED],
                                      ruled.message, ruled.program)
        return _steps_explanation(prediction, ruled.tokens, ruled.steps, n)  # a program has at least one step

    def ask(self, question: str, graph: SceneGraph | None, top_k: int = 5) -> Prediction:
        return self.explain(question, graph, top_k).prediction


def _not_sure(ruled: RuleAnswer, guessed: Prediction, top_k: int) -> ParsedPrediction:
    """The rules' "not sure" at probability 0, then the reasoner's guesses (``guessed``)."""
    guesses = [a for a in guessed.answers if a[0] != NOT_SURE_ANSWER][: top_k - 1]
    flags = [f for f in guessed.flags if f != NOT_SURE] + [NOT_SURE]
    flags += [NOT_EXPRESSIBLE] if not ruled.program else []
    return ParsedPrediction(ruled.question, [(NOT_SURE_ANSWER, 0.0)] + guesses, guessed.answer_type, flags,
                            ruled.message)


def _steps_explanation(prediction: Prediction, tokens: list[str], steps: list[ReasoningStep], n: int) -> Explanation:
    """``steps`` (photo rules, CLEVR rules) as the tensors of an ``Explanation`` over ``n`` objects."""
    T = len(steps)
    node = torch.tensor([s.objects for s in steps], dtype=torch.float32).reshape(T, n)
    words = torch.tensor([s.words for s in steps], dtype=torch.float32).reshape(T, len(tokens))
    edges = list(dict.fromkeys((j, p, i) for s in steps for j, p, i, _ in s.edges))
    edge_attn = torch.zeros(T, len(edges))
    for t, s in enumerate(steps):
        for j, p, i, w in s.edges:
            edge_attn[t, edges.index((j, p, i))] = w
    edge_index = torch.tensor([[j for j, _, _ in edges], [i for _, _, i in edges]], dtype=torch.long).reshape(2, -1)
    select = node / node.amax(-1, keepdim=True).clamp_min(1e-9) if n else node.clone()
    slot = torch.zeros(2, T)
    slot[:, -1] = 1.0
    return Explanation(prediction, tokens, words, node, select, torch.zeros(len(tokens), n), edge_attn, edge_index,
                       slot, [s.label for s in steps], [p for _, p, _ in edges])


def describe_steps(e: Explanation, graph: SceneGraph | None) -> list[str]:
    """One line per step of a photo answer or of a CLEVR answer of the rules: what it did, the objects it
    selected (a rules' CLEVR step: every object in its set; a photo step: those weighted at least half as
    much as its top object, so "how many people" lists every person it counts) and the relations it
    followed ("car next to the person: the car (3), via car (3) next to person (2)"); empty for the
    CLEVR reasoner's answers, whose steps have no labels."""
    if not e.step_labels or graph is None:
        return []
    out = []
    for t, label in enumerate(e.step_labels):
        w = e.node_attn[t]
        if not w.numel() or w.sum() <= 0:
            line = label + ": nothing"
        else:
            # a rules' CLEVR step is a set (evenly weighted): all of it; a photo step: half its top weight or more
            least = 0.0 if isinstance(e.prediction, ParsedPrediction) else 0.5 * float(w.max())
            chosen = [f"{graph.objects[k].name} ({k})" for k in range(len(w)) if w[k] > 0 and w[k] >= least]
            line = label + (f": the {chosen[0]}" if len(chosen) == 1 else f": {len(chosen)} objects, "
                            + ", ".join(chosen[:8]) + (", ..." if len(chosen) > 8 else ""))
        followed = [f"{graph.objects[j].name} ({j}) {pred or 'related to'} {graph.objects[i].name} ({i})"
                    for j, pred, i in e.step_edges(t)]
        out.append(line + (f", via {'; '.join(followed)}" if followed else ""))
    return out
