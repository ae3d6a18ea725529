"""CLEVR exact-match accuracy, per family and per answer type."""

import pytest

from vqa.errors import DataError
from vqa.eval.clevr import answer_type, evaluate


def _q(idx, answer, family, image="CLEVR_val_000000.png"):
    return {
        "question_index": idx,
        "image_index": 0,
        "image_filename": image,
        "split": "val",
        "question": "?",
        "answer": answer,
        "template_filename": family,
        "question_family_index": 0,
        "program": [],
    }


def _questions():
    return [
        _q(0, "yes", "exist.json"),
        _q(1, "no", "exist.json"),
        _q(2, "3", "count.json"),
        _q(3, "red", "query.json"),
        _q(4, "cube", "query.json"),
        _q(5, "metal", "query.json", image="CLEVR_val_000001.png"),
        _q(6, "large", "query.json", image="CLEVR_val_000001.png"),
    ]


def _predictions():
    return [
        {"question_index": 0, "answer": "yes"},  # right
        {"question_index": 1, "answer": "yes"},  # wrong
        {"question_index": 2, "answer": "3"},  # right
        {"question_index": 3, "answer": "blue"},  # wrong
        {"question_index": 4, "answer": "cube", "image_filename": "CLEVR_val_000000.png"},  # right
        {"question_index": 5, "answer": "metal"},  # right
        {"question_index": 6, "answer": "Large"},  # wrong: exact match, no case folding
    ]


def test_answer_type_vocab():
    assert [answer_type(a) for a in ("yes", "no", "0", "10", "gray", "cyan", "sphere", "rubber", "small", "dog")] == [
        "bool", "bool", "count", "count", "color", "color", "shape", "material", "size", "other"]


def test_evaluate_accuracy_per_family_and_type():
    m = evaluate(_questions(), _predictions())
    assert m["benchmark"] == "clevr"
    assert (m["count"], m["missing"]) == (7, 0)
    assert m["accuracy"] == pytest.approx(4 / 7)
    assert m["per_family"] == pytest.approx({"exist.json": 0.5, "count.json": 1.0, "query.json": 0.5})
    assert m["per_answer_type"] == pytest.approx(
        {"bool": 0.5, "count": 1.0, "color": 0.0, "shape": 1.0, "material": 1.0, "size": 0.0})


def test_evaluate_question_index_defaults_to_position():
    qs = [{k: v for k, v in q.items() if k != "question_index"} for q in _questions()]
    assert evaluate(qs, _predictions())["accuracy"] == pytest.approx(4 / 7)


def test_evaluate_missing_raise():
    with pytest.raises(DataError, match="1 of 7 questions have no prediction.*6"):
        evaluate(_questions(), _predictions()[:6])


def test_evaluate_missing_allowed_counts_wrong():
    m = evaluate(_questions(), _predictions()[:5], allow_missing=True)
    assert m["accuracy"] == pytest.approx(3 / 7)
    assert m["missing"] == 2


def test_evaluate_duplicate_raise():
    with pytest.raises(DataError, match=r"predictions\[7\].*question_index 2 is answered twice"):
        evaluate(_questions(), _predictions() + [{"question_index": 2, "answer": "3"}])


def test_evaluate_unknown_raise():
    with pytest.raises(DataError, match="not in the questions.*42"):
        evaluate(_questions(), _predictions() + [{"question_index": 42, "answer": "3"}])


def test_evaluate_non_string_answer_raise():
    preds = _predictions()
    preds[2] = {"question_index": 2, "answer": 3}
    with pytest.raises(DataError, match=r"predictions\[2\].*'answer' must be a string, got 3"):
        evaluate(_questions(), preds)


def test_evaluate_image_filename_mismatch_raise():
    preds = _predictions()
    preds[0] = {"question_index": 0, "answer": "yes", "image_filename": "CLEVR_test_000000.png"}
    with pytest.raises(DataError, match="image_filename"):
        evaluate(_questions(), preds)


def test_evaluate_questions_without_answers_raise():
    qs = _questions()
    del qs[3]["answer"]
    with pytest.raises(DataError, match=r"questions\[3\].*'answer'.*test split"):
        evaluate(qs, _predictions())
