"""Merging shard prediction files: question order, overlaps refused, scores as one file."""
import pytest

from vqa.errors import DataError
from vqa.eval.merge import merge_predictions, question_order
from vqa.eval.score import score


def test_question_order_per_benchmark():
    assert question_order("clevr", {"questions": [{"question_index": 7}, {}, {"question_index": 3}]}) == [7, 1, 3]
    assert question_order("vqav2", annotations={"annotations": [{"question_id": 5}, {"question_id": 2}]}) == [5, 2]
    assert question_order("gqa", {"b": {}, "a": {}}) == ["b", "a"]
    with pytest.raises(DataError, match="GQA all-questions"):
        question_order("gqa", [])


def test_merge_predictions_sorts_into_question_order():
    a = [{"question_index": 2, "answer": "x"}, {"question_index": 0, "answer": "y"}]
    b = [{"question_index": 1, "answer": "z"}, {"question_index": 99, "answer": "?"}]
    merged = merge_predictions("clevr", [("a.json", a), ("b.json", b)], [0, 1, 2])
    assert [p["question_index"] for p in merged] == [0, 1, 2, 99]  # unknown ids last, left to the evaluator


def test_merge_predictions_overlap_raise():
    a = [{"questionId": "q1", "prediction": "yes"}]
    with pytest.raises(DataError, match=r"questionId 'q1' in files 1 and 2 \(a.json, a2.json\)"):
        merge_predictions("gqa", [("a.json", a), ("a2.json", list(a))], ["q1"])
    with pytest.raises(DataError, match=r"files 1 and 2 \(a.json, a.json\)"):  # one file given twice
        merge_predictions("gqa", [("a.json", a), ("a.json", a)], ["q1"])


def test_merge_predictions_keeps_repeats_within_a_file_in_order():
    # Within one file the evaluator decides (VQA v2 / GQA: the last one counts, like the official).
    a = [{"question_id": 1, "answer": "no"}, {"question_id": 2, "answer": "2"}, {"question_id": 1, "answer": "yes"}]
    merged = merge_predictions("vqav2", [("a.json", a)], [1, 2])
    assert [p["answer"] for p in merged] == ["no", "yes", "2"]


def test_merge_predictions_not_a_list_raise():
    with pytest.raises(DataError, match="b.json must be a JSON list"):
        merge_predictions("clevr", [("b.json", {"0": "yes"})], [0])


def test_score_dispatches_to_the_benchmark():
    qs = {"questions": [{"question_index": 0, "answer": "yes", "template_filename": "t.json"}]}
    assert score("clevr", [{"question_index": 0, "answer": "yes"}], questions=qs)["accuracy"] == 1.0
    with pytest.raises(DataError, match="unknown benchmark 'okvqa'"):
        score("okvqa", [])
