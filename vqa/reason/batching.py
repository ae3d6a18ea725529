"""Turning (question, scene graph) pairs into model inputs, for training and inference alike."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

import numpy as np

from ..data.executor import SceneIndex, execute_program
from ..encode.encoder import tokenize
from ..graph.scene_graph import SceneGraph
from ..graph.tensors import GraphBatch, GraphVocab, collate_graphs, scene_to_pyg
from .targets import program_steps

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
            d = self._data[key] = scene_to_pyg(self.graphs[key], self.vocab)
        return d


def make_example(question: dict, index: SceneIndex, answers: list[str], answer_types: list[str],
                 type_of: dict[str, str]) -> Example:
    """Training example from an official CLEVR question dict with a program."""
    outputs = execute_program(question["program"], index)
    sets, a, b = program_steps(question["program"], outputs)
    ans = question.get("answer")
    family = f"{question.get('template_filename', '?').removesuffix('.json')}#{question.get('question_family_index', '?')}"
    return Example(question["question"], question["image_filename"], answers.index(ans),
                   answer_types.index(type_of[ans]), sets, (a, b), family, len(index.attrs))


def collate(examples: list[Example], cache: GraphCache, steps: int, texts: list[str] | None = None,
            with_targets: bool = True) -> tuple[Tensor, Tensor, GraphBatch, dict | None]:
    """Token ids, mask, graph batch and (optionally) the multi-task targets.

    Step targets beyond a program's last step repeat its last set, so later steps learn to keep
    their selection. Targets: answer [B], type [B], steps [B, T, N], step_valid [B, T], slots [B, 2].
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
    return ids, mask, graphs, targets
