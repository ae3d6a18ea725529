"""Accuracy of ``vqa ask`` on hand-written questions about real photos (``tests/data/photo_questions.json``).

    python benchmarks/photo_questions.py [--questions tests/data/photo_questions.json] [--json OUT]
                                         [--answerer default|rules|reasoner]

Each photo goes through the same path as ``vqa ask IMAGE``: the ``auto`` detector (which picks
``coco`` for every one of these photos), ``detections_to_box_graph``, then ``GraphQA``, which hands
photo graphs to its photo answerer: the default one, or ``--answerer rules``
(``vqa.answer.photo.PhotoAnswerer``) or ``reasoner`` (``vqa.answer.photo_reasoner``). The answers in the file were written by
looking at each photo before the model was run.

Scoring:

* ``covered`` questions (the detector's 80 classes can answer them): correct when the short
  answer equals the written one. "not sure" and "unknown" count as wrong (honest, but no answer).
* not-covered questions (a flag, a rocket, the sky): the right behaviour is to decline, so an
  answer whose status is ``out_of_vocabulary`` or ``unsupported`` counts as honest; any other
  answer is a made-up one.

Prints accuracy per question type (covered), the honesty rate (not covered), abstentions,
every miss, and the median time per question (detection once per photo, then answering).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def resolve(image: dict) -> Path:
    """``{"package", "path"}`` -> the file inside the installed package."""
    spec = importlib.util.find_spec(image["package"])
    if spec is None or spec.origin is None:
        raise SystemExit(f"package {image['package']!r} is not installed (pip install -e '.[dev]')")
    return Path(spec.origin).parent / image["path"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", default=str(ROOT / "tests/data/photo_questions.json"))
    ap.add_argument("--json", help="write per-question results here")
    ap.add_argument("--answerer", default="default", choices=["default", "rules", "reasoner"],
                    help="photo answerer (default: the one GraphQA uses)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from vqa.perception.image_graph import ImageGraphBuilder
    from vqa.pipeline import GraphQA

    questions = json.loads(Path(args.questions).read_text())["questions"]
    builder = ImageGraphBuilder("auto")
    photo = None
    if args.answerer == "rules":
        from vqa.answer.photo import PhotoAnswerer

        photo = PhotoAnswerer()
    elif args.answerer == "reasoner":
        from vqa.answer.photo_reasoner import ReasonerPhotoAnswerer

        photo = ReasonerPhotoAnswerer()
    qa = GraphQA(threads=1, photo=photo)
    graphs, detect_ms, answer_ms, rows = {}, [], [], []
    for q in questions:
        path = resolve(q["image"])
        if path not in graphs:
            t0 = time.perf_counter()
            graphs[path], _ = builder(path)
            detect_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        p = qa.ask(q["question"], graphs[path])
        answer_ms.append((time.perf_counter() - t0) * 1000)
        status = getattr(p, "status", "reasoner")
        if q["covered"]:
            correct = p.answer == q["answer"]
        else:
            correct = status in ("out_of_vocabulary", "unsupported")
        rows.append({**q, "predicted": p.answer, "status": status, "message": getattr(p, "message", ""),
                     "correct": correct, "detector": graphs[path].extra.get("detector"),
                     "objects": [o.name for o in graphs[path].objects]})

    by_type = defaultdict(lambda: [0, 0])
    abstained = 0
    for r in rows:
        if r["covered"]:
            by_type[r["type"]][0] += r["correct"]
            by_type[r["type"]][1] += 1
            abstained += r["status"] != "answered"
    covered = [r for r in rows if r["covered"]]
    uncovered = [r for r in rows if not r["covered"]]
    print(f"{len(rows)} questions on {len(graphs)} photos; detectors used: "
          f"{sorted({r['detector'] for r in rows})}")
    print("\ncovered by the detector's classes (answer must match):")
    print(f"| type | correct | accuracy |\n|---|---|---|")
    for t, (c, n) in sorted(by_type.items()):
        print(f"| {t} | {c}/{n} | {c / n:.0%} |")
    c = sum(r["correct"] for r in covered)
    print(f"| **all covered** | {c}/{len(covered)} | {c / max(len(covered), 1):.0%} |")
    print(f"\nof the covered questions, {abstained} got 'not sure' / 'unknown' (counted wrong)")
    h = sum(r["correct"] for r in uncovered)
    print(f"not covered (must decline honestly): {h}/{len(uncovered)} declined")
    print("\nmisses:")
    for r in rows:
        if not r["correct"]:
            name = Path(r["image"]["path"]).name
            print(f"- {name}: \"{r['question']}\" expected {r['answer']!r}{'' if r['covered'] else ' (not covered)'}, "
                  f"got {r['predicted']!r} [{r['status']}] (objects: {', '.join(r['objects']) or 'none'})")
    print(f"\nper photo: graph (decode + detect + relations) median {statistics.median(detect_ms):.0f} ms; "
          f"per question: answer median {statistics.median(answer_ms):.2f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
