"""Eval fixtures (the tiny random reasoner, ``tiny_weights``, lives in tests/conftest.py)."""
from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def small_clevr_questions(tmp_path_factory, clevr_questions):
    """The first 22 shared questions (not a multiple of the test batch sizes, so a short chunk remains)."""
    path = tmp_path_factory.mktemp("clevr") / "questions.json"
    path.write_text(json.dumps({"questions": clevr_questions[:22]}))
    return path
