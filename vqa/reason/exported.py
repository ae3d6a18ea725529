"""One question at a time through ONNX Runtime, with a graph exported from the safetensors weights
at start-up (the app, notebooks, ``benchmarks/latency.py``).

A question is about 500 small tensor operations; eager PyTorch spends most of its 3 ms between
them, in Python and dispatch. ONNX Runtime runs the same graph in about 0.7 ms. Nothing but the
safetensors file is shipped: ``start`` exports the loaded weights to ONNX (``torch.onnx.export``,
the ``torch.export`` path) in a child process (``vqa.exporting``), because exporting takes 10-25 s
here and traces modules by patching ``torch.nn.Module`` for the whole process. Until the child is
done, and for inputs the export does not cover, the caller answers with the eager model
(``__call__`` returns None).

The export covers one question (B = 1), 2 to ``max_tokens`` tokens and 2 to ``max_objects(config)``
objects, every ordered pair an edge: the range where the reasoner takes one branch of its Python
(``CoAttention.keys_product_first`` false, fewer edges than ``DISTINCT_EDGES_FROM``), so the graph
is the eager model's computation for every input it accepts. Answers equal the eager model's
within float tolerance (tests/reason/test_exported.py).
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import torch

from ..encode.encoder import tokenize
from ..graph.scene_graph import Relation, SceneGraph, SceneObject
from ..graph.tensors import GraphBatch, collate_graphs, scene_to_tensors
from ..exporting import NOT_INSTALLED, BackgroundExport, ExportedPath, runtime_available
from .coattention import CoAttention
from .config import ReasonerConfig
from .reasoner import DISTINCT_EDGES_FROM, Reasoner, ReasonerOutput

__all__ = ["ExportedReasoner", "export_onnx", "max_objects", "runtime_available"]

OUTPUTS = ("logits", "type_logits", "word_attn", "node_attn", "node_select", "coattn", "edge_attn", "edge_index",
           "slot_attn", "slot_logits")


def max_objects(config: ReasonerConfig) -> int:
    """The most objects the export covers: the reasoner's one-question branch holds up to its width
    (``CoAttention.keys_product_first``) and below ``DISTINCT_EDGES_FROM`` edges (N (N - 1) of them)."""
    n = config.dim
    while n * (n - 1) >= DISTINCT_EDGES_FROM or CoAttention.keys_product_first(1, n, config.dim):
        n -= 1
    return n


def _example(config: ReasonerConfig) -> SceneGraph:
    """Three objects, each attribute's values spread over them, related both ways by every predicate."""
    vocab = config.vocab
    objects = [SceneObject("object", {a: vs[k % len(vs)] for a, vs in vocab.attributes.items()},
                           pixel=[120.0 + 120 * k, 160.0, 10.0]) for k in range(3)]
    return SceneGraph(objects, [Relation(i, p, j) for i in range(3) for j in range(3) if i != j
                                for p in vocab.predicates])


class _TensorsOut(torch.nn.Module):
    """The reasoner with plain tensors in and out, as exporting needs."""

    def __init__(self, model: Reasoner):
        super().__init__()
        self.model = model

    def forward(self, ids, mask, x, pos, node_mask, edge_index, edge_attr, edge_graph):
        out = self.model(ids, mask, GraphBatch(x, pos, node_mask, edge_index, edge_attr, edge_graph))
        return tuple(getattr(out, f) for f in OUTPUTS)


def _inputs(ids: torch.Tensor, mask: torch.Tensor, graphs: GraphBatch) -> tuple[torch.Tensor, ...]:
    return (ids, mask) + tuple(getattr(graphs, f.name) for f in fields(GraphBatch))


def export_onnx(weights: str | Path, out: str | Path) -> Path:
    """Export the reasoner of ``weights`` to the ONNX file ``out`` (what the child process of
    ``ExportedReasoner.start`` runs): one question, dynamic tokens, objects and edges."""
    from torch.export import Dim  # defers torch.export and the ONNX exporter: only the export child needs them

    model = Reasoner.from_pretrained(weights)
    model.encoder.token_table()  # built now: the export must not see it assigned
    c = model.config
    example = _inputs(*tokenize(["How many objects are there?"], c.encoder.max_tokens),
                      collate_graphs([scene_to_tensors(_example(c), c.vocab)]))
    n = max_objects(c)
    L, N = Dim("tokens", min=2, max=c.encoder.max_tokens), Dim("objects", min=2, max=n)
    E = Dim("edges", min=2, max=n * (n - 1))
    shapes = ({1: L}, {1: L}, {1: N}, {1: N}, {1: N}, {1: E}, {0: E}, {0: E})
    with torch.inference_mode():
        program = torch.onnx.export(_TensorsOut(model).eval(), example, dynamo=True, dynamic_shapes=shapes,
                                    optimize=True, verbose=False)
    program.save(str(out))
    return Path(out)


def _export(weights: str, folder: Path) -> None:
    """What the export child runs (``vqa.exporting``): ``folder/reasoner.onnx``."""
    export_onnx(weights, folder / "reasoner.onnx")


class ExportedReasoner(ExportedPath):
    """The reasoner of ``weights`` through ONNX Runtime, once ``start``'s child process has exported it.

    ``ready`` says whether it answers yet; ``wait()`` blocks until it does (or the export failed, then
    ``failed`` says why); ``__call__`` returns the outputs, or None: not ready, or an input outside
    the export (more than one question, fewer than 2 or more than ``max_objects`` objects, fewer
    than 2 tokens, tensors not on the CPU).
    """

    def __init__(self, config: ReasonerConfig, export: BackgroundExport):
        self.config = config
        self.max_objects = max_objects(config)
        self.export = export

    @classmethod
    def start(cls, weights: str | Path, config: ReasonerConfig) -> "ExportedReasoner":
        """Start exporting ``weights`` in a child process (lower priority, one thread) and return at once;
        a thread of this process loads the result into ONNX Runtime (one thread: the app answers
        requests side by side) when the child is done."""
        if not runtime_available():
            return cls(config, BackgroundExport("reasoner", failed=NOT_INSTALLED))
        return cls(config, BackgroundExport.start("vqa.reason.exported:_export", weights, "reasoner", threads=1))

    def accepts(self, ids: torch.Tensor, graphs: GraphBatch) -> bool:
        return (ids.shape[0] == 1 and ids.shape[1] >= 2 and 2 <= graphs.x.shape[1] <= self.max_objects
                and graphs.edge_attr.shape[0] >= 2 and ids.device.type == "cpu")

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor, graphs: GraphBatch) -> ReasonerOutput | None:
        if not self.ready or not self.accepts(ids, graphs):
            return None
        outputs = self.export.run("reasoner", *(t.numpy() for t in _inputs(ids, mask, graphs)))
        return ReasonerOutput(*(torch.from_numpy(a) for a in outputs))
