"""Photo -> answer latency, as ``vqa ask PHOTO QUESTION`` spends it once its models are loaded.

For each photo of ``tests/data/photos/`` (a fresh image cache per photo, so every first question
reads, decodes and detects): the first question, "What is in the picture?" (no closer look: it
names no class), timed from the file to the answer; then a second question about the same photo,
"How many objects are there?", which reuses the cached graph. One warm-up photo is not counted.
Also the first question that names a class the first pass lacks ("Is there a giraffe?"), which
runs the closer look (four more network passes), for reference.

    python benchmarks/photo_answer_latency.py [--photos 70] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=70, help="how many photos (default: all 70)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from vqa.encode.photo_phrases import question_classes
    from vqa.perception.coco.detector import CocoDetector
    from vqa.pipeline.ask import GraphQA
    from vqa.pipeline.scenes import SceneBuilder

    photos = sorted((ROOT / "tests/data/photos").glob("*.jpg"))[: args.photos + 1]
    qa = GraphQA(threads=args.threads)
    coco = CocoDetector.from_pretrained()  # loaded once, as in vqa ask, the app and vqa batch
    first, second, looked = [], [], []
    for k, path in enumerate(photos):
        builder = SceneBuilder(coco)  # an empty image cache: the first question pays for the photo
        t0 = time.perf_counter()
        graph = builder.build(path, look_for=question_classes("What is in the picture?")).graph
        qa.ask("What is in the picture?", graph)
        t1 = time.perf_counter()
        graph = builder.build(path, look_for=question_classes("How many objects are there?")).graph
        qa.ask("How many objects are there?", graph)
        t2 = time.perf_counter()
        graph = builder.build(path, look_for=question_classes("Is there a giraffe?")).graph
        qa.ask("Is there a giraffe?", graph)
        t3 = time.perf_counter()
        if k:  # the first photo warms up
            first.append((t1 - t0) * 1000)
            second.append((t2 - t1) * 1000)
            if graph.extra.get("closer_look"):
                looked.append((t3 - t2) * 1000)

    def line(name, xs):
        xs = sorted(xs)
        return (f"{name}: median {statistics.median(xs):.1f} ms, p95 {xs[int(0.95 * (len(xs) - 1))]:.1f} ms "
                f"(n={len(xs)})")

    print(line("photo -> answer (first question, no closer look)", first))
    print(line("second question, cached graph", second))
    if looked:
        print(line("a question naming a class the photo lacks (closer look)", looked))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
