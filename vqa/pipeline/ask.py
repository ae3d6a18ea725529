"""The question-answering pipeline over scene graphs, shared by the CLI, the app and notebooks.

Two kinds of graph reach it. CLEVR graphs (gold, or from the ``clevr`` detector) go to the trained
reasoner. Photo graphs (``detections_to_box_graph``, marked ``extra["relations"] == "boxes"``)
never do: the reasoner's vocabulary is CLEVR's, so it would answer "cylinder" about a cat. They go
to the photo answerer (``vqa.reason.photo_answerer.default_photo_answerer``: the rules of
``vqa.reason.photo_rules.PhotoAnswerer`` where they parse the question, the trained photo reasoner for
familiar rewordings), which answers from what the graph contains or says why it cannot (out of
vocabulary, not found, not sure).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from ..answer.prediction import EMPTY_GRAPH, NO_IMAGE, PHOTO_GRAPH, PhotoPrediction, Prediction, top_answers
from ..device import resolve_device
from ..encode.encoder import token_strings, tokenize
from ..graph.box_relations import is_photo_graph
from ..graph.scene_graph import SceneGraph
from ..graph.tensors import collate_graphs, scene_to_tensors
from ..reason.exported import ExportedReasoner
from ..reason.photo_answerer import default_photo_answerer
from ..reason.photo_rules import PhotoAnswerer
from ..reason.reasoner import DEFAULT_WEIGHTS, Reasoner, ReasonerOutput

__all__ = ["Explanation", "GraphQA", "PhotoPrediction", "PHOTO_GRAPH"]

@dataclass
class Explanation:
    """A prediction with the attention that produced it, cut to this question's tokens and objects.

    Shapes (T steps, L tokens, N objects, E edges of this graph):
        word_attn [T, L] (rows sum to 1); node_attn [T, N] (a row sums to 1 when the step selects
        anything, to about 0 when it selects nothing); node_select [T, N] (set membership in [0, 1]);
        coattn [L, N] (rows sum to 1; zeros unless the model's fusion is "hybrid"); edge_attn [T, E]
        over edge_index [2, E] (object indices, source j -> target i); slot_attn [2, T] (which
        steps the answer reads).
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


class GraphQA:
    """Answers questions about scene graphs with a trained reasoner (loaded once).

    A graph's tensors are cached by identity for the next questions, so treat a graph as read-only
    once asked about (edit a copy: ``copy.deepcopy(graph)``). ``fast=True`` also exports the
    reasoner to ONNX Runtime in a child process (``vqa.reason.exported``: 10-20 s, answers meanwhile
    come from the eager model; then the same answers in about a quarter of the time): for anything
    that asks more than one question, like the app. ``device``: where the reasoner runs
    (``vqa.device.resolve_device``; the exported path is the CPU's).
    """

    def __init__(self, weights: str | Path = DEFAULT_WEIGHTS, threads: int | None = None,
                 photo: PhotoAnswerer | None = None,  # or any (question, graph) -> PhotoAnswer
                 fast: bool = False, device: str | torch.device = "cpu"):
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = Reasoner.from_pretrained(weights).to(self.device)
        self.config = self.model.config
        self.fast = ExportedReasoner.start(weights, self.config) if fast and self.device.type == "cpu" else None
        self._tensors: OrderedDict[int, tuple[SceneGraph, object]] = OrderedDict()
        self.photo = photo if photo is not None else default_photo_answerer()

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
        ids, mask = tokenize([question], self.config.encoder.max_tokens)
        batch = collate_graphs([self._graph_tensors(graph)])
        out = self.fast(ids, mask, batch) if self.fast is not None else None
        if out is None:
            if self.device.type != "cpu":
                ids, mask, batch = ids.to(self.device), mask.to(self.device), batch.to(self.device)
            with torch.inference_mode():
                out = self.model(ids, mask, batch)
            if self.device.type != "cpu":
                out, ids, mask = out.to("cpu"), ids.cpu(), mask.cpu()
        return self._explanation(question, out, ids, mask, len(graph.objects), flags, top_k)

    def _graph_tensors(self, graph: SceneGraph):
        """``scene_to_tensors`` of the last few graphs, so a second question about an image (whose graph
        the image cache returns as the same object) skips it: about 1 of 7 ms per question."""
        hit = self._tensors.get(id(graph))
        if hit is None or hit[0] is not graph:  # keeping the graph keeps its id from being reused
            hit = self._tensors[id(graph)] = (graph, scene_to_tensors(graph, self.config.vocab))
            while len(self._tensors) > 16:
                self._tensors.popitem(last=False)
        self._tensors.move_to_end(id(graph))
        return hit[1]

    def _explanation(self, question: str, out: ReasonerOutput, ids, mask, n: int, flags: list[str], top_k: int):
        answers = top_answers(out.logits, self.config.answers, top_k)[0]
        atype = self.config.answer_type_of[self.config.answers.index(answers[0][0])]
        L = int(mask[0].sum())
        keep = (out.edge_index[0] < n) & (out.edge_index[1] < n)  # edges of graph 0
        return Explanation(Prediction(question, answers, atype, flags), token_strings(ids, mask)[0],
                           out.word_attn[0, :, :L], out.node_attn[0, :, :n], out.node_select[0, :, :n],
                           out.coattn[0, :L, :n], out.edge_attn[:, keep], out.edge_index[:, keep], out.slot_attn[0])

    def _photo_explanation(self, question: str, graph: SceneGraph, top_k: int) -> Explanation:
        """One-step "attention" for the views: uniform over the words, spread over the objects used."""
        answer = self.photo(question, graph)
        prediction = PhotoPrediction.from_answer(answer, top_k)
        if not graph.objects:
            prediction.flags.append(EMPTY_GRAPH)
        tokens = question.split() or [""]
        n, L = len(graph.objects), len(tokens)
        node = torch.zeros(1, n)
        if answer.objects and n:
            node[0, answer.objects] = 1.0 / len(answer.objects)
        return Explanation(prediction, tokens, torch.full((1, L), 1.0 / L), node, node.clone(), torch.zeros(L, n),
                           torch.zeros(1, 0), torch.zeros(2, 0, dtype=torch.long), torch.ones(2, 1))

    def ask(self, question: str, graph: SceneGraph | None, top_k: int = 5) -> Prediction:
        return self.explain(question, graph, top_k).prediction
