"""Training speed per iteration of `vqa train reasoner` under torchrun: 1 rank vs N ranks (DDP, gloo on CPU).

Runs ``torchrun --standalone --nproc_per_node K -m vqa train reasoner`` for K = 1 and N on the same
small recipe (generated scenes only, the default model and batch: a step sees ``--batch-size``
questions, ``batch / K`` per rank) and reads ``train_seconds`` from each run's ``report.json``.

    python benchmarks/ddp_train_speed.py [--nproc 2] [--iterations 300] [--scenes 500] [--threads 1]

Measured 2026-12-07 on the 2-core shared CPU (load average about 4 from other jobs), 300
iterations, batch 128, one thread per rank: 1 rank 160 ms/iteration, 2 ranks 177 ms/iteration.
Two ranks on two cores that are already busy do not go faster; on a machine with free cores each
rank does half the questions of a step, plus one gradient all-reduce.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--scenes", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted({1, args.nproc}):
            work = Path(tmp) / f"run{n}"
            subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}",
                            "-m", "vqa", "train", "reasoner", "--out", str(work / "weights"), "--workdir", str(work),
                            "--scenes", str(args.scenes), "--val-scenes", "20", "--shared", "",
                            "--iterations", str(args.iterations), "--batch-size", str(args.batch_size),
                            "--eval-every", "1000000", "--threads", str(args.threads), "--no-progress"],
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            report = json.loads((work / "report.json").read_text())
            ms = 1000 * report["train_seconds"] / report["iterations"]
            print(f"{n} rank(s): {report['iterations']} iterations in {report['train_seconds']} s: {ms:.0f} ms/iteration "
                  f"(batch {args.batch_size}, {args.batch_size // n} per rank)")


if __name__ == "__main__":
    main()
