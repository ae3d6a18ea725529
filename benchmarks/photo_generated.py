"""Rule-based answerer vs trained photo reasoner (and the hybrid) on held-out generated photo questions.

    python benchmarks/photo_generated.py [--scenes 400] [--seed 10000] [--weights W] [--paraphrase]

The scenes and questions are those of the photo reasoner's validation split
(``vqa.reason.photo.build_photo_data``: seed ``PhotoTrainConfig.seed + 10_000``, half the scenes with
detector-like class / colour rows), never trained on. Both answerers get every question through
the same interface (``PhotoAnswer``); "not sure" counts as wrong. Prints accuracy per question
type and how many answers each withheld. Answerers: ``rules`` (``PhotoAnswerer``), ``reasoner``
(``ReasonerPhotoAnswerer``) and ``hybrid`` (rules where they parse the question, else the reasoner).

``--paraphrase`` rewords every question with phrasings that neither the engine's templates nor the
rules' question forms contain (``PARAPHRASES``, written before any run): how each answerer copes
with wording it was not built for.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# engine template (regex over its question) -> an unseen wording of the same question
PARAPHRASES = [
    (r"^(?:Is there|Do you see) an? (.+?)(?: in the picture)?\?$", r"Can you spot a \1 in this photo?"),
    (r"^(?:Are there|Do you see) any (.+)\?$", r"Are any \1 visible here?"),
    (r"^(?:How many|What number of) (.+?) (?:are there|are visible|are in the picture)\?$", r"Count the \1 for me."),
    (r"^What (?:color is|is the color of) the (.+)\?$", r"Which colour does the \1 have?"),
    (r"^Is the (.+?) bigger than the (.+)\?$", r"Does the \1 look larger than the \2?"),
    (r"^Is the (.+?) on the left or right of the (.+)\?$", r"On which side of the \2 is the \1, left or right?"),
    (r"^Is the (.+?) (?:to the )?(left|right) of the (.+)\?$", r"Would you say the \1 sits \2 of the \3?"),
    (r"^Are there more (.+?) than (.+)\?$", r"Do the \1 outnumber the \2?"),
    (r"^Is the (.+?) (\w+)\?$", r"Would you call the \1 \2?"),
]


def paraphrase(question: str) -> str:
    """The first matching rewording of ``PARAPHRASES`` (the question unchanged if none matches)."""
    import re

    for pattern, repl in PARAPHRASES:
        if re.match(pattern, question):
            return re.sub(pattern, repl, question)
    return question


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", type=int, default=400, help="validation scenes (default 400, as training)")
    ap.add_argument("--seed", type=int, default=10_000, help="scene seed (default 10000: the validation seed)")
    ap.add_argument("--weights", help="photo reasoner weights (default weights/photo-reasoner)")
    ap.add_argument("--paraphrase", action="store_true", help="reword every question (PARAPHRASES)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from vqa.reason.photo_rules import PhotoAnswerer
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer
    from vqa.train.photo_reasoner import PhotoTrainConfig, photo_split

    tc = PhotoTrainConfig()
    graphs, examples = photo_split(args.scenes, tc.questions_per_scene, args.seed, "PHOTO_VAL", tc.detector_like)
    reasoner = ReasonerPhotoAnswerer(args.weights)
    answerers = {"rules": PhotoAnswerer(), "reasoner": reasoner,
                 "hybrid": ReasonerPhotoAnswerer(reasoner.model, rules_first=True)}
    if args.paraphrase:
        for e in examples:
            e.question = paraphrase(e.question)
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
        cells = " | ".join(f"{table[fam][a] / counts[fam]:.1%}" for a in answerers)
        print(f"| {fam} | {counts[fam]} | {cells} |")
    cells = " | ".join(f"**{total[a] / len(examples):.2%}**" for a in answerers)
    print(f"| **all** | {len(examples)} | {cells} |")
    for a in answerers:
        per_question = seconds[a] / len(examples) * 1000
        print(f"{a}: withheld (not sure / not found) {withheld[a]}, {per_question:.1f} ms per question")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
