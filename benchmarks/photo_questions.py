"""Accuracy of ``vqa ask`` on hand-written questions about real photos (``tests/data/photo_questions.json``).

    python benchmarks/photo_questions.py [--questions tests/data/photo_questions.json] [--json OUT]
                                         [--answerer default|rules|reasoner] [--no-closer-look] [--probe]

Each photo goes through the same path as ``vqa ask IMAGE``: the ``auto`` detector (which picks
``coco`` for every one of these photos), ``detections_to_box_graph``, then ``GraphQA``, which hands
photo graphs to its photo answerer: the default one, or ``--answerer rules``
(``vqa.reason.photo_rules.PhotoAnswerer``) or ``reasoner`` (``vqa.reason.photo_answerer``). As in ``vqa ask``, a
question naming a class the photo's graph lacks gets a closer look (``vqa.perception.coco.closer_look``:
the detector again over 2 x 2 tiles, for that class only); ``--no-closer-look`` answers every
question from the first pass. The answers in the file were written by looking at each photo before
the model was run.

Scoring:

* ``covered`` questions (the detector's 80 classes can answer them): correct when the short
  answer equals the written one. "not sure" and "unknown" count as wrong (honest, but no answer);
  the table also gives how many were declined and how many of the answers given were right.
* not-covered questions (a flag, a rocket, the sky): the right behaviour is to decline, so an
  answer whose status is ``out_of_vocabulary`` or ``unsupported`` counts as honest, and so does
  the written answer itself (a synonym may make the question answerable: "Are there chickens?" is
  about COCO's birds); any other answer is a made-up one (``score``).

Prints accuracy per question type (covered), the honesty rate (not covered), abstentions,
every miss, the closer looks taken (what they found, which answers they changed) and the median
time per photo (first pass) and per question (closer look, when one is taken, plus answering),
for the questions with and without a closer look. ``--probe`` also asks each photo about every
one of the 80 classes its first pass lacks and lists what a closer look would add (the tiles'
rows are computed once per photo): the closer look's answer to "Is there a X?" for all X.
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
    """``{"file"}`` or ``{"path"}`` in this repository, or ``{"package", "path"}`` inside an installed package."""
    if image.get("file") or "package" not in image:
        return ROOT / (image.get("file") or image["path"])
    spec = importlib.util.find_spec(image["package"])
    if spec is None or spec.origin is None:
        raise SystemExit(f"package {image['package']!r} is not installed (pip install -e '.[dev]')")
    return Path(spec.origin).parent / image["path"]


def score(q: dict, p) -> bool:
    """A covered question needs the written answer; a not-covered one an honest decline."""
    if q["covered"]:
        return p.answer == q["answer"]
    return getattr(p, "status", "reasoner") in ("out_of_vocabulary", "unsupported") or p.answer == q["answer"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", default=str(ROOT / "tests/data/photo_questions_dev.json"),
                    help="questions file (default: the development half; score the test half once per version)")
    ap.add_argument("--json", help="write per-question results here")
    ap.add_argument("--answerer", default="default", choices=["default", "rules", "reasoner"],
                    help="photo answerer (default: the one GraphQA uses)")
    ap.add_argument("--photo-weights", help="photo reasoner .safetensors (default: the shipped one)")
    ap.add_argument("--no-closer-look", action="store_true", help="first-pass graphs only (no tiles)")
    ap.add_argument("--probe", action="store_true",
                    help="also list what a closer look adds to each photo for every class its first pass lacks")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from vqa.encode.photo_phrases import question_looks
    from vqa.pipeline.scenes import SceneBuilder
    from vqa.pipeline.ask import GraphQA

    questions = json.loads(Path(args.questions).read_text())["questions"]
    builder = SceneBuilder("auto", closer_look=not args.no_closer_look)
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer
    from vqa.reason.photo_rules import PhotoAnswerer

    photo = (PhotoAnswerer() if args.answerer == "rules" else
             ReasonerPhotoAnswerer(args.photo_weights, rules_first=args.answerer == "default"))
    qa = GraphQA(threads=1, photo=photo)
    graphs, detect_ms, rows, tiled = {}, [], [], set()
    for q in questions:
        path = resolve(q["image"])
        if path not in graphs:  # the first pass, once per photo
            t0 = time.perf_counter()
            scene = builder.build(path)
            graphs[path], _ = scene.graph, scene.timings
            detect_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        scene = builder.build(path, **question_looks(q["question"]))
        graph, timings = scene.graph, scene.timings
        p = qa.ask(q["question"], graph)
        ms = (time.perf_counter() - t0) * 1000
        look = graph.extra.get("closer_look")
        if look:  # the builder keeps the tiles' rows per photo: only its first closer look runs the network
            first = qa.ask(q["question"], graphs[path])
            look = {**look, "ms": timings["closer_look"], "network": path not in tiled,
                    "first_pass_answer": first.answer, "first_pass_correct": score(q, first)}
            tiled.add(path)
        rows.append({**q, "predicted": p.answer, "status": getattr(p, "status", "reasoner"),
                     "message": getattr(p, "message", ""), "correct": score(q, p),
                     "answers": [list(a) for a in getattr(p, "answers", [])][:5],
                     "detector": graph.extra.get("detector"), "objects": [o.name for o in graph.objects],
                     "ms": ms, "closer_look": look})

    by_type = defaultdict(lambda: [0, 0, 0])  # right, questions, declined
    abstained = 0
    for r in rows:
        if r["covered"]:
            by_type[r["type"]][0] += r["correct"]
            by_type[r["type"]][1] += 1
            by_type[r["type"]][2] += r["status"] != "answered"
            abstained += r["status"] != "answered"
    covered = [r for r in rows if r["covered"]]
    uncovered = [r for r in rows if not r["covered"]]
    print(f"{len(rows)} questions on {len(graphs)} photos; detectors used: "
          f"{sorted({r['detector'] for r in rows})}")
    print("\ncovered by the detector's classes (answer must match):")
    print("| type | right | accuracy | declined ('not sure', 'unknown') | right among the answers given |")
    print("|---|---|---|---|---|")
    for t, (c, n, d) in sorted(by_type.items()):
        print(f"| {t} | {c}/{n} | {c / n:.0%} | {d} | {c}/{n - d} ({c / max(n - d, 1):.0%}) |")
    c = sum(r["correct"] for r in covered)
    n, d = len(covered), abstained
    print(f"| **all covered** | {c}/{n} | {c / max(n, 1):.0%} | {d} | {c}/{n - d} ({c / max(n - d, 1):.0%}) |")
    print(f"\nof the covered questions, {abstained} got 'not sure' / 'unknown' (counted wrong)")
    h = sum(r["correct"] for r in uncovered)
    print(f"not covered (must decline honestly or answer right): {h}/{len(uncovered)} "
          f"({sum(r['predicted'] == r['answer'] for r in uncovered)} answered right)")
    print("\nmisses:")
    for r in rows:
        if not r["correct"]:
            name = Path(r["image"]["path"]).name
            print(f"- {name}: \"{r['question']}\" expected {r['answer']!r}{'' if r['covered'] else ' (not covered)'}, "
                  f"got {r['predicted']!r} [{r['status']}] (objects: {', '.join(r['objects']) or 'none'})")
    looked = [r for r in rows if r["closer_look"]]
    print(f"\ncloser looks: {len(looked)} questions named a class missing from the first pass "
          f"({sum(r['closer_look']['network'] for r in looked)} ran the network over the tiles, the others "
          "reused the photo's tile rows)")
    for r in looked:
        lk, name = r["closer_look"], Path(r["image"]["path"]).name
        was = "" if lk["first_pass_answer"] == r["predicted"] else f"; first pass: {lk['first_pass_answer']!r}"
        print(f"- {name}: \"{r['question']}\" looked for {', '.join(lk['classes'])}: found {lk['found']} "
              f"({lk['ms']:.0f} ms){was}; {'right' if r['correct'] else 'wrong'}")
    changed = [r for r in looked if r["closer_look"]["first_pass_answer"] != r["predicted"]]
    fixed = sum(r["correct"] and not r["closer_look"]["first_pass_correct"] for r in changed)
    broken = sum(not r["correct"] and r["closer_look"]["first_pass_correct"] for r in changed)
    print(f"answers changed by a closer look: {len(changed)}: {fixed} wrong -> right, {broken} right -> wrong, "
          f"{len(changed) - fixed - broken} wrong -> wrong")
    ms = {"network": [r["ms"] for r in looked if r["closer_look"]["network"]],
          "tile rows reused": [r["ms"] for r in looked if not r["closer_look"]["network"]],
          "no closer look": [r["ms"] for r in rows if not r["closer_look"]]}
    print(f"\nper photo: graph (decode + detect + relations) median {statistics.median(detect_ms):.0f} ms")
    print("per question (cached graph, closer look when taken, answer): " + "; ".join(
        f"{k} median {statistics.median(v):.1f} ms (n={len(v)})" for k, v in ms.items() if v))
    if args.probe:
        from vqa.vocab.coco import COCO_CLASSES

        print("\nprobe: a closer look for each class missing from each photo's first pass")
        for path, first in graphs.items():
            added = []
            for cls in COCO_CLASSES:
                scene = builder.build(path, look_for=[cls])
                g, _ = scene.graph, scene.timings
                added += [f"{o.name} {o.score:.2f}" for o in g.objects if o.extra.get("closer_look")]
            missing = len(set(COCO_CLASSES) - {o.name for o in first.objects})
            print(f"- {path.name}: {missing} classes looked for, found: {', '.join(added) or 'nothing'}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
