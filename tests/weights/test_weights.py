"""The one way models are saved and loaded (``vqa.weights``): every shipped model loads through its
``from_pretrained``, and a damaged or mismatched weights file is refused with a clear error."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch

from vqa.errors import WeightsError
from vqa.reason import Reasoner, ReasonerConfig
from vqa.weights import WEIGHTS_DIR, file_sha256, shipped, skip_random_init, weight_files

ROOT = WEIGHTS_DIR.parent
CLEVR_IMAGE = ROOT / "vqa" / "app" / "examples" / "CLEVR_train_000005.png"


def test_every_shipped_config_carries_the_sha256_of_its_weights():
    for name in ("clevr-reasoner", "photo-reasoner", "clevr-detector"):
        weights, config = weight_files(shipped(name))
        assert json.loads(config.read_text())["sha256"] == file_sha256(weights), name


def test_one_loader_loads_both_shipped_reasoners():
    clevr = Reasoner.from_pretrained(shipped("clevr-reasoner"))
    photo = Reasoner.from_pretrained(shipped("photo-reasoner"))
    assert clevr.known_questions is None and clevr.config.encoder.kind != "minilm"
    assert photo.config.encoder.kind == "minilm" and photo.known_questions.shape[1] == 384
    assert not clevr.training and not photo.training


def test_shipped_detector_loads_through_from_pretrained():
    from vqa.perception.clevr.detector import ClevrDetector

    assert ClevrDetector.from_pretrained(shipped("clevr-detector")).config.num_classes > 0


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    path = Reasoner(ReasonerConfig(dim=32, steps=2, encoder={"dim": 32})).save_pretrained(tmp_path / "m")
    return weight_files(path)


def test_save_writes_the_sha256_and_a_round_trip_loads(saved):
    weights, config = saved
    assert json.loads(config.read_text())["sha256"] == file_sha256(weights)
    assert Reasoner.from_pretrained(weights).config.dim == 32


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[: len(data) // 2], "SHA-256 differs"),  # truncated
    (lambda data: data[:-9] + bytes(9), "SHA-256 differs"),  # corrupted tensor bytes, same length
])
def test_damaged_weights_are_refused(saved, damage, message):
    weights, _ = saved
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(WeightsError, match=message) as e:
        Reasoner.from_pretrained(weights)
    assert str(weights) in str(e.value)


def test_damaged_weights_without_a_recorded_sha256_are_still_refused(saved):
    weights, config = saved
    fields = json.loads(config.read_text())
    del fields["sha256"]
    config.write_text(json.dumps(fields))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        Reasoner.from_pretrained(weights)


def test_weights_of_another_model_are_refused(saved, tmp_path):
    weights, config = saved
    other = tmp_path / "other.safetensors"
    shutil.copy(shipped("clevr-reasoner"), other)
    shutil.copy(config, tmp_path / "other.json")  # this config, the shipped model's bytes
    with pytest.raises(WeightsError, match="SHA-256 differs"):
        Reasoner.from_pretrained(other)


def test_cli_refuses_a_corrupted_weights_file_with_exit_2(saved):
    weights, _ = saved
    weights.write_bytes(weights.read_bytes()[:-9] + bytes(9))
    run = subprocess.run([sys.executable, "-m", "vqa", "ask", str(CLEVR_IMAGE), "How many cubes are there?",
                          "--weights", str(weights)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("vqa ask: error:")]
    assert len(errors) == 1 and "SHA-256 differs" in errors[0] and "Traceback" not in run.stderr


def test_weights_skip_random_init_draws_no_random_numbers():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    with skip_random_init():
        linear, norm = torch.nn.Linear(64, 64), torch.nn.LayerNorm(8)
        torch.nn.Embedding(100, 8, padding_idx=0)
    assert torch.equal(torch.get_rng_state(), before)  # nothing drawn: the file fills every parameter next
    assert torch.equal(norm.weight, torch.ones(8)) and torch.equal(norm.bias, torch.zeros(8))  # constant fills run
    torch.nn.Linear(64, 64)
    assert not torch.equal(torch.get_rng_state(), before)  # outside, initialisation is random again


def test_weights_reasoner_loads_the_file_exactly(tiny_weights):
    """Built without random initialisation, every parameter is the file's (fp16 on disk, fp32 loaded)."""
    from safetensors.torch import load_file

    state = Reasoner.from_pretrained(tiny_weights).state_dict()
    for k, v in load_file(str(tiny_weights)).items():
        assert torch.equal(state[k], v.float() if v.is_floating_point() else v), k
