"""`vqa train detector --num-gpus 2` (detectron2's launch, 2 CPU processes joined by gloo): the two
processes take the same steps on different images, the main process alone writes, its weights load
and detect, and the work folder resumes with one process."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vqa.perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS

ROOT = Path(__file__).resolve().parents[2]

# `vqa train detector ARGS`, where each training process records, after every step, a digest of its
# parameters and the images it was dealt, in rank<r>.json in the current folder. launch's processes
# run this file again (as __mp_main__) before their work, so the spies are theirs too.
SPY = r'''
import hashlib, json, sys
from detectron2.engine import SimpleTrainer
from detectron2.utils import comm
from vqa.train.clevr_data import ClevrMapper

seen = {"digests": [], "images": []}
run_step, map_record = SimpleTrainer.run_step, ClevrMapper.__call__

def spied_step(self):
    run_step(self)
    params = b"".join(p.detach().numpy().tobytes() for p in self.model.parameters())
    seen["digests"].append(hashlib.sha256(params).hexdigest())
    with open(f"rank{comm.get_rank()}.json", "w") as f:
        json.dump(seen, f)

def spied_map(self, record):
    seen["images"].append(record["file_name"])
    return map_record(self, record)

SimpleTrainer.run_step, ClevrMapper.__call__ = spied_step, spied_map

if __name__ == "__main__":
    from vqa.cli.main import main
    sys.exit(main(sys.argv[1:]))
'''


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DETECTOR_WEIGHTS.is_file(), reason="weights/clevr-detector.safetensors not trained yet")
def test_launch_two_processes_take_the_same_steps_and_the_main_one_writes(tmp_path, clevr_dir):
    from PIL import Image

    from vqa.perception.clevr.detector import ClevrDetector

    # the smallest run the command allows: two steps of a fine-tune that keeps the shipped second stage
    train = ["train", "detector", "--shared", str(clevr_dir.parent), "--init", str(DEFAULT_DETECTOR_WEIGHTS),
             "--warmup", "1", "--lr", "1e-4", "--crop-epochs", "0", "--workdir", "work", "--out", "ft",
             "--no-progress"]
    (tmp_path / "spy.py").write_text(SPY)
    r = _run(tmp_path, "spy.py", *train, "--iterations", "2", "--num-gpus", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{k}.json").read_text()) for k in (0, 1)]
    assert ranks[0]["digests"] == ranks[1]["digests"]  # the same parameters after every step
    assert len(ranks[0]["digests"]) == 2 and ranks[0]["digests"][0] != ranks[0]["digests"][1]
    # --batch-size 2 over 2 processes: one image each a step, different ones
    assert [len(k["images"]) for k in ranks] == [2, 2] and not set(ranks[0]["images"]) & set(ranks[1]["images"])
    assert r.stdout.count("held-out real images: recall") == 1  # the main process reports, once
    assert {p.name for p in tmp_path.glob("ft.*")} == {"ft.safetensors", "ft.json", "ft.md"}
    assert json.loads((tmp_path / "work" / "checkpoint.json").read_text())["iteration"] == 2
    assert json.loads((tmp_path / "work" / "report.json").read_text())["processes"] == [2, 1]
    assert "--num-gpus 2" in (tmp_path / "ft.md").read_text()  # the card's rebuild command

    detector = ClevrDetector.from_pretrained(tmp_path / "ft.safetensors")
    found = detector.detect(Image.open(clevr_dir / "images" / "CLEVR_train_000005.png").convert("RGB"))
    scene = next(s for s in json.loads((clevr_dir / "CLEVR_train_scenes.json").read_text())["scenes"]
                 if s["image_filename"] == "CLEVR_train_000005.png")
    assert len(found) == len(scene["objects"])

    # one process carries the work folder on to step 3
    r = _run(tmp_path, "-m", "vqa", *train, "--iterations", "3")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "resuming from iteration 2" in r.stderr
    assert json.loads((tmp_path / "work" / "checkpoint.json").read_text())["iteration"] == 3
