"""`vqa train` under torchrun (2 ranks, gloo on CPU): the ranks' parameters stay equal after every
step, rank 0 alone writes, the weights load and answer, and a checkpoint resumes with another number
of ranks."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Run by every rank: train a tiny model, and after each step compare a digest of the parameters
# across the ranks (all_gather); rank r writes what it saw to OUT/rank<r>.json.
SCRIPT = r'''
import json, sys
import torch
import torch.distributed as dist
from vqa.reason.config import ReasonerConfig
from vqa.train.reasoner import TrainConfig, train_reasoner
from vqa.train.photo_reasoner import PhotoTrainConfig, train_photo_reasoner

what, out, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
unequal, steps = [], []

def check(done):
    steps.append(done)
    if not dist.is_initialized():
        return  # one rank
    params = [p.detach().double() for p in model_ref[0].parameters()]
    digest = torch.stack([torch.cat([p.flatten() for p in params]).sum(), sum((p * p).sum() for p in params)])
    seen = [torch.zeros(2, dtype=torch.float64) for _ in range(dist.get_world_size())]
    dist.all_gather(seen, digest)
    if any(not torch.equal(s, seen[0]) for s in seen):
        unequal.append(done)

# the model is built inside the trainer: find it through the optimiser's parameters
model_ref = [None]
real_optimizer = torch.optim.AdamW
class Spy(real_optimizer):
    def __init__(self, params, **kw):
        params = list(params)
        model_ref[0] = torch.nn.ParameterList(params)
        super().__init__(params, **kw)
torch.optim.AdamW = Spy

if what == "reasoner":
    cfg = ReasonerConfig(steps=2, dim=16)
    cfg.encoder.dim, cfg.encoder.layers = 16, 1
    tc = TrainConfig(out=out + "/weights", workdir=out + "/work", scenes=30, val_scenes=4, iterations=iterations,
                     batch_size=8, warmup=5, threads=1, eval_every=10_000, checkpoint_every=10, progress=False,
                     model=cfg)
    report = train_reasoner(tc, log=lambda *a: None, on_step=check)
else:
    tc = PhotoTrainConfig(out=out + "/weights", workdir=out + "/work", scenes=12, val_scenes=3, iterations=iterations,
                          batch_size=8, warmup=5, threads=1, eval_every=10_000, progress=False)
    import vqa.train.loop as loop
    real_train = loop.train
    import vqa.train.photo_reasoner as pr
    pr.train_loop = lambda *a, **k: real_train(*a, **k, on_step=check)
    report = train_photo_reasoner(tc, log=lambda *a: None)
import os
rank = int(os.environ["RANK"])
with open(f"{out}/rank{rank}.json", "w") as f:
    json.dump({"steps": steps, "unequal": unequal, "report": bool(report)}, f)
'''


def _torchrun(nproc: int, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                           *args], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _ranks(out: Path, n: int) -> list[dict]:
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(n)]


@pytest.mark.parametrize("what", ["reasoner", "photo-reasoner"])
def test_torchrun_training_keeps_ranks_equal_and_rank_0_writes_weights_that_answer(what, tmp_path, clevr_dir,
                                                                                  clevr_questions):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    _torchrun(2, str(script), what, str(tmp_path), "24")
    ranks = _ranks(tmp_path, 2)
    for r in ranks:
        assert r["steps"] == list(range(1, 25)) and r["unequal"] == []  # every step, the same parameters
    assert [r["report"] for r in ranks] == [True, False]  # rank 0 reports and writes
    assert {p.name for p in tmp_path.glob("weights.*")} == {"weights.safetensors", "weights.json", "weights.md"}
    from vqa.reason.reasoner import Reasoner

    model = Reasoner.from_pretrained(tmp_path / "weights.safetensors")
    if what == "reasoner":
        from vqa.pipeline.batch import run_clevr_model

        (tmp_path / "q.json").write_text(json.dumps({"questions": clevr_questions[:5]}))
        run = run_clevr_model(tmp_path / "q.json", clevr_dir / "CLEVR_train_scenes.json", tmp_path / "weights.safetensors",
                              progress=False)
        assert len(run.predictions) == 5 and all(p["answer"] in model.config.answers + ["not sure"]
                                                 for p in run.predictions)


def test_torchrun_training_resumes_with_another_number_of_ranks(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    _torchrun(2, str(script), "reasoner", str(tmp_path), "10")  # checkpoint at step 10
    assert json.loads((tmp_path / "work" / "checkpoint.json").read_text())["iteration"] == 10
    _torchrun(1, str(script), "reasoner", str(tmp_path), "20")  # one rank carries on to 20
    assert _ranks(tmp_path, 1)[0]["steps"] == list(range(11, 21))
    assert json.loads((tmp_path / "work" / "checkpoint.json").read_text())["iteration"] == 20
