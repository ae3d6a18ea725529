"""Questions per second of the shipped reasoner in `vqa eval` on gold graphs, vs the symbolic executor.

Runs the same code path as `vqa eval --benchmark clevr --graphs gold` (tokenise, batch, encode,
reason) over the 9,320 shared CLEVR questions, after loading the scenes and the model, and the
program executor over the same questions (which reads the programs, the model does not).

    python benchmarks/reasoner_throughput.py [--threads 2] [--batch-size 1024] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.data.executor import SceneIndex, answer_to_str, execute_program  # noqa: E402
from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.reason.batching import GraphCache  # noqa: E402
from vqa.reason.inference import run_batches  # noqa: E402
from vqa.reason.io import DEFAULT_WEIGHTS, load_reasoner  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clevr", default=str(ROOT.parent / "shared" / "data" / "clevr"))
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clevr = Path(args.clevr)
    scenes = load_clevr_scenes(clevr / "CLEVR_train_scenes.json")
    questions = json.loads((clevr / "CLEVR_train_questions.json").read_text())["questions"]
    model = load_reasoner(args.weights)
    texts, keys = [q["question"] for q in questions], [q["image_filename"] for q in questions]

    best, acc = float("inf"), 0.0
    for _ in range(args.repeats):
        cache = GraphCache(model.config.vocab)  # graph tensors are built inside the timed run
        for g in scenes:
            cache.add(g.image_filename, g)
        t = time.perf_counter()
        preds = [None] * len(texts)
        for idx, out in run_batches(model, texts, keys, cache, args.batch_size):
            for i, a in zip(idx, out.logits.argmax(-1).tolist()):
                preds[i] = model.config.answers[a]
        best = min(best, time.perf_counter() - t)
        acc = sum(p == q["answer"] for p, q in zip(preds, questions)) / len(questions)

    t = time.perf_counter()
    index = {g.image_filename: SceneIndex.of(g) for g in scenes}
    sym = [answer_to_str(execute_program(q["program"], index[q["image_filename"]])[-1]) for q in questions]
    t_sym = time.perf_counter() - t
    sym_acc = sum(a == q["answer"] for a, q in zip(sym, questions)) / len(questions)

    n = len(questions)
    print(f"questions: {n}  threads: {args.threads}  batch: {args.batch_size}")
    print(f"reasoner (best of {args.repeats}): {best:.3f} s  {n / best:,.0f} questions/s  accuracy {acc:.4f} "
          "(all shared questions, train and validation scenes)")
    print(f"symbolic executor (reads the programs): {t_sym:.3f} s  {n / t_sym:,.0f} questions/s  accuracy {sym_acc:.4f}")


if __name__ == "__main__":
    main()
