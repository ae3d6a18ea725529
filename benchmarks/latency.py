"""Image -> answer latency: median over held-out real CLEVR images, with the breakdown.

Steps: decode (read + check the PNG), detect (the CLEVR detector), graph (ground positions and
relations), encode (tokenise + question encoder), reason (the rest of the reasoner and the
answer). Then a second question about the same image, which reuses the cached graph.
Models load once before timing, and as in the app the reasoner answers and the CLEVR detector's
networks run through ONNX Runtime (``GraphQA(fast=True)``, ``SceneBuilder(fast=True)``; the script
waits for both exports; ``--eager-detector`` detects with eager PyTorch instead); one warm-up image
is not counted.

    python benchmarks/latency.py [--images 20] [--threads 1] [--detect-threads N] [--eager-detector]
                                 [--detector-weights W] [--weights R]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.data.splits import is_validation  # noqa: E402
from vqa.encode.encoder import tokenize  # noqa: E402
from vqa.perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS  # noqa: E402
from vqa.pipeline.scenes import SceneBuilder  # noqa: E402
from vqa.pipeline.ask import GraphQA  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clevr", default=str(ROOT.parent / "shared" / "data" / "clevr"))
    ap.add_argument("--detector-weights", default=str(DEFAULT_DETECTOR_WEIGHTS))
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the question (default 1, measured fastest)")
    ap.add_argument("--detect-threads", type=int, default=os.cpu_count(),
                    help="torch threads while detecting (default: every core; convolutions split well)")
    ap.add_argument("--eager-detector", action="store_true", help="detect with eager PyTorch, not the ONNX Runtime export")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clevr = Path(args.clevr)
    questions = json.loads((clevr / "CLEVR_train_questions.json").read_text())["questions"]
    by_image: dict[str, list[str]] = {}
    for q in questions:
        if is_validation(q["image_index"]) and (clevr / "images" / q["image_filename"]).is_file():
            by_image.setdefault(q["image_filename"], []).append(q["question"])
    names = sorted(by_image)[: args.images + 1]

    builder = SceneBuilder("clevr", weights=args.detector_weights, detect_threads=args.detect_threads,
                           fast=not args.eager_detector)
    qa = GraphQA(args.weights, threads=args.threads, fast=True)
    if not qa.fast.wait():
        sys.exit(f"no fast path: {qa.fast.failed}")
    print(f"reasoner exported to ONNX Runtime in {qa.fast.seconds:.1f} s (in a child process, at start-up)")
    detector = builder.detector("clevr")
    if not args.eager_detector:
        if not detector.fast.wait():
            sys.exit(f"no fast detector: {detector.fast.failed}")
        print(f"detector's networks exported to ONNX Runtime in {detector.fast.seconds:.1f} s")
    rows, second = [], []
    for k, name in enumerate(names):
        t0 = time.perf_counter()
        scene = builder.build(clevr / "images" / name)
        graph, steps = scene.graph, scene.timings
        t1 = time.perf_counter()
        ids, mask = tokenize([by_image[name][0]], qa.config.encoder.max_tokens)
        with torch.inference_mode():
            qa.model.encoder(ids, mask)
        t2 = time.perf_counter()
        qa.ask(by_image[name][0], graph, top_k=1)
        t3 = time.perf_counter()
        scene = builder.build(clevr / "images" / name)  # same image again: cached graph
        graph2, _ = scene.graph, scene.timings
        qa.ask(by_image[name][1], graph2, top_k=1)
        t4 = time.perf_counter()
        if k == 0:
            continue  # warm-up
        encode = (t2 - t1) * 1000
        rows.append({"decode": steps["decode"], "detect": steps["detect"], "graph": steps["graph"], "encode": encode,
                     "reason": max((t3 - t2) * 1000 - encode, 0.0), "total": (t1 - t0) * 1000 + (t3 - t2) * 1000})
        second.append((t4 - t3) * 1000)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    how = "eager" if args.eager_detector else "ONNX Runtime"
    print(f"image -> answer over {len(rows)} held-out real CLEVR images, {args.detect_threads} thread(s) detecting "
          f"({how}), {args.threads} answering: "
          f"median {med['total']:.1f} ms")
    for k in ("decode", "detect", "graph", "encode", "reason"):
        print(f"  {k:7s} {med[k]:7.1f} ms")
    print(f"second question on the same image (cached graph): median {statistics.median(second):.1f} ms")


if __name__ == "__main__":
    main()
