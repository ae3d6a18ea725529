"""A small real training run: generated data, real loop, checkpoint, resume, model card."""
import json

import pytest

from vqa.reason.config import ReasonerConfig
from vqa.reason.training import TrainConfig, train_reasoner


def _config(tmp_path, iterations):
    model = ReasonerConfig(dim=64, steps=5)
    model.encoder.dim = 64
    return TrainConfig(out=str(tmp_path / "w" / "r"), workdir=str(tmp_path / "run"), shared=None, scenes=300,
                       val_scenes=60, iterations=iterations, batch_size=64, lr=3e-3, warmup=50,
                       eval_every=10**9, checkpoint_every=100, progress=False, model=model)


@pytest.mark.slow
def test_training_small_run_learns_above_chance_and_resumes(tmp_path):
    tc = _config(tmp_path, 200)
    tc.iterations = 100
    first = train_reasoner(tc, log=lambda *a: None)
    assert json.loads((tmp_path / "run" / "checkpoint.json").read_text())["iteration"] == 100
    tc.iterations = 400  # resumes at 100 from the checkpoint
    logs = []
    report = train_reasoner(tc, log=logs.append)
    assert any("resumed from iteration 100" in m for m in logs)
    acc = report["val_generated"]["accuracy"]
    # chance over 28 answers is 3.6%; the best answer-type-aware guess (always "no", "0", ...) is ~20%
    assert acc > 0.35, acc
    assert acc >= first["val_generated"]["accuracy"] - 0.02
    for suffix in (".safetensors", ".json", ".md"):
        assert (tmp_path / "w" / ("r" + suffix)).is_file()
    card = (tmp_path / "w" / "r.md").read_text()
    assert "Validation" in card and "iterations" in card
