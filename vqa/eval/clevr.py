"""CLEVR answer accuracy, overall, per question family (template file) and per answer type.

CLEVR ships no official evaluator; the standard metric is exact-match accuracy over the closed
answer vocabulary, which is what this computes (no case folding or other normalisation).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from vqa.vocab.clevr import clevr_answer_type
from vqa.errors import DataError
from vqa.eval._checks import about, check_coverage, is_int, mean, require_list_of_dicts, show
from vqa.eval.calibration import expected_calibration_error

__all__ = ["evaluate", "answer_type"]

_QFIX = "pass an official CLEVR questions list with answers (the test split has none)"
_PFIX = 'write predictions as [{"question_index": int, "answer": str}, ...]'

answer_type = clevr_answer_type


def _index_questions(questions: Any) -> dict[int, dict]:
    require_list_of_dicts(questions, "questions", _QFIX)
    by_index: dict[int, dict] = {}
    for pos, q in enumerate(questions):
        idx = q.get("question_index", pos)
        if not is_int(idx):
            raise DataError(f"questions[{pos}]: 'question_index' must be an int, got {show(idx)}; {_QFIX}")
        if idx in by_index:
            raise DataError(f"questions[{pos}]: question_index {idx} appears twice; {_QFIX}")
        if not isinstance(q.get("answer"), str):
            raise DataError(f"questions[{pos}] (index {idx}): 'answer' must be a string, got {show(q.get('answer'))}; {_QFIX}")
        if not isinstance(q.get("template_filename"), str):
            raise DataError(
                f"questions[{pos}] (index {idx}): 'template_filename' must be a string, got {show(q.get('template_filename'))}; {_QFIX}"
            )
        by_index[idx] = q
    return by_index


def _index_predictions(predictions: Any, questions: dict[int, dict]) -> dict[int, str]:
    require_list_of_dicts(predictions, "predictions", _PFIX)
    out: dict[int, str] = {}
    for i, p in enumerate(predictions):
        idx = p.get("question_index")
        if not is_int(idx):
            raise DataError(f"predictions[{i}]: 'question_index' must be an int, got {show(idx)}; {_PFIX}")
        ans = p.get("answer")
        if not isinstance(ans, str):
            raise DataError(f"predictions[{i}] (question {idx}): 'answer' must be a string, got {show(ans)}; {_PFIX}")
        if idx in out:
            raise DataError(f"predictions[{i}]: question_index {idx} is answered twice; keep one answer per question")
        # image_filename is optional; when given it must agree, which catches split mix-ups.
        img = p.get("image_filename")
        if img is not None and idx in questions and img != questions[idx].get("image_filename"):
            raise DataError(
                f"predictions[{i}]: image_filename {show(img)} differs from question {idx}'s "
                f"{show(questions[idx].get('image_filename'))}; predict on the same questions file"
            )
        out[idx] = ans
    return out


def evaluate(questions: list[dict], predictions: list[dict], allow_missing: bool = False) -> dict:
    """Exact-match accuracy of CLEVR predictions.

    ``questions``: the official ``questions`` list (each with ``answer`` and ``template_filename``;
    ``question_index`` defaults to the position); ``predictions``: ``[{"question_index": int,
    "answer": str, "image_filename"?: str}]``.

    Returns ``{"benchmark": "clevr", "count", "accuracy", "per_family", "per_answer_type",
    "missing"}`` with accuracies as fractions 0..1 (unrounded); families are template file names,
    answer types come from the gold answer (see :func:`answer_type`). When every prediction carries
    a ``probability`` (``vqa eval``'s model mode writes one), also ``"ece"``: the expected
    calibration error over 15 bins (:mod:`vqa.eval.calibration`) of the best answer, which is the
    prediction's ``guess`` when it answered "not sure", else its answer.

    Raises DataError for malformed input, duplicated or unknown question indices, and unanswered
    questions unless ``allow_missing`` (then they count as wrong).
    """
    with about("questions"):
        qs = _index_questions(questions)
    with about("predictions"):
        preds = _index_predictions(predictions, qs)
        missing = check_coverage(preds, qs, allow_missing, ids="predicted question indices", source="questions",
                                 fix="questions file", questions="questions", answer="prediction",
                                 missing_score="count them wrong")

    scores: list[float] = []
    per_family: dict[str, list[float]] = defaultdict(list)
    per_type: dict[str, list[float]] = defaultdict(list)
    for idx, q in qs.items():
        score = 1.0 if preds.get(idx) == q["answer"] else 0.0
        scores.append(score)
        per_family[q["template_filename"]].append(score)
        per_type[answer_type(q["answer"])].append(score)

    metrics = {
        "benchmark": "clevr",
        "count": len(scores),
        "accuracy": mean(scores),
        "per_family": {k: mean(v) for k, v in sorted(per_family.items())},
        "per_answer_type": {k: mean(v) for k, v in sorted(per_type.items())},
        "missing": len(missing),
    }
    ece = _calibration(predictions, qs)
    if ece is not None:
        metrics["ece"] = ece
    return metrics


def _calibration(predictions: list[dict], questions: dict[int, dict]) -> float | None:
    """ECE of the predictions' best answers, or None unless every prediction has a ``probability``."""
    probs = [p.get("probability") for p in predictions]
    if not predictions or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in probs):
        return None
    right = [p.get("guess", p["answer"]) == questions[p["question_index"]]["answer"] for p in predictions]
    return expected_calibration_error(probs, right)
