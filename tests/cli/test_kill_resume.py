"""`vqa eval` and `vqa train reasoner` SIGKILLed at random moments: no output is ever half-written,
and resuming reproduces the uninterrupted run byte for byte (3 kills each; benchmarks/kill_resume.py
runs 20 or more, and kills `vqa train photo-reasoner` too, which resumes through the same loop)."""
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "kill_resume.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("kill_resume", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_eval_killed_at_random_moments_resumes_to_the_uninterrupted_outputs(harness, tmp_path, tiny_weights):
    questions = harness.questions_file(tmp_path, 200)
    r = harness.kill_trials(lambda f: harness.eval_case(f, tiny_weights, questions), 3, tmp_path / "eval", seed=1)
    assert r["failures"] == 0


def test_train_killed_at_random_moments_resumes_to_the_uninterrupted_weights(harness, tmp_path):
    r = harness.kill_trials(harness.train_case, 3, tmp_path / "train", seed=2)
    assert r["failures"] == 0


def test_photo_train_run_again_resumes_from_its_checkpoint(harness, tmp_path):
    import subprocess
    import sys

    args, compared, _, _ = harness.photo_train_case(tmp_path)
    first = subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    weights = {name: (tmp_path / name).read_bytes() for name in compared}
    again = subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "resumed from iteration 30" in again.stderr
    assert {name: (tmp_path / name).read_bytes() for name in compared} == weights
