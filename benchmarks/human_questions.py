"""Accuracy of the shipped reasoner on hand-written, human-style CLEVR questions (gold graphs).

The questions (tests/data/human_questions_{dev,test}.json, see tests/data/README.md) use words
and word orders the templates never produce: synonyms, typos, casual wording, paraphrases.
Use the dev set for any decision; report the test set once.

    python benchmarks/human_questions.py [--split dev|test] [--weights W]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.reason.batching import GraphCache  # noqa: E402
from vqa.reason.inference import run_batches  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS, Reasoner  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--scenes", default=str(ROOT.parent / "shared" / "data" / "clevr" / "CLEVR_train_scenes.json"))
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    questions = json.loads((ROOT / "tests" / "data" / f"human_questions_{args.split}.json").read_text())["questions"]
    model = Reasoner.from_pretrained(args.weights)
    cache = GraphCache(model.config.vocab)
    for g in load_clevr_scenes(args.scenes):
        cache.add(g.image_filename, g)
    preds = [None] * len(questions)
    for idx, out in run_batches(model, [q["question"] for q in questions], [q["image_filename"] for q in questions], cache):
        for i, a in zip(idx, out.logits.argmax(-1).tolist()):
            preds[i] = model.config.answers[a]
    right = [p == q["answer"] for p, q in zip(preds, questions)]
    print(f"human questions ({args.split}): {sum(right)}/{len(right)} = {sum(right) / len(right):.1%}")
    for key in ("style", "kind"):
        groups = defaultdict(list)
        for q, r in zip(questions, right):
            groups[q[key]].append(r)
        print(f"  by {key}: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(groups.items())))
    if args.show_misses:
        for q, p, r in zip(questions, preds, right):
            if not r:
                print(f"  miss: {q['question']!r} -> {p} (answer {q['answer']})")


if __name__ == "__main__":
    main()
