"""Official GQA evaluation (``eval.py`` v1.4 from gqadataset.org), re-implemented.

Only questions with ``isBalanced`` true are scored. A prediction is correct when it equals the gold
answer exactly (no normalisation). Metrics:

* accuracy / binary / open: percent correct; "open" are questions whose structural type is
  "query", "binary" all others;
* validity / plausibility: percent of predictions in the question's ``valid`` / ``plausible`` list
  of the choices file; for questions whose detailed type contains "Common" both lists are
  ["color", "material", "shape"];
* consistency: over balanced questions answered correctly that entail other questions, the mean
  accuracy on those entailed questions (looked up in the all-questions file, balanced or not);
* distribution: chi-square of predicted vs gold answer counts per global group, averaged with
  weights = group size, divided by 100 (lower is better);
* grounding: attention mass on the regions the question and full answer refer to;
* breakdowns: accuracy by structural type, semantic type, question length in words and number
  of reasoning steps.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from vqa.errors import DataError
from vqa.eval._checks import about, first_few, mean, show
from vqa.eval._gqa_checks import QFIX as _QFIX
from vqa.eval._gqa_checks import check_grounding, check_question, index_attentions, index_predictions

__all__ = ["evaluate", "steps_number", "words_number", "grounding_score", "chi_square"]

# Operations that do not add an effective reasoning step (official getStepsNum).
_NON_STEPS = ("exist", "query: name", "choose name")
# Validity/plausibility lists the official substitutes for "Common" (e.g. "sameColor"-style) questions.
_COMMON_GROUP = ("color", "material", "shape")



def words_number(question: Mapping) -> int:
    """Question length in words, as the official counts it."""
    return len(question["question"].split())


def steps_number(question: Mapping) -> int:
    """Reasoning steps: semantic operations other than exist / query name / choose name."""
    count = 0
    for op in question["semantic"]:
        text = f"{op['operation']}: {op['argument']}"
        if not any(o in text for o in _NON_STEPS):
            count += 1
    return count


def _belongs(element: str, group: list, question: Mapping) -> bool:
    # Official normalisation for "Common" questions ("what do X and Y have in common?").
    if "Common" in question["types"]["detailed"]:
        group = list(_COMMON_GROUP)
    return element in group


def chi_square(gold: Mapping[Any, Mapping[str, int]], predicted: Mapping[Any, Mapping[str, int]]) -> float:
    """Group-size weighted mean of per-group chi-square(pred vs gold); 0.0 when there are no groups.

    Predicted answers never seen as gold in a group do not contribute (as in the official).
    The official divides by zero when no question has a global group; we return 0.0.
    """
    sum_score, sum_overall = 0.0, 0
    for group, gold_counts in gold.items():
        score, overall = 0.0, 0
        pred_counts = predicted.get(group, {})
        for ans, e in gold_counts.items():
            o = pred_counts.get(ans, 0)
            score += float(o - e) ** 2 / e
            overall += e
        sum_score += score * overall
        sum_overall += overall
    return float(sum_score) / sum_overall if sum_overall else 0.0


def _interval(a0: float, a1: float, b0: float, b1: float) -> float:
    lo, hi = max(a0, b0), min(a1, b1)
    return hi - lo if hi > lo else 0.0


def grounding_score(question: Mapping, scene: Mapping, attention: list) -> float:
    """Attention mass (0..1 for a normalised map) on the question's and answer's object regions.

    ``attention[i][j]`` is cell i along x and j along y of a uniform grid over the image. Each
    referenced object (question pointers, then full-answer pointers; an object in both counts twice)
    contributes sum over cells of attention * area(cell & box) / area(cell), in image coordinates
    normalised to 0..1 like the official.
    """
    try:
        width, height = float(scene["width"]), float(scene["height"])
        pointers = list(question["annotations"]["question"].values())
        pointers += list(question["annotations"]["fullAnswer"].values())
    except (KeyError, TypeError, AttributeError) as e:
        raise DataError(
            f"grounding: question or scene graph lacks {show(e)}; pass GQA scene graphs and the all-questions file"
        ) from None
    regions = []
    for obj_id in pointers:
        obj = scene.get("objects", {}).get(obj_id)
        if obj is None:
            raise DataError(
                f"grounding: object {show(obj_id)} is not in the scene graph of image {show(question.get('imageId'))}; "
                "pass the scene graphs of the same split as the questions"
            )
        x, y, w, h = (float(obj[k]) for k in ("x", "y", "w", "h"))
        regions.append((x / width, y / height, (x + w) / width, (y + h) / height))
    # Official also adds the whole image when `"scene" in op` for an operation; the operations are
    # dicts, so this tests for a "scene" key and in practice never fires. Kept literally.
    if any("scene" in op for op in question.get("semantic", [])):
        regions.append((0.0, 0.0, 1.0, 1.0))

    nx, ny = len(attention), len(attention[0])
    cw, ch = 1.0 / nx, 1.0 / ny
    total = 0.0
    for rx0, ry0, rx1, ry1 in regions:
        for i in range(nx):
            for j in range(ny):
                # Cell corners computed as edge * index, like the official getCell.
                cx0, cy0, cx1, cy1 = cw * i, ch * j, cw * (i + 1), ch * (j + 1)
                inter = _interval(cx0, cx1, rx0, rx1) * _interval(cy0, cy1, ry0, ry1)
                total += attention[i][j] * (inter / ((cx1 - cx0) * (cy1 - cy0)))
    return total


def evaluate(
    questions: dict,
    predictions: list,
    choices: dict | None = None,
    scene_graphs: dict | None = None,
    attentions: dict | None = None,
    allow_missing: bool = False,
) -> dict:
    """Score GQA predictions like the official eval.py v1.4.

    ``questions``: the all-questions file (qid -> question); ``predictions``:
    ``[{"questionId": str, "prediction": str}]`` (unknown ids ignored, a repeated id keeps its last
    prediction, as in the official); ``choices``: qid -> {"valid": [...], "plausible": [...]};
    ``scene_graphs`` (imageId -> scene graph) and ``attentions`` (qid -> 2-D map, first index x) are
    needed together for grounding.

    Returns, unrounded: ``accuracy``, ``binary``, ``open``, ``consistency`` in percent (0..100);
    ``validity``, ``plausibility`` in percent, only when ``choices`` is given; ``grounding`` in
    percent of attention mass, only when ``attentions`` is given (mean over balanced questions that
    have a map); ``distribution`` as the official raw value (chi-square / 100, lower is better);
    ``breakdowns`` {"structural", "semantic", "length", "steps"} -> {key: [percent, count]};
    ``count`` balanced questions scored; ``missing`` balanced questions without a prediction;
    ``missing_entailed`` entailed questions (needed for consistency) without a prediction or absent
    from ``questions``; ``duplicate_predictions`` ids predicted more than once (the last counts).

    Only what the official reads is checked: every question needs ``isBalanced``, balanced ones the
    fields above, entailed ones an ``answer``. An empty ``choices`` object scores validity and
    plausibility 0, as the official's ``if choices`` does.

    Raises DataError on malformed input, on a balanced question without prediction or an entailed
    question without prediction / not in ``questions`` (both "missing predictions" in the official),
    unless ``allow_missing``, which counts them as wrong.
    """
    with about("questions"):
        if not isinstance(questions, Mapping):
            raise DataError(f"questions must be an object mapping question ids to questions, got {show(questions)}; {_QFIX}")
    with about("predictions"):
        preds, repeated = index_predictions(predictions)
    if choices is not None and not isinstance(choices, Mapping):
        with about("choices"):
            raise DataError(f"choices must be an object mapping question ids to {{valid, plausible}}, got {show(choices)}; pass the GQA choices file")
    if (attentions is None) != (scene_graphs is None):
        raise DataError("grounding needs both scene_graphs and attentions, got only one; pass both or neither")
    if scene_graphs is not None and not isinstance(scene_graphs, Mapping):
        with about("scene_graphs"):
            raise DataError(f"scene_graphs must be an object mapping image ids to scene graphs, got {show(scene_graphs)}; pass the GQA scene graphs file")
    with about("attentions"):
        amaps = index_attentions(attentions) if attentions is not None else None

    balanced = []
    with about("questions"):
        for qid, q in questions.items():
            if not isinstance(q, Mapping) or "isBalanced" not in q:
                raise DataError(f"questions[{qid!r}] must be an object with 'isBalanced', got {show(q)}; {_QFIX}")
            if q["isBalanced"]:  # truthiness, as the official tests it
                check_question(qid, q)
                balanced.append(qid)
    missing = [qid for qid in balanced if qid not in preds]
    if missing and not allow_missing:
        with about("predictions"):
            raise DataError(
                f"missing predictions: {len(missing)} of {len(balanced)} balanced questions have none (e.g. {first_few(missing)}); "
                "predict every balanced question or pass allow_missing=True (--allow-missing in the CLI) "
                "to count them wrong"
            )

    acc: list[float] = []
    by_kind: dict[str, list[float]] = {"binary": [], "open": []}
    validity: list[float] = []
    plausibility: list[float] = []
    consistency: list[float] = []
    grounding: list[float] = []
    breakdowns: dict[str, dict[Any, list[float]]] = {k: defaultdict(list) for k in ("structural", "semantic", "length", "steps")}
    gold_dist: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pred_dist: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    missing_entailed: set[str] = set()

    for qid in balanced:
        q = questions[qid]
        gold = q["answer"]
        predicted = preds.get(qid)  # None only under allow_missing: wrong, invalid, implausible
        correct = predicted == gold
        score = 1.0 if correct else 0.0

        acc.append(score)
        breakdowns["length"][words_number(q)].append(score)
        breakdowns["steps"][steps_number(q)].append(score)
        breakdowns["structural"][q["types"]["structural"]].append(score)
        breakdowns["semantic"][q["types"]["semantic"]].append(score)
        by_kind["open" if q["types"]["structural"] == "query" else "binary"].append(score)

        if choices is not None and not choices:
            # The official tests `if choices`: an empty choices file makes every answer invalid.
            validity.append(0.0)
            plausibility.append(0.0)
        elif choices is not None:
            c = choices.get(qid)
            if not isinstance(c, Mapping) or not isinstance(c.get("valid"), list) or not isinstance(c.get("plausible"), list):
                with about("choices"):
                    raise DataError(f"choices[{qid!r}] must be {{\"valid\": [...], \"plausible\": [...]}}, got {show(c)}; pass the choices file of the same split")
            validity.append(1.0 if predicted is not None and _belongs(predicted, c["valid"], q) else 0.0)
            plausibility.append(1.0 if predicted is not None and _belongs(predicted, c["plausible"], q) else 0.0)

        if amaps is not None and qid in amaps:
            scene = check_grounding(qid, q, scene_graphs)
            grounding.append(grounding_score(q, scene, amaps[qid]))

        group = q["groups"]["global"]
        if group is not None:
            gold_dist[group][gold] += 1
            if predicted is not None:
                pred_dist[group][predicted] += 1

        entailed = [eid for eid in q.get("entailed", []) if eid != qid]
        if correct and entailed:
            scores = []
            for eid in entailed:
                if eid not in questions or eid not in preds:
                    if not allow_missing:
                        where = "is not in the questions file" if eid not in questions else "has no prediction"
                        with about("questions" if eid not in questions else "predictions"):
                            raise DataError(
                                f"missing predictions: entailed question {eid!r} (of {qid!r}) {where}; consistency "
                                "needs the all-questions file and a prediction for every question in it, or pass "
                                "allow_missing=True (--allow-missing in the CLI) to count them wrong"
                            )
                    missing_entailed.add(eid)
                    scores.append(0.0)
                    continue
                entailed_q = questions[eid]
                if not isinstance(entailed_q, Mapping) or "answer" not in entailed_q:
                    with about("questions"):
                        raise DataError(f"questions[{eid!r}] (entailed by {qid!r}) lacks 'answer'; {_QFIX}")
                scores.append(1.0 if preds[eid] == entailed_q["answer"] else 0.0)
            consistency.append(mean(scores))

    out: dict[str, Any] = {
        "accuracy": 100 * mean(acc),
        "binary": 100 * mean(by_kind["binary"]),
        "open": 100 * mean(by_kind["open"]),
        "consistency": 100 * mean(consistency),
        "distribution": chi_square(gold_dist, pred_dist) / 100,
    }
    if choices is not None:
        out["validity"] = 100 * mean(validity)
        out["plausibility"] = 100 * mean(plausibility)
    if amaps is not None:
        out["grounding"] = 100 * mean(grounding)
    out["breakdowns"] = {
        name: {k: [100 * mean(v), len(v)] for k, v in sorted(table.items(), key=lambda kv: _sort_key(kv[0]))}
        for name, table in breakdowns.items()
    }
    out["count"] = len(acc)
    out["missing"] = len(missing)
    out["missing_entailed"] = len(missing_entailed)
    out["duplicate_predictions"] = repeated
    return out


def _sort_key(key: Any) -> tuple:
    # Ints (length, steps) before strings; each kind in natural order.
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))
