"""Turning (question, scene graph) pairs into model inputs, for training and inference alike."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

import numpy as np

from ..data.executor import SceneIndex, execute_program
from ..encode.encoder import tokenize
from ..graph.scene_graph import SceneGraph
from ..graph.tensors import GraphBatch, GraphVocab, collate_graphs, scene_to_tensors
from .targets import program_instructions, program_steps

__all__ = ["Example", "GraphCache", "make_example", "collate"]


@dataclass
class Example:
    """One question about one scene; targets are filled for training data only."""

    question: str
    scene: str  # key into the GraphCache (image_filename)
    answer: int = -1
    type: int = -1
    steps: list[list[int]] = field(default_factory=list)
    slots: tuple[int, int] = (-1, -1)
    family: str = ""  # "<template file>#<family index>", for per-family reports
    n_objects: int = 0
    instructions: list[dict] = field(default_factory=list)  # per step, from ``program_instructions``

    def step_matrix(self, steps: int) -> np.ndarray:
        """[steps, n_objects] 0/1 targets; steps past the program's last repeat its last set."""
        m = np.zeros((steps, self.n_objects), dtype=np.float32)
        for t in range(steps):
            m[t, self.steps[min(t, len(self.steps) - 1)]] = 1.0
        return m


class GraphCache:
    """Scene graphs and their tensors, converted once per scene and reused by every question."""

    def __init__(self, vocab: GraphVocab):
        self.vocab = vocab
        self.graphs: dict[str, SceneGraph] = {}
        self._data: dict[str, object] = {}

    def add(self, key: str, graph: SceneGraph) -> None:
        self.graphs[key] = graph
        self._data.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self.graphs

    def data(self, key: str):
        d = self._data.get(key)
        if d is None:
            d = self._data[key] = scene_to_tensors(self.graphs[key], self.vocab)
        return d


def make_example(question: dict, index: SceneIndex, answers: list[str], answer_types: list[str],
                 type_of: dict[str, str]) -> Example:
    """Training example from an official CLEVR question dict with a program."""
    outputs = execute_program(question["program"], index)
    sets, a, b = program_steps(question["program"], outputs)
    ans = question.get("answer")
    family = f"{question.get('template_filename', '?').removesuffix('.json')}#{question.get('question_family_index', '?')}"
    return Example(question["question"], question["image_filename"], answers.index(ans),
                   answer_types.index(type_of[ans]), sets, (a, b), family, len(index.attrs),
                   program_instructions(question["program"]))


def collate(examples: list[Example], cache: GraphCache, steps: int, texts: list[str] | None = None,
            with_targets: bool = True) -> tuple[Tensor, Tensor, GraphBatch, dict | None]:
    """Token ids, mask, graph batch and (optionally) the multi-task targets.

    Step targets beyond a program's last step repeat its last set, so later steps learn to keep
    their selection. Targets: answer [B], type [B], steps [B, T, N], step_valid [B, T], slots [B, 2],
    and each step's controls (see ``instruction_targets``).
    """
    ids, mask = tokenize(texts if texts is not None else [e.question for e in examples])
    graphs = collate_graphs([cache.data(e.scene) for e in examples])
    if not with_targets:
        return ids, mask, graphs, None
    B, N = graphs.node_mask.shape
    st = np.zeros((B, steps, N), dtype=np.float32)
    valid = np.zeros((B, steps), dtype=bool)
    for k, e in enumerate(examples):
        if e.steps and len(e.steps) <= steps:
            m = e.step_matrix(steps)
            st[k, :, : m.shape[1]] = m
            valid[k] = True
    targets = {"answer": torch.tensor([e.answer for e in examples]), "type": torch.tensor([e.type for e in examples]),
               "steps": torch.from_numpy(st), "step_valid": torch.from_numpy(valid),
               "slots": torch.tensor([[s if 0 <= s < steps else -1 for s in e.slots] for e in examples])}
    targets.update(instruction_targets(examples, cache.vocab, steps, valid))
    return ids, mask, graphs, targets


def instruction_targets(examples: list[Example], vocab: GraphVocab, steps: int, valid: np.ndarray) -> dict:
    """Per-step control targets; -1 = not supervised.

    ``sources`` [B, T, 2] (0 = all objects, k = step k-1's set), ``move`` [B, T] (1 = the step moves
    along edges), ``predicate`` [B, T] (index in ``vocab.edge_types``), ``combine`` [B, T]
    (none/union/intersect), ``filters`` [B, T, G] (value index in its attribute group; the largest
    group's size = "any value", the last slot of the reasoner's per-type filter logits). Steps after
    the program's last keep their selection: source = previous step.
    """
    B, T = len(examples), steps
    groups = list(vocab.attributes.items())
    any_value = max(len(values) for _, values in groups)
    src = np.full((B, T, 2), -1, dtype=np.int64)
    move = np.full((B, T), -1, dtype=np.int64)
    pred = np.full((B, T), -1, dtype=np.int64)
    comb = np.full((B, T), -1, dtype=np.int64)
    filt = np.full((B, T, len(groups)), -1, dtype=np.int64)
    edge_types = vocab.edge_types
    for k, e in enumerate(examples):
        if not valid[k].any():
            continue
        for t in range(T):
            ins = e.instructions[t] if t < len(e.instructions) else {"sources": [t, -1], "predicate": None,
                                                                     "combine": 0, "filters": {}}
            src[k, t] = ins["sources"]
            move[k, t] = int(ins["predicate"] is not None)
            if ins["predicate"] is not None:
                pred[k, t] = edge_types.index(ins["predicate"])
            comb[k, t] = ins["combine"]
            for g, (attr, values) in enumerate(groups):
                v = ins["filters"].get(attr)
                filt[k, t, g] = values.index(v) if v is not None else any_value
    return {"sources": torch.from_numpy(src), "move": torch.from_numpy(move), "predicate": torch.from_numpy(pred),
            "combine": torch.from_numpy(comb), "filters": torch.from_numpy(filt)}
