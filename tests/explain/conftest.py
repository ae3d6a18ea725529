"""Fixtures for the explain tests: a small random reasoner (no shipped weights needed) and one real scene."""
from __future__ import annotations

import json

import pytest

IMAGE = "CLEVR_train_000005.png"


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory):
    """A randomly initialised dim-32 reasoner saved like the shipped one: the tests check plumbing, not quality."""
    import torch

    from vqa.reason.config import ReasonerConfig
    from vqa.reason.reasoner import Reasoner

    torch.manual_seed(0)
    return Reasoner(ReasonerConfig(dim=32)).save_pretrained(tmp_path_factory.mktemp("weights") / "tiny")


@pytest.fixture(scope="session")
def qa(random_weights):
    from vqa.explain import load_qa

    return load_qa(random_weights)


@pytest.fixture(scope="session")
def scene(clevr_scenes):
    return next(g for g in clevr_scenes if g.image_filename == IMAGE)


@pytest.fixture(scope="session")
def image_path(clevr_dir):
    return clevr_dir / "images" / IMAGE


@pytest.fixture(scope="session")
def scene_file(tmp_path_factory, clevr_dir):
    """A scenes JSON holding just the test image's scene (as the shared file has it)."""
    scenes = json.loads((clevr_dir / "CLEVR_train_scenes.json").read_text())["scenes"]
    path = tmp_path_factory.mktemp("scenes") / "scenes.json"
    path.write_text(json.dumps({"scenes": [s for s in scenes if s["image_filename"] == IMAGE]}))
    return path


@pytest.fixture(scope="session")
def image_questions(clevr_questions):
    """Real questions about the test image, with programs and answers."""
    qs = [q for q in clevr_questions if q["image_filename"] == IMAGE]
    assert len(qs) >= 3
    return qs[:4]
