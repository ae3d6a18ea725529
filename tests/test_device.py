"""``vqa.device.resolve_device``: auto takes a GPU only when torch sees one; a named device that is not
there is an error saying what to do; the models land where they are asked to go."""
import subprocess
import sys

import pytest
import torch

from vqa.device import DEVICE_CHOICES, resolve_device
from vqa.errors import DeviceError


def test_device_auto_is_cuda_only_when_torch_sees_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu") and resolve_device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_device_named_ones(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(" CUDA ") == torch.device("cuda") and resolve_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(DeviceError, match=r"sees 2 CUDA GPU\(s\) \(cuda:0..cuda:1\)"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "mps"])
def test_device_unknown_names_say_which_work(name):
    with pytest.raises(DeviceError, match="use auto, cpu or cuda"):
        resolve_device(name)


def test_device_cuda_without_a_gpu_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="torch sees no CUDA GPU.*use --device cpu"):
        resolve_device("cuda")
    assert set(DEVICE_CHOICES) == {"auto", "cpu", "cuda"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
@pytest.mark.parametrize("command", [["ask", "img.png", "How many cubes?"], ["attention", "img.png", "q?", "--out", "o"],
                                     ["serve"]])
def test_device_cli_cuda_without_a_gpu_exits_2(command, tmp_path):
    r = subprocess.run([sys.executable, "-m", "vqa", *command, "--device", "cuda"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"vqa {command[0]}: error: device 'cuda' asked for, but torch sees no CUDA GPU")
    assert len(r.stderr.splitlines()) == 1


def test_device_models_go_where_asked(tiny_weights, clevr_scenes):
    from vqa.pipeline.ask import GraphQA
    from vqa.pipeline.scenes import SceneBuilder

    qa = GraphQA(tiny_weights, device="cpu")
    assert qa.device == torch.device("cpu") and all(p.device.type == "cpu" for p in qa.model.parameters())
    assert qa.ask("How many cubes are there?", clevr_scenes[0]).answers
    assert SceneBuilder("clevr", device="auto").device == resolve_device("auto")
    with pytest.raises(DeviceError):
        GraphQA(tiny_weights, device="tpu")
