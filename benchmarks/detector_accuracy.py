"""Detector accuracy on the held-out real CLEVR images (image index a multiple of 5), and the
end-to-end answer accuracy from pixels on their shared questions.

A predicted object matches an annotated one when its centre lies within 10 px of the annotated
``pixel_coords``. Prints recall, precision, attribute accuracy of matched objects, and the
agreement of left/right/front/behind between the predicted and the annotated graph over matched
pairs; then answers every shared question of those images from the predicted graph (and, for
comparison, from the gold graph) with the shipped reasoner. ``--renders DIR...`` also scores the images
of ``vqa render`` folders (``scenes.json``), e.g. the test renders (``vqa.data.splits``), and answers
``--render-questions`` questions per scene drawn from CLEVR's templates from their pixels;
``--dev-images`` the development images (index 1 mod 5), unseen by weights trained with
``vqa train detector --dev-holdout``; ``--list-errors`` prints each miss, false detection and
attribute error of those (the held-out images' are only counted), and each render question answered
wrong from pixels with the detection errors of its image. ``--fast`` detects through the
ONNX Runtime export of the detector's networks, as the app and ``benchmarks/latency.py`` do
(``SceneBuilder(fast=True)``), instead of eager PyTorch.

    python benchmarks/detector_accuracy.py [--detector-weights W] [--weights REASONER] [--no-qa] [--renders DIR...]
                                           [--train-images] [--dev-images] [--list-errors] [--fast] [--json OUT]
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

from vqa.data.splits import is_development, is_validation  # noqa: E402
from vqa.graph.from_detections import detections_to_graph  # noqa: E402
from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS, ClevrDetector  # noqa: E402
from vqa.train.detector_eval import score_graphs  # noqa: E402
from vqa.perception.image import load_image  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS  # noqa: E402


def qa_accuracy(weights: str, questions: list[dict], graphs: dict, wrong: list | None = None) -> float:
    """The share of ``questions`` answered right from ``graphs``; each wrong one is appended to ``wrong``."""
    from vqa.pipeline.ask import GraphQA

    qa = GraphQA(weights)
    right = 0
    for q in questions:
        said = qa.ask(q["question"], graphs[q["image_filename"]], top_k=1).answers[0][0]
        right += said == q["answer"]
        if said != q["answer"] and wrong is not None:
            wrong.append({"image": q["image_filename"], "question": q["question"], "answer": q["answer"], "said": said})
    return right / max(len(questions), 1)


def print_wrong_answers(wrong: list[dict], errors: list[dict]) -> None:
    """Each question answered wrong from pixels, and whether its image has a detection error."""
    kinds = {}
    for e in errors:
        kinds.setdefault(e["image"], []).append(e["kind"])
    for w in wrong:
        cause = ", ".join(kinds.get(w["image"], [])) or "no detection error"
        print(f"    wrong answer {w['image']}: {w['question']!r} is {w['answer']!r}, said {w['said']!r} ({cause})")


def detect_and_score(det, scenes: list, images: Path) -> tuple[dict, dict]:
    """Predicted graphs by file name, and ``score_graphs``' figures plus the detection time per image."""
    t0 = time.perf_counter()
    pred = {g.image_filename: detections_to_graph(det.detect(load_image(images / g.image_filename)), g.image_filename)
            for g in scenes}
    seconds = time.perf_counter() - t0
    fig = score_graphs([pred[g.image_filename] for g in scenes], scenes)
    fig["detect_seconds_per_image"] = seconds / max(len(scenes), 1)
    return pred, fig


def real_scenes(clevr: Path, keep) -> list:
    """Annotated scenes of the shared real images whose image index passes ``keep``."""
    return [g for g in load_clevr_scenes(clevr / "CLEVR_train_scenes.json")
            if keep(g.image_index) and (clevr / "images" / g.image_filename).is_file()]


def print_figures(title: str, fig: dict, list_errors: bool = False) -> None:
    print(f"{title}: {fig['images']} ({fig['gold_objects']} objects), "
          f"{fig['detect_seconds_per_image'] * 1000:.0f} ms per image")
    print(f"  recall     {fig['recall']:.2%}  ({fig['matched']}/{fig['gold_objects']}, centre within 10 px)")
    print(f"  precision  {fig['precision']:.2%}  ({fig['matched']}/{fig['predicted_objects']})")
    print(f"  all 4 attributes right  {fig['all_attributes_accuracy']:.2%} of matched objects")
    for a, v in fig["attribute_accuracy"].items():
        print(f"    {a:9s} {v:.2%}")
    print(f"  relations agree  {fig['relation_agreement']:.2%} of {fig['relation_pairs']} (pair, predicate) among matched objects")
    if list_errors:
        for e in fig["errors"]:
            said = "; ".join(f"{side} {e[side]['object']} at {e[side]['pixel']} (score {e[side]['score']:.2f})"
                             for side in ("gold", "predicted") if side in e)
            print(f"    {e['kind']:10s} {e['image']}: {said}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clevr", default=str(ROOT.parent / "shared" / "data" / "clevr"))
    ap.add_argument("--detector-weights", default=str(DEFAULT_DETECTOR_WEIGHTS))
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="reasoner weights for the end-to-end figure")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-qa", action="store_true", help="skip the end-to-end question answering")
    ap.add_argument("--renders", nargs="*", default=[], help="also score these `vqa render` folders (scenes.json + images/)")
    ap.add_argument("--render-questions", type=int, default=10,
                    help="questions per render scene drawn from CLEVR's templates (seed 0) for the answers-from-pixels "
                         "figure of --renders (0: none)")
    ap.add_argument("--train-images", action="store_true",
                    help="also score the real training images (index not a multiple of 5; the detector trained on them)")
    ap.add_argument("--dev-images", action="store_true",
                    help="also score the development images (index 1 mod 5; unseen only by --dev-holdout weights)")
    ap.add_argument("--list-errors", action="store_true",
                    help="print each miss, false detection and attribute error, and each render question answered "
                         "wrong from pixels (not for the held-out images: choices are not made on them)")
    ap.add_argument("--fast", action="store_true",
                    help="detect through the ONNX Runtime export (the app's path; waits for the export)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clevr = Path(args.clevr)
    gold = {g.image_filename: g for g in real_scenes(clevr, is_validation)}
    det = ClevrDetector.from_pretrained(args.detector_weights, fast=args.fast, threads=args.threads)
    if args.fast and not det.fast.wait():
        sys.exit(f"no fast path: {det.fast.failed}")
    pred, fig = detect_and_score(det, [gold[n] for n in sorted(gold)], clevr / "images")
    print_figures("held-out real CLEVR images", fig)
    if not args.no_qa and Path(args.weights).is_file():
        qs = [q for q in json.loads((clevr / "CLEVR_train_questions.json").read_text())["questions"] if q["image_filename"] in gold]
        fig["qa_questions"] = len(qs)
        fig["qa_accuracy_predicted_graphs"] = qa_accuracy(args.weights, qs, pred)
        fig["qa_accuracy_gold_graphs"] = qa_accuracy(args.weights, qs, gold)
        print(f"  answers from pixels  {fig['qa_accuracy_predicted_graphs']:.2%} of {len(qs)} shared questions "
              f"(gold graphs: {fig['qa_accuracy_gold_graphs']:.2%})")
    if args.train_images:  # in-sample for the detector: where choices are made besides fresh renders
        train = real_scenes(clevr, lambda i: not is_validation(i))
        fig["train_images"] = detect_and_score(det, train, clevr / "images")[1]
        print_figures("real training images", fig["train_images"], args.list_errors)
    if args.dev_images:
        fig["dev_images"] = detect_and_score(det, real_scenes(clevr, is_development), clevr / "images")[1]
        print_figures("development real images", fig["dev_images"], args.list_errors)
    for folder in map(Path, args.renders):
        from vqa.graph.io import scene_from_clevr

        scenes = [scene_from_clevr(s) for s in json.loads((folder / "scenes.json").read_text())["scenes"]]
        key = f"renders:{folder}"
        pred_r, fig[key] = detect_and_score(det, scenes, folder / "images")
        # relations: the renders jitter the camera per image, the detector assumes CLEVR's mean camera
        print_figures(f"renders in {folder}", fig[key], args.list_errors)
        if args.render_questions and not args.no_qa and Path(args.weights).is_file():
            from vqa.data.generator import generate_questions

            qs = generate_questions(scenes, args.render_questions, seed=0, progress=False)
            by_name = {g.image_filename: g for g in scenes}
            fig[key]["qa_questions"] = len(qs)
            wrong: list[dict] = []
            fig[key]["qa_accuracy_predicted_graphs"] = qa_accuracy(args.weights, qs, pred_r, wrong)
            fig[key]["qa_accuracy_gold_graphs"] = qa_accuracy(args.weights, qs, by_name)
            print(f"  answers from pixels  {fig[key]['qa_accuracy_predicted_graphs']:.2%} of {len(qs)} generated "
                  f"questions (gold graphs: {fig[key]['qa_accuracy_gold_graphs']:.2%})")
            if args.list_errors:
                print_wrong_answers(wrong, fig[key]["errors"])
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2) + "\n")


if __name__ == "__main__":
    main()
