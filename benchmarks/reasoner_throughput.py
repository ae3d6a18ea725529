"""Questions per second of the shipped reasoner in `vqa eval` on gold graphs, vs the symbolic executor.

Calls what `vqa eval --benchmark clevr --graphs gold` calls (``run_clevr_model``: load questions,
scenes and model, then tokenise, batch, encode and reason) over the 9,320 shared CLEVR questions in
this process. Reports the answering rate (after loading) and the whole call's rate, and the program
executor over the same questions (which reads the programs, the model does not).

With ``--nproc N`` it runs the command itself instead, as one process (on ``--threads`` and on N
threads) and as N torchrun ranks, with
``--limit 500`` and ``--limit 5000``, and reports the marginal rate: 4,500 questions over the
difference of the two commands' wall times (start-up and loading cancel out), best and median of
``--repeats`` runs of each, run in turn. Whole-process times on this 2-core machine vary by up to a
second from run to run (import and loading), so it also reports the marginal rate of the answering
time the command itself logs ("answered N questions in S s"), which start-up does not touch.

    python benchmarks/reasoner_throughput.py [--threads 1] [--batch-size 512] [--repeats 5] [--nproc 2]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.data.executor import SceneIndex, answer_to_str, execute_program  # noqa: E402
from vqa.pipeline.batch import run_clevr_model  # noqa: E402
from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clevr", default=str(ROOT.parent / "shared" / "data" / "clevr"))
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--nproc", type=int, help="time `vqa eval` as one process and as NPROC torchrun ranks (marginal rate)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=512)  # `vqa eval`'s default
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    clevr = Path(args.clevr)
    qpath, spath = clevr / "CLEVR_train_questions.json", clevr / "CLEVR_train_scenes.json"
    if args.nproc:
        return marginal(args, qpath, spath)

    # the reference first: timed after the model runs, it measured 2-4x slower (not explained)
    questions = json.loads(qpath.read_text())["questions"]
    scenes = load_clevr_scenes(spath)
    t = time.perf_counter()
    index = {g.image_filename: SceneIndex.of(g) for g in scenes}
    sym = [answer_to_str(execute_program(q["program"], index[q["image_filename"]])[-1]) for q in questions]
    t_sym = time.perf_counter() - t
    sym_acc = sum(a == q["answer"] for a, q in zip(sym, questions)) / len(questions)

    best, best_total, acc = float("inf"), float("inf"), 0.0
    for _ in range(args.repeats):
        t = time.perf_counter()
        run = run_clevr_model(qpath, spath, args.weights, batch_size=args.batch_size, threads=args.threads,
                              progress=False)
        best_total = min(best_total, time.perf_counter() - t)
        best = min(best, run.answer_seconds)
        acc = run.metrics["accuracy"]
    n = run.total

    print(f"questions: {n}  one process, threads: {args.threads}  batch: {args.batch_size}")
    print(f"reasoner, answering (best of {args.repeats}): {best:.3f} s  {n / best:,.0f} questions/s  accuracy {acc:.4f} "
          "(all shared questions, train and validation scenes)")
    print(f"reasoner, whole call incl. loading questions, scenes and model: {best_total:.3f} s  {n / best_total:,.0f} questions/s")
    print(f"symbolic executor (reads the programs): {t_sym:.3f} s  {n / t_sym:,.0f} questions/s  accuracy {sym_acc:.4f}")


def marginal(args, qpath: Path, spath: Path) -> None:
    """Best wall time of `vqa eval --limit 500` and `--limit 5000`, in one process (on --threads and on
    --nproc threads) and under torchrun; each launcher's OMP_NUM_THREADS is its thread count."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    one = [sys.executable, "-m", "vqa"]
    # (launcher, torch threads per process); one process on NPROC threads as well: a third to a half faster on 2
    # cores than one thread, not the default because a probability's last digit may then differ at small batches
    launchers = {f"one process, {t} thread(s)": (one, t) for t in dict.fromkeys([args.threads, args.nproc])}
    launchers[f"torchrun --nproc_per_node {args.nproc}"] = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                            f"--nproc_per_node={args.nproc}", "-m", "vqa"], args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (launcher, threads) in launchers.items():
            env["OMP_NUM_THREADS"] = str(threads)
            times: dict[int, list[float]] = {500: [], 5000: []}
            answering: dict[int, list[float]] = {500: [], 5000: []}  # what the command says it spent answering
            for _ in range(args.repeats):  # the two limits in turn, so that a slow spell of the machine hits both
                for limit in (500, 5000):
                    cmd = [*launcher, "eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", str(qpath),
                           "--scenes", str(spath), "--weights", args.weights, "--batch-size", str(args.batch_size),
                           "--threads", str(threads), "--limit", str(limit), "--no-progress",
                           "--predictions-out", f"{tmp}/p.json"]
                    t = time.perf_counter()
                    run = subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         text=True)
                    times[limit].append(time.perf_counter() - t)
                    answering[limit].append(float(re.search(r"answered \d+ questions in ([\d.]+) s", run.stderr)[1]))
            best = {limit: min(ts) for limit, ts in times.items()}
            median = {limit: statistics.median(ts) for limit, ts in times.items()}
            inside = {limit: statistics.median(ts) for limit, ts in answering.items()}
            print(f"{name}: --limit 500 {best[500]:.2f} s, --limit 5000 {best[5000]:.2f} s (best of {args.repeats}); "
                  f"marginal {4500 / (best[5000] - best[500]):,.0f} questions/s "
                  f"(medians {median[500]:.2f} s and {median[5000]:.2f} s: "
                  f"{4500 / (median[5000] - median[500]):,.0f} questions/s); "
                  f"answering as `vqa eval -v` times it, medians {inside[500]:.3f} s and {inside[5000]:.3f} s: "
                  f"{4500 / (inside[5000] - inside[500]):,.0f} questions/s")
            # each repeat's own pair (its two runs were back to back): how far the rate moves between repeats
            rates = sorted(4500 / (b - a) for a, b in zip(answering[500], answering[5000]) if b > a)
            if rates:
                print(f"  per repeat, answering: median {statistics.median(rates):,.0f}, range {rates[0]:,.0f}-{rates[-1]:,.0f} "
                      "questions/s")

if __name__ == "__main__":
    main()
