"""Inference paths: batches of many (question, scene) pairs, which `vqa eval` and validation
share, and one question at a time through a traced reasoner, which the app uses."""
from __future__ import annotations

import warnings
from dataclasses import fields
from typing import Iterator

import torch
from tqdm.auto import tqdm

from ..encode.encoder import pad_token_rows, token_rows, tokenize
from ..graph.scene_graph import Relation, SceneGraph, SceneObject
from ..graph.tensors import GraphBatch, collate_graphs, scene_to_tensors
from .batching import GraphCache
from .coattention import CoAttention
from .reasoner import DISTINCT_EDGES_FROM, Reasoner, ReasonerOutput

__all__ = ["run_batches", "TracedReasoner"]

_TRACED_FIELDS = ("logits", "type_logits", "word_attn", "node_attn", "node_select", "coattn", "edge_attn",
                  "edge_index", "slot_attn", "slot_logits")


def _example_graph(vocab) -> SceneGraph:
    """Two objects (different values of every attribute) related both ways by every predicate."""
    objects = [SceneObject("object", {a: vs[k % len(vs)] for a, vs in vocab.attributes.items()},
                           pixel=[120.0 + 240 * k, 160.0, 10.0]) for k in range(2)]
    return SceneGraph(objects, [Relation(i, p, 1 - i) for i in range(2) for p in vocab.predicates])


class _TensorsOut(torch.nn.Module):
    """The reasoner with plain tensors in and out, as tracing needs."""

    def __init__(self, model: Reasoner):
        super().__init__()
        self.model = model

    def forward(self, ids, mask, x, pos, node_mask, edge_index, edge_attr, edge_graph):
        out = self.model(ids, mask, GraphBatch(x, pos, node_mask, edge_index, edge_attr, edge_graph))
        return tuple(getattr(out, f) for f in _TRACED_FIELDS)


class TracedReasoner:
    """One question at a time through a frozen TorchScript trace of ``model``.

    A question is about 1,800 small tensor operations, and eager PyTorch spends most of its
    7 ms between them, in Python and dispatch. The trace runs the same operations, with the same
    results (no difference on the 9,320 shared questions), in about half the time. Tracing takes
    0.5 s, so it pays from the second question on: the app uses it, one-off `vqa ask` does not.

    A trace replays the Python branches its example took, so ``__call__`` returns None (the caller
    runs the model itself) for inputs that would branch differently: more than one question, more
    objects than the model's width (``CoAttention`` orders its products by that), or a batch large
    enough for the distinct-edge path.
    """

    def __init__(self, model: Reasoner):
        self.model = model.eval()
        c = model.config
        vocab = c.vocab
        inputs = self._inputs(*tokenize(["How many objects are there?"], c.encoder.max_tokens),
                              collate_graphs([scene_to_tensors(_example_graph(vocab), vocab)]))
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TorchScript's deprecation notice: nothing a user can act on
            self.traced = torch.jit.freeze(torch.jit.trace(_TensorsOut(self.model), inputs, check_trace=False).eval())
            for _ in range(3):  # the profiling executor optimises the graph over the first calls
                self.traced(*inputs)

    @staticmethod
    def _inputs(ids, mask, graphs: GraphBatch) -> tuple:
        return (ids, mask) + tuple(getattr(graphs, f.name) for f in fields(GraphBatch))

    def accepts(self, ids: torch.Tensor, graphs: GraphBatch) -> bool:
        # the branches the example took: one question, objects projected before W_q, every edge scored
        return (ids.shape[0] == 1
                and not CoAttention.keys_product_first(1, graphs.x.shape[1], self.model.config.dim)
                and graphs.edge_attr.shape[0] < DISTINCT_EDGES_FROM)

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor, graphs: GraphBatch) -> ReasonerOutput | None:
        if not self.accepts(ids, graphs):
            return None
        with torch.inference_mode():
            return ReasonerOutput(*self.traced(*self._inputs(ids, mask, graphs)))


def run_batches(model: Reasoner, questions: list[str], scenes: list[str], cache: GraphCache,
                batch_size: int = 1024, progress: bool = False, rows: list[list[int]] | None = None
                ) -> Iterator[tuple[list[int], ReasonerOutput]]:
    """Yield (positions in the input, model output) per batch.

    Questions are sorted by token count first, so a batch pads to similar lengths (CLEVR questions
    run from 4 to 45 tokens; padding to the longest would double the encoder's work). ``rows``: the
    questions' :func:`~vqa.encode.encoder.token_rows`, when the caller has them already.
    """
    if rows is None:
        rows = token_rows(questions)
    order = sorted(range(len(questions)), key=lambda i: len(rows[i]))
    bar = tqdm(total=len(order), unit="q", disable=not progress, desc="answering")
    model.eval()
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            ids, mask = pad_token_rows([rows[i] for i in idx], model.config.encoder.max_tokens,
                                       [questions[i] for i in idx])
            graphs = collate_graphs([cache.data(scenes[i]) for i in idx])
            if device.type != "cpu":
                ids, mask, graphs = ids.to(device), mask.to(device), graphs.to(device)
            yield idx, model(ids, mask, graphs)
            bar.update(len(idx))
    bar.close()
