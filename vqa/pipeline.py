"""The question-answering pipeline over scene graphs, shared by the CLI, the app and notebooks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .answer.prediction import EMPTY_GRAPH, NO_IMAGE, Prediction, top_answers
from .encode.encoder import token_strings, tokenize
from .graph.scene_graph import SceneGraph
from .graph.tensors import collate_graphs, scene_to_pyg
from .reason.io import DEFAULT_WEIGHTS, load_reasoner
from .reason.reasoner import ReasonerOutput

__all__ = ["Explanation", "GraphQA"]


@dataclass
class Explanation:
    """A prediction with the attention that produced it, cut to this question's tokens/objects.

    Shapes: word_attn [T, L], node_attn [T, N], node_select [T, N], coattn [L, N],
    edge_attn [T, E] over ``edge_index`` [2, E] (object indices of this graph), slot_attn [2, T].
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
    """Answers questions about scene graphs with a trained reasoner (loaded once)."""

    def __init__(self, weights: str | Path = DEFAULT_WEIGHTS, threads: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        self.model = load_reasoner(weights)
        self.config = self.model.config

    def explain(self, question: str, graph: SceneGraph | None, top_k: int = 5) -> Explanation:
        """Answer one question and keep its attention. ``graph=None`` means no image was given."""
        flags = []
        if graph is None:
            flags.append(NO_IMAGE)
            graph = SceneGraph()
        elif not graph.objects:
            flags.append(EMPTY_GRAPH)
        ids, mask = tokenize([question], self.config.encoder.max_tokens)
        batch = collate_graphs([scene_to_pyg(graph, self.config.vocab)])
        with torch.inference_mode():
            out = self.model(ids, mask, batch)
        return self._explanation(question, out, ids, mask, len(graph.objects), flags, top_k)

    def _explanation(self, question: str, out: ReasonerOutput, ids, mask, n: int, flags: list[str], top_k: int):
        answers = top_answers(out.logits, self.config.answers, top_k)[0]
        atype = self.config.answer_type_of[self.config.answers.index(answers[0][0])]
        L = int(mask[0].sum())
        keep = (out.edge_index[0] < n) & (out.edge_index[1] < n)  # edges of graph 0
        return Explanation(Prediction(question, answers, atype, flags), token_strings(ids, mask)[0],
                           out.word_attn[0, :, :L], out.node_attn[0, :, :n], out.node_select[0, :, :n],
                           out.coattn[0, :L, :n], out.edge_attn[:, keep], out.edge_index[:, keep], out.slot_attn[0])

    def ask(self, question: str, graph: SceneGraph | None, top_k: int = 5) -> Prediction:
        return self.explain(question, graph, top_k).prediction
