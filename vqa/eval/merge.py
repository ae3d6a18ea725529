"""`vqa eval merge`: combine the prediction files of shards into one, in question order, and score it.

Shard files are official-format prediction lists. Merging concatenates them, refuses an id that
two files both answer (overlapping shards, or one shard given twice), and sorts the entries into
the order of the questions file, so that shards of a model-mode run merge into exactly the file
a single process writes. Repeats *within* one file are left to the benchmark's evaluator, which
treats them as its official code does.
"""
from __future__ import annotations

from typing import Any, Sequence

from vqa.errors import DataError
from vqa.eval._checks import first_few, require_list_of_dicts, show
from vqa.eval.score import clevr_question_list

__all__ = ["ID_KEYS", "question_order", "merge_predictions"]

# The id field of each benchmark's official prediction format.
ID_KEYS = {"clevr": "question_index", "vqav2": "question_id", "gqa": "questionId"}


def question_order(benchmark: str, questions: Any = None, annotations: Any = None) -> list:
    """Question ids in file order: CLEVR questions (index defaults to the position), VQA v2
    annotations, GQA question-file keys."""
    if benchmark == "clevr":
        qs = require_list_of_dicts(clevr_question_list(questions), "questions",
                                   "pass the CLEVR questions file the shards answered")
        return [q.get("question_index", k) for k, q in enumerate(qs)]
    if benchmark == "vqav2":
        if not isinstance(annotations, dict):
            raise DataError(f"annotations must be the official VQA v2 annotation object, got {show(annotations)}")
        anns = require_list_of_dicts(annotations.get("annotations"), "annotations['annotations']",
                                     "pass the official VQA v2 annotation file")
        return [a.get("question_id") for a in anns]
    if not isinstance(questions, dict):
        raise DataError(f"questions must be the GQA all-questions object (id -> question), got {show(questions)}")
    return list(questions)


def merge_predictions(benchmark: str, parts: Sequence[tuple[str, Any]], order: Sequence) -> list[dict]:
    """Concatenate ``parts`` ([(name, prediction list)]) and sort by ``order`` (question ids).

    Entries whose id is not in ``order`` keep their relative order at the end (the evaluator then
    reports or ignores them, as the benchmark's official code does). Raises DataError when an id
    occurs in two different parts.
    """
    key = ID_KEYS[benchmark]
    fix = f"give each shard's predictions once; shards must not overlap ({key} identifies a question)"
    owner: dict[Any, int] = {}  # id -> number of the part that first answered it
    merged: list[dict] = []
    clashes: list = []
    for part, (name, preds) in enumerate(parts):
        require_list_of_dicts(preds, f"{name}", f"pass official-format {benchmark} prediction lists")
        seen_here = set()
        for i, p in enumerate(preds):
            qid = p.get(key)
            try:
                hash(qid)
            except TypeError:
                raise DataError(f"{name}[{i}]: '{key}' must be a question id, got {show(qid)}") from None
            if qid in owner and owner[qid] != part:
                clashes.append((qid, owner[qid], part))
            if qid not in seen_here:
                seen_here.add(qid)
                owner.setdefault(qid, part)
            merged.append(p)
    if clashes:
        qid, a, b = clashes[0]
        where = f"files {a + 1} and {b + 1} ({parts[a][0]}, {parts[b][0]})"
        raise DataError(f"{len(clashes)} predictions answer questions another shard file answers too "
                        f"(e.g. {key} {show(qid)} in {where}; ids {first_few([c[0] for c in clashes])}); {fix}")
    rank = {}
    for pos, qid in enumerate(order):
        rank.setdefault(qid, pos)
    # sorted() is stable: repeats within a file keep their order, so "the last one wins" still holds.
    return sorted(merged, key=lambda p: rank.get(p.get(key), len(rank)))
