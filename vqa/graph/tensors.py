"""Scene graphs as tensors: one ``GraphTensors`` per scene, and a padded batch.

Node features are a distribution over the node vocabulary (one-hot attributes for gold
graphs, the detector's probabilities for predicted ones), so both kinds feed the same model.
Edges connect every ordered pair of objects; ``edge_attr`` is multi-hot over the predicates.
The ``same_<attr>`` predicates are derived from attributes (like GQA's "same color" relations),
so that "the same shape as" is a relation step like "left of".

``GraphTensors`` holds the fields of PyG's ``torch_geometric.data.Data`` that the reasoner reads,
without importing PyG: ``import torch_geometric`` also imports its datasets and LLM modules
(pandas, transformers: about 1.2 s), which answering a question never needs. ``to_pyg()`` (or
``scene_to_pyg``) converts for code that does use PyG.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from .scene_graph import SceneGraph

__all__ = ["GraphVocab", "CLEVR_VOCAB", "GraphTensors", "GraphBatch", "scene_to_tensors", "scene_to_pyg",
           "collate_graphs", "PYG_IMPORT_NOTICE"]

# PyG compiles helpers with torch.jit.script as it is imported, which torch deprecates (a FutureWarning no
# user can act on): silenced by this text around the imports of torch_geometric, nothing else
PYG_IMPORT_NOTICE = "`torch.jit.script` is deprecated"


@dataclass
class GraphVocab:
    """Node vocabulary (attribute values, grouped by attribute type) and predicate names."""

    attributes: dict[str, list[str]] = field(default_factory=dict)
    predicates: list[str] = field(default_factory=list)
    same_attributes: list[str] = field(default_factory=list)
    image_size: tuple[int, int] = (480, 320)

    @property
    def node_tokens(self) -> list[str]:
        return [f"{a}={v}" for a, vs in self.attributes.items() for v in vs]

    @property
    def edge_types(self) -> list[str]:
        return list(self.predicates) + [f"same_{a}" for a in self.same_attributes]


CLEVR_VOCAB = GraphVocab(
    attributes={"color": ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"],
                "shape": ["cube", "sphere", "cylinder"], "material": ["rubber", "metal"], "size": ["small", "large"]},
    predicates=["left", "right", "front", "behind"],
    same_attributes=["color", "shape", "material", "size"],
)


@dataclass
class GraphTensors:
    """One scene graph as tensors: ``x`` [N, V], ``pos`` [N, 2], ``edge_index`` [2, E] (source j,
    target i), ``edge_attr`` [E, R]; the names and shapes of PyG's ``Data``."""

    x: Tensor
    pos: Tensor
    edge_index: Tensor
    edge_attr: Tensor

    @property
    def num_nodes(self) -> int:
        return self.x.shape[0]

    def to_pyg(self):
        """The same tensors as a ``torch_geometric.data.Data``."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=PYG_IMPORT_NOTICE, category=FutureWarning)
            from torch_geometric.data import Data  # defers torch_geometric (about 1.2 s to import): only PyG code needs it

        return Data(x=self.x, pos=self.pos, edge_index=self.edge_index, edge_attr=self.edge_attr,
                    num_nodes=self.num_nodes)


def scene_to_pyg(graph: SceneGraph, vocab: GraphVocab = CLEVR_VOCAB):
    """``scene_to_tensors(graph, vocab)`` as a ``torch_geometric.data.Data``."""
    return scene_to_tensors(graph, vocab).to_pyg()


def scene_to_tensors(graph: SceneGraph, vocab: GraphVocab = CLEVR_VOCAB) -> GraphTensors:
    """``GraphTensors(x [N, V], pos [N, 2], edge_index [2, E], edge_attr [E, R])``.

    ``x`` rows are one-hot per attribute type, or the object's ``extra["attribute_probs"]``
    (attribute -> {value: p}) when a detector supplied them. ``pos`` is the pixel centre
    divided by the image size.
    """
    # numpy for the small arrays, one torch.from_numpy each at the end: a torch call on a tensor of a
    # few dozen elements costs 5-10 times a numpy one, and a scene took about 40 of them (measured over
    # CLEVR's 932 scenes: a median of 411 us a scene with torch, 118 us now)
    n = len(graph.objects)
    x = _node_features(graph, vocab)
    pos = _centres(graph).reshape(n, 2) / np.array([graph.width or vocab.image_size[0],
                                                    graph.height or vocab.image_size[1]], dtype=np.float32)
    pairs, edge_index = _ordered_pairs(n)
    attr = _edge_attributes(graph, vocab, pairs)
    return GraphTensors(torch.from_numpy(x), torch.from_numpy(pos), torch.from_numpy(edge_index.copy()),
                        torch.from_numpy(attr[pairs]))


@lru_cache(maxsize=64)
def _ordered_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``[N, N]`` bool, True where i != j, and the ``[2, E]`` int64 (source, target) of those pairs in
    row-major order: every ordered pair j -> i (read-only: shared by the scenes with N objects)."""
    pairs = ~np.eye(n, dtype=bool)
    edge_index = np.stack(np.nonzero(pairs)).astype(np.int64, copy=False)
    pairs.flags.writeable = edge_index.flags.writeable = False
    return pairs, edge_index


def _node_features(graph: SceneGraph, vocab: GraphVocab) -> np.ndarray:
    """``x`` [N, V] float32: each attribute's one-hot value, or its ``attribute_probs``."""
    tokens = {t: k for k, t in enumerate(vocab.node_tokens)}
    rows, cols, vals = [], [], []
    for i, o in enumerate(graph.objects):
        probs = o.extra.get("attribute_probs")
        for a in vocab.attributes:
            dist = probs[a] if probs and a in probs else {o.attributes.get(a): 1.0}
            for v, p in dist.items():
                k = tokens.get(f"{a}={v}")
                if k is not None:
                    rows.append(i)
                    cols.append(k)
                    vals.append(float(p))
    x = np.zeros((len(graph.objects), len(tokens)), dtype=np.float32)
    x[rows, cols] = vals
    return x


def _centres(graph: SceneGraph) -> np.ndarray:
    """Each object's pixel centre (``pixel``, else its box's centre, else 0, 0), float32 [N * 2]."""
    centres = []
    for o in graph.objects:
        if o.pixel is not None:
            centres += (o.pixel[0], o.pixel[1])
        elif o.box is not None:
            centres += ((o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2)
        else:
            centres += (0.0, 0.0)
    return np.array(centres, dtype=np.float32)


def _edge_attributes(graph: SceneGraph, vocab: GraphVocab, pairs: np.ndarray) -> np.ndarray:
    """[N, N, R] float32 multi-hot predicates of every ordered pair; ``pairs`` [N, N]: i != j."""
    n = len(graph.objects)
    etypes = {t: k for k, t in enumerate(vocab.edge_types)}
    attr = np.zeros((n, n, len(etypes)), dtype=np.float32)
    rel = [(r.subject, r.object, etypes[r.predicate]) for r in graph.relations
           if r.predicate in etypes and r.subject != r.object]
    if rel:
        subject, obj, predicate = zip(*rel)
        attr[subject, obj, predicate] = 1.0
    same = vocab.same_attributes
    if same:
        attr[..., [etypes[f"same_{a}"] for a in same]] = _same_values(graph, same, pairs)
    return attr


def _same_values(graph: SceneGraph, attributes: list[str], pairs: np.ndarray) -> np.ndarray:
    """[N, N, A] bool: objects i != j both have a value of each attribute, and the same one."""
    codes: dict = {}  # (attribute, value) -> a number; no value: -1
    c = np.array([[-1 if o.attributes.get(a) is None else codes.setdefault((a, o.attributes[a]), len(codes))
                   for a in attributes] for o in graph.objects], dtype=np.int64)
    c = c.reshape(len(graph.objects), len(attributes))  # also for a graph without objects
    return (c[:, None] == c[None, :]) & (c[:, None] >= 0) & pairs[..., None]


@dataclass
class GraphBatch:
    """B graphs padded to N nodes. Edges index the flattened ``B * N`` nodes.

    Shapes: ``x`` [B, N, V], ``pos`` [B, N, 2], ``node_mask`` [B, N], ``edge_index`` [2, E],
    ``edge_attr`` [E, R], ``edge_graph`` [E] (which graph each edge belongs to).
    """

    x: Tensor
    pos: Tensor
    node_mask: Tensor
    edge_index: Tensor
    edge_attr: Tensor
    edge_graph: Tensor

    def to(self, device) -> "GraphBatch":
        return GraphBatch(*(getattr(self, f.name).to(device) for f in fields(self)))


def collate_graphs(graphs: list) -> GraphBatch:
    """Pad a list of ``GraphTensors`` (from ``scene_to_tensors``; PyG ``Data`` works too) into one ``GraphBatch``."""
    b = len(graphs)
    sizes = torch.tensor([g.num_nodes for g in graphs])
    n = max(int(sizes.max()), 1)  # an empty graph still gets one (masked) slot
    mask = torch.arange(n) < sizes[:, None]
    # whole-batch concatenations copied into the padded rows at once: a copy per graph cost 10x more
    rows = mask.view(-1).nonzero().squeeze(1)
    v = graphs[0].x.shape[1]
    x = torch.zeros(b * n, v).index_copy_(0, rows, torch.cat([g.x for g in graphs])).view(b, n, v)
    pos = torch.zeros(b * n, 2).index_copy_(0, rows, torch.cat([g.pos for g in graphs])).view(b, n, 2)
    edge_graph = torch.repeat_interleave(torch.arange(b), torch.tensor([g.edge_index.shape[1] for g in graphs]))
    edge_index = torch.cat([g.edge_index for g in graphs], 1) + edge_graph * n
    return GraphBatch(x, pos, mask, edge_index, torch.cat([g.edge_attr for g in graphs]), edge_graph)
