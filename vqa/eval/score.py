"""One entry point for scoring mode: loaded prediction JSON -> the benchmark evaluator's metrics."""
from __future__ import annotations

from typing import Any

from vqa.errors import DataError
from vqa.eval import clevr, gqa, vqav2
from vqa.eval._checks import show

__all__ = ["score", "clevr_question_list", "BENCHMARKS"]

BENCHMARKS = ("clevr", "gqa", "vqav2")


def clevr_question_list(questions: Any) -> Any:
    """The questions list of a CLEVR questions file ({"questions": [...]}) or the list itself."""
    return questions.get("questions") if isinstance(questions, dict) else questions


def score(benchmark: str, predictions: Any, *, questions: Any = None, annotations: Any = None, choices: Any = None,
          scene_graphs: Any = None, attentions: Any = None, allow_missing: bool = False) -> dict:
    """Score loaded prediction JSON with the benchmark's evaluator (the inputs as loaded from the files)."""
    if benchmark == "clevr":
        return clevr.evaluate(clevr_question_list(questions), predictions, allow_missing=allow_missing)
    if benchmark == "vqav2":
        return vqav2.evaluate(annotations, questions, predictions, allow_missing=allow_missing)
    if benchmark == "gqa":
        return gqa.evaluate(questions, predictions, choices=choices, scene_graphs=scene_graphs, attentions=attentions,
                        allow_missing=allow_missing)
    raise DataError(f"unknown benchmark {show(benchmark)}; use one of {', '.join(BENCHMARKS)}")
