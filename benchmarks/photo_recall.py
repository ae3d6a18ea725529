"""Per-class recall and precision of the ``coco`` detector on the project's photos, and per-class thresholds.

    python benchmarks/photo_recall.py [--split dev|test] [--calibrate] [--json OUT]

Ground truth is ``tests/data/photo_objects.json``: for each photo of ``tests/data/photos/``, how many
objects of each COCO class a person sees (counted by looking, before any model ran on the photo).
Detections are compared as counts, per photo and class: ``TP = min(detected, true)``, ``FN = true -
TP``, ``FP = detected - TP``; recall ``TP / (TP + FN)`` and precision ``TP / (TP + FP)`` over the
split. Two rows per class:

* *first pass*: the whole-image pass, as every photo gets it;
* *+ closer look*: where the first pass found none of the class, the closer look for that class
  (2 x 2 tiles, ``vqa.perception.coco.closer_look``), as a question naming the class would get it;
* *+ closer look, counted*: the closer look for every class of the photo, also where the first pass
  found some, as a question counting the class gets it (``look_again``).

``--calibrate`` (development split only) fits the score calibration (Platt scaling of the network's
score: per photo and class, the ``true count`` best-scored objects are the real ones) and chooses a
threshold per class from
``GRID`` that minimises the class's count errors ``FN + FP`` over the development photos (first pass,
ties to the one nearest 0.5), for the classes seen (truly or falsely) in at least ``MIN_PHOTOS``
development photos; every other class keeps the global 0.5. It prints the values of
``vqa.perception.coco.detector.CALIBRATED_THRESHOLDS`` and ``SCORE_CALIBRATION``. The test split is scored once per shipped version.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
MIN_PHOTOS = 3


def counts(objects) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for o in objects:
        out[o.name] += 1
    return out


def tally(truth: dict[str, dict[str, int]], found: dict[str, dict[str, int]]) -> dict[str, list[int]]:
    """Per class ``[TP, FN, FP]`` summed over photos."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for photo, true in truth.items():
        det = found[photo]
        for cls in set(true) | set(det):
            tp = min(true.get(cls, 0), det.get(cls, 0))
            row = out[cls]
            row[0] += tp
            row[1] += true.get(cls, 0) - tp
            row[2] += det.get(cls, 0) - tp
    return out


def fit_platt(scores: np.ndarray, labels: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """``(a, b)`` maximising the likelihood of ``labels`` under ``sigmoid(a * logit(s) + b)`` (Newton's method)."""
    x = np.log(scores / (1 - scores))
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * x + b)))
        g = np.array([((p - labels) * x).sum(), (p - labels).sum()])
        w = p * (1 - p) + 1e-9
        h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]]) + 1e-6 * np.eye(2)
        a, b = np.array([a, b]) - np.linalg.solve(h, g)
    return float(a), float(b)


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of probabilities ``probs`` for binary ``labels`` (equal-width bins)."""
    k = np.minimum((probs * bins).astype(int), bins - 1)
    return float(sum(abs(probs[k == b].mean() - labels[k == b].mean()) * (k == b).mean() for b in range(bins)
                     if (k == b).any()))


def calibrate_scores(detector, images, photos, thresholds) -> None:
    """Fit ``SCORE_CALIBRATION`` on the development photos' first-pass objects (module docstring)."""
    from vqa.perception.coco.detector import CocoDetector

    raw = CocoDetector(detector.net, replace(detector.config, class_thresholds=thresholds, score_calibration=None))
    scores, labels = [], []
    for f, img in images.items():
        by_class = defaultdict(list)
        for o in raw.detect(img).objects:
            by_class[o.name].append(o.score)
        for cls, ss in by_class.items():  # the best ``true count`` of a class are its real objects
            for k, s in enumerate(sorted(ss, reverse=True)):
                scores.append(min(max(s, 1e-4), 1 - 1e-4))
                labels.append(float(k < photos[f].get(cls, 0)))
    s, y = np.array(scores), np.array(labels)
    a, b = fit_platt(s, y)
    p = 1 / (1 + np.exp(-(a * np.log(s / (1 - s)) + b)))
    print(f"{len(s)} first-pass objects, {int(y.sum())} real; ECE (10 bins) of the raw scores {ece(s, y):.3f}, "
          f"calibrated {ece(p, y):.3f}")
    print(f"SCORE_CALIBRATION = ({a:.3f}, {b:.3f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--calibrate", action="store_true", help="choose per-class thresholds (dev only)")
    ap.add_argument("--json", help="write the per-class table here")
    args = ap.parse_args(argv)
    if args.calibrate and args.split != "dev":
        ap.error("thresholds are chosen on the development photos only")

    from PIL import Image

    from vqa.perception.coco.detector import CocoDetector

    data = json.loads((ROOT / "tests/data/photo_objects.json").read_text())["photos"]
    photos = {f: v["objects"] for f, v in data.items() if v["split"] == args.split}
    detector = CocoDetector.from_pretrained()
    images = {f: Image.open(ROOT / "tests/data/photos" / f).convert("RGB") for f in photos}
    tiles = {f: detector.raw_tiles(img) for f, img in images.items()}

    def run(det: CocoDetector, closer: bool, counted: bool = False) -> dict[str, dict[str, int]]:
        found = {}
        for f, img in images.items():
            first = det.detect(img).objects
            c = counts(first)
            if closer:  # one look per class, as a question about that class gets it
                for cls in [cls for cls in photos[f] if counted or not c.get(cls)]:
                    extra, _ = det.detect_in_tiles(img, [cls], first, tile_rows=tiles[f])
                    c[cls] = c.get(cls, 0) + len(extra)
            found[f] = c
        return found

    if args.calibrate:
        found = {t: run(CocoDetector(detector.net, replace(detector.config, score_threshold=t, class_thresholds={})),
                        False) for t in GRID}
        by_t = {t: tally(photos, f) for t, f in found.items()}
        seen = defaultdict(set)  # the photos where a class is, or is detected at the lowest threshold
        for f in photos:
            for cls in set(photos[f]) | set(found[min(GRID)][f]):
                seen[cls].add(f)
        chosen = {}
        for cls in sorted(seen):
            if len(seen[cls]) < MIN_PHOTOS:
                continue
            errors = {t: by_t[t].get(cls, [0, 0, 0])[1] + by_t[t].get(cls, [0, 0, 0])[2] for t in GRID}
            best = min(GRID, key=lambda t: (errors[t], abs(t - 0.5)))
            print(f"{cls}: errors (FN + FP) by threshold {errors} -> {best}")
            if best != 0.5:
                chosen[cls] = best
        print(f"\nCALIBRATED_THRESHOLDS = {json.dumps(chosen)}")
        calibrate_scores(detector, images, photos, chosen)
        return 0

    rows = {"first pass": tally(photos, run(detector, False)), "+ closer look": tally(photos, run(detector, True)),
            "+ closer look, counted": tally(photos, run(detector, True, counted=True))}
    print(f"{len(photos)} {args.split} photos, {sum(sum(v.values()) for v in photos.values())} objects; "
          f"thresholds: 0.5 and {detector.config.class_thresholds or 'no per-class ones'}\n")
    print("| class | true | " + " | ".join(f"{k}: recall | precision" for k in rows) + " |")
    print("|---|---|" + "---|---|" * len(rows))
    table = {}
    classes = sorted(set(rows["first pass"]) | set(rows["+ closer look"]),
                     key=lambda c: -(rows["first pass"].get(c, [0, 0, 0])[0] + rows["first pass"].get(c, [0, 0, 0])[1]))
    pct = lambda a, b: f"{a / b:.0%} ({a}/{b})" if b else "-"  # noqa: E731
    totals = {k: [0, 0, 0] for k in rows}
    for cls in classes:
        cells = []
        for k, t in rows.items():
            tp, fn, fp = t.get(cls, [0, 0, 0])
            totals[k] = [a + b for a, b in zip(totals[k], (tp, fn, fp))]
            cells += [pct(tp, tp + fn), pct(tp, tp + fp)]
            table.setdefault(cls, {})[k] = {"tp": tp, "fn": fn, "fp": fp}
        tp, fn, _ = rows["first pass"].get(cls, [0, 0, 0])
        print(f"| {cls} | {tp + fn} | " + " | ".join(cells) + " |")
    cells = []
    for k in rows:
        tp, fn, fp = totals[k]
        cells += [pct(tp, tp + fn), pct(tp, tp + fp)]
    print(f"| **all** | {totals['first pass'][0] + totals['first pass'][1]} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
