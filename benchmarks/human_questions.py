"""Accuracy and calibration of the shipped reasoner on hand-written, human-style CLEVR questions (gold graphs).

Four sets (tests/data/README.md): ``v1`` (human_questions_{dev,test}.json, 100 each: synonyms,
typos, casual wording, paraphrases), ``v2`` (human_questions_v2_{dev,test}.json: free comparisons,
relative clauses, negation, quantifiers, and questions CLEVR cannot express, whose right answer is
"not sure"), ``v3`` (human_questions_v3_{dev,test}.json: in the style of CLEVR-Humans, written
without reading the parser, the templates or the earlier sets) and ``v4`` (human_questions_v4_dev.json,
written the same way; development only). Use the dev sets for every decision; score a test set once per version.

Each set is scored four ways: the reasoner's top answer as trained (``free``); restricted to the
answer type the question asks for (``typed``, ``vqa.answer.expected``); typed, with the calibration
fitted for the weights, so "not sure" where it applies (``reasoner``); and as ``vqa ask`` answers
(``answered``: ``GraphQA.explain``, one question at a time, which also lets the CLEVR rules answer the
questions they read, ``vqa.reason.clevr_rules``). ``answered`` is also given over the questions CLEVR can
express (``expressible``), with how many the rules took. It reports wrong-type answers and the expected
calibration error (15 bins) of the reasoner's best answer, before and after the temperature (an
unanswerable question's best answer counts as wrong).

Graphs are the gold ones of the shared scenes file, or with ``--graphs predicted`` the CLEVR detector's
graphs of the images in ``--images`` (every scene of the sets has one).

    python benchmarks/human_questions.py [--set v1|v2|v3|v4|both] [--split dev|test] [--graphs gold|predicted]
                                         [--show-misses]
    python benchmarks/human_questions.py --fit   # refit the temperature and "not sure" on both dev sets
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.answer.calibration import NOT_SURE_ANSWER, Calibration, calibration_for  # noqa: E402
from vqa.answer.expected import answer_mask, restrict_logits  # noqa: E402
from vqa.answer.prediction import PARSED, clevr_predictions  # noqa: E402
from vqa.eval.calibration import expected_calibration_error  # noqa: E402
from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.pipeline.ask import GraphQA  # noqa: E402
from vqa.reason.batching import GraphCache  # noqa: E402
from vqa.reason.inference import run_batches  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS, Reasoner  # noqa: E402
from vqa.vocab.clevr import clevr_answer_type  # noqa: E402
from vqa.weights import stored_sha256  # noqa: E402

FILES = {"v1": "human_questions_{}.json", "v2": "human_questions_v2_{}.json", "v3": "human_questions_v3_{}.json", "v4": "human_questions_v4_{}.json"}
TYPES = ("bool", "count", "color", "shape", "material", "size")


def load(version: str, split: str) -> list[dict]:
    return json.loads((ROOT / "tests" / "data" / FILES[version].format(split)).read_text())["questions"]


def asked_type(q: dict) -> str:
    return q.get("answer_type") or clevr_answer_type(q["answer"])


def logits_of(model: Reasoner, questions: list[dict], cache: GraphCache) -> torch.Tensor:
    """The reasoner's logits [Q, A] in question order."""
    out = torch.empty(len(questions), len(model.config.answers))
    for idx, batch in run_batches(model, [q["question"] for q in questions], [q["image_filename"] for q in questions],
                                  cache):
        out[idx] = batch.logits.float()
    return out


def asked(qa: GraphQA, questions: list[dict], cache: GraphCache) -> list:
    """``vqa ask``'s predictions (``GraphQA.ask``), one question at a time, in question order."""
    return [qa.ask(q["question"], cache.graphs[q["image_filename"]], top_k=2) for q in questions]


def score(questions: list[dict], logits: torch.Tensor, answers: list[str], calibration: Calibration,
          asked_predictions: list) -> dict:
    """Accuracy (free, typed, reasoner, answered), wrong-type answers and ECE (T = 1 and calibrated) of one set."""
    typed = restrict_logits(logits, answer_mask([q["question"] for q in questions], answers))
    free = [answers[i] for i in logits.argmax(-1).tolist()]
    best = [answers[i] for i in typed.argmax(-1).tolist()]
    texts = [q["question"] for q in questions]
    reasoner = [p.answer for p in clevr_predictions(texts, logits, answers, 2, calibration)]
    answered = [p.answer for p in asked_predictions]
    gold = [q["answer"] for q in questions]
    expressible = [k for k, q in enumerate(questions) if q.get("expressible", True)]

    def wrong_type(preds):
        return sum(p != NOT_SURE_ANSWER and (clevr_answer_type(p) != asked_type(q) or p not in q.get("options", [p]))
                   for p, q in zip(preds, questions))

    right = [b == g for b, g in zip(best, gold)]
    ece = {t: expected_calibration_error(Calibration(t).probabilities(typed).max(-1).values.tolist(), right)
           for t in (1.0, calibration.temperature)}
    return {"n": len(questions), "free": sum(p == g for p, g in zip(free, gold)),
            "typed": sum(right), "reasoner": sum(p == g for p, g in zip(reasoner, gold)),
            "answered": sum(p == g for p, g in zip(answered, gold)),
            "wrong_type_free": wrong_type(free), "wrong_type_typed": wrong_type(best), "ece": ece,
            "predictions": answered, "reasoner_predictions": reasoner, "expressible": len(expressible),
            "expressible_reasoner": sum(reasoner[k] == gold[k] for k in expressible),
            "expressible_answered": sum(answered[k] == gold[k] for k in expressible),
            "ruled": sum(PARSED in p.flags for p in asked_predictions),
            "ruled_right": sum(PARSED in p.flags and p.answer == g for p, g in zip(asked_predictions, gold)),
            "not_sure": sum(p == NOT_SURE_ANSWER for p in answered)}


def report(name: str, questions: list[dict], s: dict, temperature: float, show_misses: bool) -> None:
    n = s["n"]
    pct = lambda k: f"{s[k]}/{n} = {s[k] / n:.1%}"  # noqa: E731
    e = s["expressible"]
    print(f"{name}: free {pct('free')}, typed {pct('typed')}, reasoner {pct('reasoner')}, answered {pct('answered')} "
          f"({s['not_sure']} 'not sure'; {n - e} questions cannot be expressed)")
    print(f"  expressible questions: reasoner {s['expressible_reasoner']}/{e} = {s['expressible_reasoner'] / e:.1%}, "
          f"answered {s['expressible_answered']}/{e} = {s['expressible_answered'] / e:.1%}; the rules answered "
          f"{s['ruled']} ({s['ruled_right']} right)")
    print(f"  wrong-type answers: free {s['wrong_type_free']}, typed {s['wrong_type_typed']}; "
          f"ECE (15 bins) at T=1 {s['ece'][1.0]:.3f}, at T={temperature:g} {s['ece'][temperature]:.3f}")
    for key in ("style", "kind", "answer_type"):
        groups = defaultdict(list)
        for q, p, r in zip(questions, s["predictions"], s["reasoner_predictions"]):
            if key in q or key == "answer_type":
                groups[q.get(key) or asked_type(q)].append((r == q["answer"], p == q["answer"]))
        if groups:
            print(f"  by {key} (reasoner -> answered): " + ", ".join(
                f"{k} {sum(r for r, _ in v)} -> {sum(a for _, a in v)}/{len(v)}" for k, v in sorted(groups.items())))
    if show_misses:
        for q, p in zip(questions, s["predictions"]):
            if p != q["answer"]:
                print(f"  miss: {q['question']!r} -> {p} (answer {q['answer']})")


def fit(model: Reasoner, cache: GraphCache) -> None:
    """The temperature (NLL of the right answers of the answerable dev questions, both dev sets) and, per
    answer type, what a "not sure" threshold would do on dev: unanswerable questions it catches against
    right answers it loses (wrong answers it hides, in brackets, cost nothing)."""
    qs = load("v1", "dev") + load("v2", "dev")
    answers = model.config.answers
    typed = restrict_logits(logits_of(model, qs, cache), answer_mask([q["question"] for q in qs], answers))
    ok = [i for i, q in enumerate(qs) if q.get("expressible", True)]
    target = torch.tensor([answers.index(qs[i]["answer"]) for i in ok])

    def nll(t: float) -> float:
        return float(-(typed[ok] / t).log_softmax(-1).gather(1, target[:, None]).sum())

    temperature = min((nll(t / 20), t / 20) for t in range(10, 201))[1]
    print(f"temperature {temperature:g} (NLL {nll(temperature):.1f}; at T=1 {nll(1.0):.1f}) over {len(ok)} answerable "
          "dev questions")
    probs = Calibration(temperature).probabilities(typed)
    conf, best = probs.max(-1)
    for t in TYPES:
        rows = [i for i, q in enumerate(qs) if asked_type(q) == t]
        cells = []
        for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            low = [i for i in rows if conf[i] < threshold]
            caught = sum(not qs[i].get("expressible", True) for i in low)
            lost = sum(answers[best[i]] == qs[i]["answer"] for i in low)
            cells.append(f"{threshold}: +{caught} -{lost} ({len(low) - caught - lost})")
        print(f"  {t:8s} n={len(rows):3d}  " + "  ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="both", choices=["v1", "v2", "v3", "v4", "both"])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--scenes", default=str(ROOT.parent / "shared" / "data" / "clevr" / "CLEVR_train_scenes.json"))
    ap.add_argument("--graphs", default="gold", choices=["gold", "predicted"],
                    help="gold: the scenes file's graphs; predicted: the CLEVR detector's graphs of --images")
    ap.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "clevr" / "images"))
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--fit", action="store_true",
                    help="fit the temperature and show 'not sure' thresholds on the dev sets")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = Reasoner.from_pretrained(args.weights)
    cache = GraphCache(model.config.vocab)
    versions = ["v1", "v2"] if args.set == "both" else [args.set]
    if args.graphs == "predicted":
        from vqa.pipeline.batch import predicted_scenes  # defers detectron2

        graphs = predicted_scenes([q for v in versions for q in load(v, args.split)], args.images)
    else:
        graphs = load_clevr_scenes(args.scenes)
    for g in graphs:
        cache.add(g.image_filename, g)
    if args.fit:
        if args.split != "dev":
            sys.exit("--fit reads the dev sets only")
        fit(model, cache)
        return
    calibration = calibration_for(stored_sha256(args.weights))
    qa = GraphQA(args.weights)
    for version in versions:
        qs = load(version, args.split)
        s = score(qs, logits_of(model, qs, cache), model.config.answers, calibration, asked(qa, qs, cache))
        report(f"human questions {version} {args.split} ({args.graphs} graphs)", qs, s, calibration.temperature,
               args.show_misses)


if __name__ == "__main__":
    main()
