"""A tiny random reasoner for model-mode tests: they test plumbing, not the shipped weights."""
from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    import torch

    from vqa.reason.config import ReasonerConfig
    from vqa.reason.io import save_reasoner
    from vqa.reason.reasoner import Reasoner

    torch.manual_seed(0)
    cfg = ReasonerConfig(dim=32, steps=2, edge_hidden=16)
    cfg.encoder.dim = 32
    return save_reasoner(Reasoner(cfg), tmp_path_factory.mktemp("tiny") / "tiny.safetensors")


@pytest.fixture(scope="session")
def small_clevr_questions(tmp_path_factory, clevr_questions):
    """The first 22 shared questions (not a multiple of the test batch sizes, so a short chunk remains)."""
    path = tmp_path_factory.mktemp("clevr") / "questions.json"
    path.write_text(json.dumps({"questions": clevr_questions[:22]}))
    return path
