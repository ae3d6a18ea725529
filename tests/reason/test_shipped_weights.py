"""The shipped reasoner: loads from its config + safetensors and answers held-out questions."""
import json
from pathlib import Path

import pytest
import torch

from vqa.data.splits import is_validation
from vqa.reason import Reasoner
from vqa.reason.batching import GraphCache
from vqa.reason.inference import run_batches
from vqa.reason.reasoner import DEFAULT_WEIGHTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():
    torch.set_num_threads(1)
    return Reasoner.from_pretrained(DEFAULT_WEIGHTS)


def _accuracy(model, questions, scenes) -> float:
    cache = GraphCache(model.config.vocab)
    for g in scenes:
        cache.add(g.image_filename, g)
    preds = {}
    for idx, out in run_batches(model, [q["question"] for q in questions], [q["image_filename"] for q in questions], cache):
        for i, a in zip(idx, out.logits.argmax(-1).tolist()):
            preds[i] = model.config.answers[a]
    return sum(preds[i] == q["answer"] for i, q in enumerate(questions)) / len(questions)


def test_shipped_weights_are_safetensors_under_40mb_with_config():
    assert DEFAULT_WEIGHTS.suffix == ".safetensors" and DEFAULT_WEIGHTS.stat().st_size <= 40 * 2**20
    cfg = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert cfg["answers"] and cfg["steps"] >= 1
    assert DEFAULT_WEIGHTS.with_suffix(".md").is_file()


def test_shipped_weights_answer_held_out_shared_questions(shipped, clevr_scenes, clevr_questions):
    val = [q for q in clevr_questions if is_validation(q["image_index"])]
    assert len(val) > 1000
    assert _accuracy(shipped, val, clevr_scenes) >= 0.995  # the foundation issue's bar


def test_shipped_weights_answer_human_wording(shipped, clevr_scenes):
    dev = json.loads((ROOT / "tests" / "data" / "human_questions_dev.json").read_text())["questions"]
    assert _accuracy(shipped, dev, clevr_scenes) >= 0.80
