"""`vqa eval` under torchrun: the same bytes as one process, and a killed run resumes exactly."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _torchrun(nproc: int, *args: str, **popen) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone",
                             f"--nproc_per_node={nproc}", "-m", "vqa", *args], env=env, **popen)


def _vqa(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])))
    assert proc.returncode == 0, proc.stderr


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.fixture()
def gold(tmp_path, clevr_dir, clevr_questions, tiny_weights):
    def args(n: int, batch: int, out: str, *extra: str) -> list[str]:
        q = tmp_path / f"q{n}.json"
        if not q.exists():
            q.write_text(json.dumps({"questions": clevr_questions[:n]}))
        return ["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", str(q), "--scenes",
                str(clevr_dir / "CLEVR_train_scenes.json"), "--weights", str(tiny_weights), "--batch-size", str(batch),
                "--no-progress", "--predictions-out", str(tmp_path / out), *extra]
    return args


def test_torchrun_eval_two_ranks_write_the_bytes_of_one_process(gold, tmp_path):
    _vqa(*gold(300, 16, "one.json", "--metrics-out", str(tmp_path / "one_m.json"),
               "--attention-out", str(tmp_path / "one.jsonl")))
    proc = _torchrun(2, *gold(300, 16, "two.json", "--metrics-out", str(tmp_path / "two_m.json"),
                              "--attention-out", str(tmp_path / "two.jsonl")), stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0
    assert (tmp_path / "two.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert (tmp_path / "two_m.json").read_bytes() == (tmp_path / "one_m.json").read_bytes()
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    assert err.count("wrote 300 predictions") == 1  # rank 0 alone reports


def test_torchrun_eval_killed_then_resumed_is_byte_identical(gold, tmp_path):
    partial = tmp_path / "two.json.partial"
    proc = _torchrun(2, *gold(2000, 2, "two.json"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while time.time() < deadline and proc.poll() is None:  # kill it once two rounds are on disk
            if partial.exists() and len(partial.read_bytes().splitlines()) >= 5:
                break
            time.sleep(0.02)
    finally:
        # a hard kill of the ranks (each in its own session under torchrun), then of torchrun
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
    assert partial.exists() and not (tmp_path / "two.json").exists(), "the run was not interrupted"
    resumed = _torchrun(2, *gold(2000, 2, "two.json", "--resume"), stderr=subprocess.PIPE, text=True)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0 and "resumed: " in err and not partial.exists()
    _vqa(*gold(2000, 2, "one.json"))
    assert (tmp_path / "two.json").read_bytes() == (tmp_path / "one.json").read_bytes()
