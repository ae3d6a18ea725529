"""Shared fixtures. Tests read ../shared (allowed for tests and CI); the app never does."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CLEVR = SHARED / "clevr"


@pytest.fixture(scope="session")
def clevr_dir() -> Path:
    if not (CLEVR / "CLEVR_train_scenes.json").is_file():
        pytest.fail(f"shared CLEVR data not found at {CLEVR}")
    return CLEVR


@pytest.fixture(scope="session")
def clevr_scenes(clevr_dir):
    from vqa.graph.io import load_clevr_scenes

    return load_clevr_scenes(clevr_dir / "CLEVR_train_scenes.json")


@pytest.fixture(scope="session")
def clevr_questions(clevr_dir):
    import json

    return json.loads((clevr_dir / "CLEVR_train_questions.json").read_text())["questions"]


# Model-mode tests use a tiny random reasoner: they test plumbing, not the shipped weights.
@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    import torch

    from vqa.reason.config import ReasonerConfig
    from vqa.reason.reasoner import Reasoner

    torch.manual_seed(0)
    cfg = ReasonerConfig(dim=32, steps=2, edge_hidden=16)
    cfg.encoder.dim = 32
    return Reasoner(cfg).save_pretrained(tmp_path_factory.mktemp("tiny") / "tiny.safetensors")
