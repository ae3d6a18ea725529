"""Official VQA v2 accuracy, re-implemented.

Follows GT-Vision-Lab/VQA ``PythonEvaluationTools/vqaEvaluation/vqaEval.py`` as fixed in 2021:

* every ground-truth answer and the prediction get ``'\\n'`` and ``'\\t'`` replaced by ``' '`` and are
  stripped;
* if the (cleaned) ground-truth answers are all identical, nothing else is normalised, so ``"Yes"``
  against ten ``"yes"`` scores 0;
* otherwise the prediction and every ground-truth answer go through :func:`process_punctuation`
  then :func:`process_digit_article`;
* the question's accuracy is the mean, over the annotators, of ``min(1, matches among the other
  annotators / 3)``, "the other annotators" being the answer dicts unequal to the left-out one;
* the overall and per-type figures are ``100 * sum / count`` of the question accuracies, unrounded.

Repeated ids are handled as the official handles them (see :func:`evaluate`), so that scores agree
on any file; the CLI reports them.

Quirks kept on purpose because they change scores: the punctuation list has no ``' : # $ % & *``;
a digit-comma-digit anywhere in the text makes every punctuation mark vanish instead of becoming a
space; the period regex is ``(?!<=\\d)(\\.)(?!\\d)`` (a lookahead for the literal ``<=``, not a
lookbehind) and ``re.UNICODE`` (32) lands in ``sub``'s *count*, so at most 32 periods are removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from vqa.errors import DataError
from vqa.eval._checks import (
    about,
    check_coverage,
    first_few,
    is_int,
    require_list_of_dicts,
    show,
)

__all__ = [
    "evaluate",
    "question_accuracy",
    "process_answer",
    "process_punctuation",
    "process_digit_article",
    "clean_whitespace",
]

# Apostrophe-less spellings -> the spelling annotators used. Capitalised keys can never match
# (text is lower-cased first) and "somebody'd" maps the "wrong" way; both kept for fidelity.
CONTRACTIONS: dict[str, str] = {
    "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've",
    "couldnt": "couldn't", "couldn'tve": "couldn't've", "couldnt've": "couldn't've",
    "didnt": "didn't", "doesnt": "doesn't", "dont": "don't", "hadnt": "hadn't",
    "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't", "havent": "haven't",
    "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd",
    "howll": "how'll", "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm",
    "Ive": "I've", "isnt": "isn't", "itd": "it'd", "itd've": "it'd've", "it'dve": "it'd've",
    "itll": "it'll", "let's": "let's", "maam": "ma'am", "mightnt": "mightn't",
    "mightnt've": "mightn't've", "mightn'tve": "mightn't've", "mightve": "might've",
    "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've",
    "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at",
    "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've",
    "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't",
    "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've", "somebody'd": "somebodyd",
    "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've",
    "somebodyll": "somebody'll", "somebodys": "somebody's", "someoned": "someone'd",
    "someoned've": "someone'd've", "someone'dve": "someone'd've", "someonell": "someone'll",
    "someones": "someone's", "somethingd": "something'd", "somethingd've": "something'd've",
    "something'dve": "something'd've", "somethingll": "something'll", "thats": "that's",
    "thered": "there'd", "thered've": "there'd've", "there'dve": "there'd've",
    "therere": "there're", "theres": "there's", "theyd": "they'd", "theyd've": "they'd've",
    "they'dve": "they'd've", "theyll": "they'll", "theyre": "they're", "theyve": "they've",
    "twas": "'twas", "wasnt": "wasn't", "wed've": "we'd've", "we'dve": "we'd've",
    "weve": "we've", "werent": "weren't", "whatll": "what'll", "whatre": "what're",
    "whats": "what's", "whatve": "what've", "whens": "when's", "whered": "where'd",
    "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've",
    "who'dve": "who'd've", "wholl": "who'll", "whos": "who's", "whove": "who've",
    "whyll": "why'll", "whyre": "why're", "whys": "why's", "wont": "won't",
    "wouldve": "would've", "wouldnt": "wouldn't", "wouldnt've": "wouldn't've",
    "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll",
    "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've",
    "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll",
    "youre": "you're", "youve": "you've",
}

MANUAL_MAP: dict[str, str] = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}

ARTICLES: tuple[str, ...] = ("a", "an", "the")

# Order matters only for the "p + ' '" test, which looks at the original text; kept as official.
PUNCT: tuple[str, ...] = (
    ";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-",
    ">", "<", "@", "`", ",", "?", "!",
)

# Same patterns as the official file, including the not-a-lookbehind "(?!<=\d)".
_PERIOD_STRIP = re.compile(r"(?!<=\d)(\.)(?!\d)")
_COMMA_STRIP = re.compile(r"(\d)(,)(\d)")
# The official passes re.UNICODE positionally, where sub() expects count: at most 32 removals.
_PERIOD_COUNT = int(re.UNICODE)


def clean_whitespace(text: str) -> str:
    """Replace newlines and tabs by spaces and strip, as done to every answer first."""
    return text.replace("\n", " ").replace("\t", " ").strip()


def process_punctuation(text: str) -> str:
    """Official processPunctuation: drop or space out punctuation, then strip periods."""
    out = text
    # One test for the whole text: a digit-comma-digit anywhere deletes all punctuation.
    has_digit_comma = _COMMA_STRIP.search(text) is not None
    for p in PUNCT:
        # The neighbour test looks at the *input* text, not the partly processed one.
        if (p + " " in text or " " + p in text) or has_digit_comma:
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    return _PERIOD_STRIP.sub("", out, count=_PERIOD_COUNT)


def process_digit_article(text: str) -> str:
    """Official processDigitArticle: lower-case, number words to digits, drop articles, contractions."""
    words = [MANUAL_MAP.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in ARTICLES]
    return " ".join(CONTRACTIONS.get(w, w) for w in words)


def process_answer(text: str) -> str:
    """Full normalisation applied to an answer when the ground truths disagree."""
    return process_digit_article(process_punctuation(clean_whitespace(text)))


def _score_answers(answers: list[dict], pred: str) -> float:
    """The official per-question steps on ``answers`` (answer dicts), rewriting their "answer" in place.

    Leave-one-out is by dict inequality, as in the official: an answer dict that equals another
    one (same answer *and* same other fields, e.g. a repeated ``answer_id``) is left out together
    with it. Official files give every answer a distinct ``answer_id``, so this is then "the other
    n - 1 annotators".
    """
    for a in answers:
        a["answer"] = clean_whitespace(a["answer"])
    res = clean_whitespace(pred)
    if len({a["answer"] for a in answers}) > 1:
        for a in answers:
            a["answer"] = process_digit_article(process_punctuation(a["answer"]))
        res = process_digit_article(process_punctuation(res))
    accs = []
    for a in answers:
        matches = sum(1 for b in answers if b != a and b["answer"] == res)
        accs.append(min(1.0, float(matches) / 3))
    return float(sum(accs)) / len(accs)


def question_accuracy(pred: str, gt_answers: Sequence[str]) -> float:
    """VQA accuracy (0..1) of one prediction against the annotators' answers (normally 10).

    Leave-one-out: for each annotator, count how many of the *other* annotators gave the
    prediction, cap at 3, divide by 3; average over annotators. With k matches among 10 this
    gives 0.3, 0.6, 0.9, 1.0 for k = 1, 2, 3, 4+.
    """
    if not gt_answers:
        raise DataError("question_accuracy needs at least one ground-truth answer, got none; pass the annotators' answers")
    # Distinct answer ids, as in the official files: each annotator is left out on its own.
    return _score_answers([{"answer": g, "answer_id": i} for i, g in enumerate(gt_answers)], pred)


def _percent(values: list[float]) -> float:
    """100 * mean, in the official's operation order so floats agree to the last bit."""
    return 100 * float(sum(values)) / len(values) if values else 0.0


def _read_annotations(annotations: Any) -> list[dict]:
    """Check the official annotation file and return its annotations list."""
    fix = "pass the official VQA v2 annotation file ({\"annotations\": [...]})"
    if not isinstance(annotations, Mapping) or "annotations" not in annotations:
        raise DataError(f"annotations must be an object with an 'annotations' list, got {show(annotations)}; {fix}")
    anns = require_list_of_dicts(annotations["annotations"], "annotations['annotations']", fix)
    for i, ann in enumerate(anns):
        where = f"annotations['annotations'][{i}]"
        qid = ann.get("question_id")
        if not is_int(qid):
            raise DataError(f"{where}: 'question_id' must be an int, got {show(qid)}; {fix}")
        for key in ("question_type", "answer_type"):
            if not isinstance(ann.get(key), str):
                raise DataError(f"{where} (question {qid}): '{key}' must be a string, got {show(ann.get(key))}; {fix}")
        answers = ann.get("answers")
        if not isinstance(answers, list) or not answers:
            raise DataError(f"{where} (question {qid}): 'answers' must be a non-empty list, got {show(answers)}; {fix}")
        for j, a in enumerate(answers):
            if not isinstance(a, Mapping) or not isinstance(a.get("answer"), str):
                raise DataError(f"{where} (question {qid}): answers[{j}] must be an object with a string 'answer', got {show(a)}; {fix}")
    return anns


def _check_questions(questions: Any, ann_ids: Iterable[int]) -> None:
    fix = "pass the questions file of the same split as the annotations"
    if not isinstance(questions, Mapping) or "questions" not in questions:
        raise DataError(f"questions must be an object with a 'questions' list, got {show(questions)}; {fix}")
    qs = require_list_of_dicts(questions["questions"], "questions['questions']", fix)
    for i, q in enumerate(qs):
        if not is_int(q.get("question_id")):
            raise DataError(f"questions['questions'][{i}]: 'question_id' must be an int, got {show(q.get('question_id'))}; {fix}")
    q_ids = {q["question_id"] for q in qs}
    absent = [qid for qid in ann_ids if qid not in q_ids]
    if absent:
        raise DataError(f"{len(absent)} annotated question ids are not in the questions file (e.g. {first_few(absent)}); {fix}")


def _index_results(results: Any) -> tuple[dict[int, str], list[int]]:
    """question_id -> answer (the last one when an id repeats, as the official) and the repeated ids."""
    fix = "write results as [{\"question_id\": int, \"answer\": str}, ...]"
    require_list_of_dicts(results, "results", fix)
    by_id: dict[int, str] = {}
    repeated: dict[int, None] = {}
    for i, r in enumerate(results):
        qid = r.get("question_id")
        if not is_int(qid):
            raise DataError(f"results[{i}]: 'question_id' must be an int, got {show(qid)}; {fix}")
        ans = r.get("answer")
        if not isinstance(ans, str):
            raise DataError(f"results[{i}] (question {qid}): 'answer' must be a string, got {show(ans)}; {fix}")
        if qid in by_id:
            repeated[qid] = None
        by_id[qid] = ans
    return by_id, list(repeated)


def evaluate(
    annotations: dict,
    questions: dict | None,
    results: list,
    allow_missing: bool = False,
) -> dict:
    """Score VQA v2 results like the official evaluator.

    ``annotations`` and ``questions`` are the official files' JSON objects (``questions`` may be
    None to skip the check that every annotated id is in it); ``results`` is the official results
    list ``[{"question_id": int, "answer": str}]``.

    Returns ``{"overall", "perAnswerType", "perQuestionType", "count", "missing",
    "duplicate_results"}``: accuracies in percent (0..100) and unrounded (the official rounds to 2
    decimals); ``count`` questions scored, ``missing`` of them had no result; ``duplicate_results``
    how many question ids were answered more than once.

    Repeated ids follow the official code rather than being refused, so that scores agree on any
    file: a question answered twice is scored on its *last* answer; a question id repeated in the
    annotations is scored once per occurrence, each time on its last annotation, and the second
    time on the answers the first pass already normalised (the official rewrites them in place).

    Raises DataError for malformed input; for results that do not cover exactly the annotated
    question ids (like the official loader), unless ``allow_missing`` in which case unanswered
    questions score 0; and for result ids not in the annotations.
    """
    with about("annotations"):
        anns = _read_annotations(annotations)
    # Official index: id -> its last annotation; the evaluation walks every annotation's id in order.
    order = [ann["question_id"] for ann in anns]
    last = {ann["question_id"]: ann for ann in anns}
    if questions is not None:
        with about("questions"):
            _check_questions(questions, last)
    with about("predictions"):
        preds, repeated = _index_results(results)
        missing = check_coverage(preds, last, allow_missing, ids="result question ids", source="annotations",
                                 fix="annotation file of the split", questions="annotated questions", answer="result",
                                 missing_score="score them 0")

    # Copies of the answer dicts, rewritten in place as the official does; the inputs stay untouched.
    gts = {qid: [dict(a) for a in ann["answers"]] for qid, ann in last.items()}
    per_q: list[float] = []
    per_ans_type: dict[str, list[float]] = defaultdict(list)
    per_ques_type: dict[str, list[float]] = defaultdict(list)
    for qid in order:
        acc = _score_answers(gts[qid], preds[qid]) if qid in preds else 0.0
        per_q.append(acc)
        per_ans_type[last[qid]["answer_type"]].append(acc)
        per_ques_type[last[qid]["question_type"]].append(acc)

    return {
        "overall": _percent(per_q),
        "perAnswerType": {k: _percent(v) for k, v in per_ans_type.items()},
        "perQuestionType": {k: _percent(v) for k, v in per_ques_type.items()},
        "count": len(per_q),
        "missing": len(missing),
        "duplicate_results": len(repeated),
    }
