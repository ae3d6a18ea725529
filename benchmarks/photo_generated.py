"""Rule-based answerer vs trained photo reasoner on held-out generated photo questions.

    python benchmarks/photo_generated.py [--scenes 400] [--seed 10000] [--weights W]

The scenes and questions are those of the photo reasoner's validation split
(``vqa.reason.photo.build_photo_data``: seed ``PhotoTrainConfig.seed + 10_000``, half the scenes with
detector-like class / colour rows), never trained on. Both answerers get every question through
the same interface (``PhotoAnswer``); "not sure" counts as wrong. Prints accuracy per question
type and how many answers each withheld.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", type=int, default=400, help="validation scenes (default 400, as training)")
    ap.add_argument("--seed", type=int, default=10_000, help="scene seed (default 10000: the validation seed)")
    ap.add_argument("--weights", help="photo reasoner weights (default weights/photo-reasoner)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from vqa.answer.photo import PhotoAnswerer
    from vqa.answer.photo_reasoner import ReasonerPhotoAnswerer
    from vqa.reason.photo import PhotoTrainConfig, photo_split

    tc = PhotoTrainConfig()
    graphs, examples = photo_split(args.scenes, tc.questions_per_scene, args.seed, "PHOTO_VAL", tc.detector_like)
    answerers = {"rules": PhotoAnswerer(), "reasoner": ReasonerPhotoAnswerer(args.weights)}
    answers = [tc.model.answers[e.answer] for e in examples]
    print(f"{len(examples)} questions on {len(graphs)} held-out generated scenes")
    print("| type | n | " + " | ".join(answerers) + " |\n|---|---|" + "---|" * len(answerers))
    table, total, withheld, seconds = defaultdict(lambda: defaultdict(int)), defaultdict(int), defaultdict(int), {}
    for name, answerer in answerers.items():
        t0 = time.perf_counter()
        for e, gold in zip(examples, answers):
            got = answerer(e.question, graphs[e.scene])
            table[e.family][name] += got.answer == gold
            total[name] += got.answer == gold
            withheld[name] += got.status != "answered"
        seconds[name] = time.perf_counter() - t0
    counts = defaultdict(int)
    for e in examples:
        counts[e.family] += 1
    for fam in sorted(counts):
        print(f"| {fam} | {counts[fam]} | " + " | ".join(f"{table[fam][a] / counts[fam]:.1%}" for a in answerers) + " |")
    print(f"| **all** | {len(examples)} | " + " | ".join(f"**{total[a] / len(examples):.2%}**" for a in answerers) + " |")
    for a in answerers:
        print(f"{a}: withheld (not sure / not found) {withheld[a]}, {seconds[a] / len(examples) * 1000:.1f} ms per question")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
