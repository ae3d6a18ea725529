"""Text tables for the evaluators' metrics."""

import pytest

from vqa.errors import DataError
from vqa.eval import evaluate_clevr, evaluate_gqa, evaluate_vqav2, format_table


def test_format_table_vqav2_rounds_and_aligns():
    m = {"overall": 63.33333, "perAnswerType": {"yes/no": 100.0, "number": 30.0},
         "perQuestionType": {"how many": 30.0}, "count": 4, "missing": 0}
    text = format_table(m, "vqav2")
    assert "63.33" in text and "100.00" in text and "30.00" in text
    lines = text.splitlines()
    # right-aligned numbers: "yes/no" and "number" rows end at the same column
    rows = [l for l in lines if l.startswith(("yes/no", "number"))]
    assert len(rows) == 2 and len(rows[0]) == len(rows[1])


def test_format_table_gqa_optional_metrics():
    m = {"accuracy": 50.0, "binary": 66.666, "open": 33.333, "consistency": 75.0, "distribution": 0.0166,
         "validity": 83.333, "breakdowns": {"structural": {"query": [33.333, 3]}, "semantic": {"attr": [66.666, 3]},
                                            "length": {5: [66.666, 3]}, "steps": {2: [75.0, 4]}},
         "count": 6, "missing": 0}
    text = format_table(m, "GQA")
    assert "Validity" in text and "83.33" in text and "Plausibility" not in text
    assert "lower is better" in text and "attribute" in text


def test_format_table_clevr_shows_percent():
    text = format_table({"benchmark": "clevr", "count": 2, "accuracy": 0.5, "per_family": {"a.json": 0.5},
                         "per_answer_type": {"bool": 0.5}, "missing": 0}, "clevr")
    assert "50.00" in text and "0.50" not in text


def test_format_table_unknown_benchmark_raise():
    with pytest.raises(DataError, match="unknown benchmark 'coco'"):
        format_table({}, "coco")


def test_format_table_missing_key_raise():
    with pytest.raises(DataError, match="lack 'overall'"):
        format_table({"count": 1}, "vqav2")


def test_package_exports():
    assert callable(evaluate_vqav2) and callable(evaluate_gqa) and callable(evaluate_clevr)
