"""Expected calibration error (vqa.eval.calibration) and where `vqa eval` reports it."""
import pytest

from vqa.errors import DataError
from vqa.eval.calibration import expected_calibration_error, reliability_bins
from vqa.eval.clevr import evaluate
from vqa.eval.report import format_table


def test_ece_zero_when_probabilities_match_accuracy():
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.5, 0.5], [True, False]) == pytest.approx(0.0)


def test_ece_weights_bins_by_size():
    # bin (0.93, 1]: 3 answers at 1.0, 2 right -> |2/3 - 1| = 1/3 with weight 3/4; bin (0.2, 0.27]: 0.25, right -> 0.75 x 1/4
    ece = expected_calibration_error([1.0, 1.0, 1.0, 0.25], [True, True, False, True])
    assert ece == pytest.approx(0.75 * (1 / 3) + 0.25 * 0.75)


def test_reliability_bins_edges_and_counts():
    table = reliability_bins([0.0, 1 / 15, 0.07, 1.0], [False, False, True, True], bins=15)
    assert [(round(b["low"], 3), b["count"]) for b in table] == [(0.0, 2), (0.067, 1), (0.933, 1)]
    assert expected_calibration_error([], []) == 0.0


@pytest.mark.parametrize("conf, right, bins", [([0.5], [True, False], 15), ([1.5], [True], 15), ([0.5], [True], 0)])
def test_ece_bad_input_raise(conf, right, bins):
    with pytest.raises(DataError):
        expected_calibration_error(conf, right, bins)


def _q(idx, answer):
    return {"question_index": idx, "image_filename": "a.png", "answer": answer, "template_filename": "t"}


def test_clevr_evaluate_reports_ece_of_the_best_answer_when_probabilities_are_given():
    qs = [_q(0, "yes"), _q(1, "not sure"), _q(2, "red")]
    preds = [{"question_index": 0, "answer": "yes", "probability": 0.9},
             {"question_index": 1, "answer": "not sure", "guess": "blue", "probability": 0.4},
             {"question_index": 2, "answer": "not sure", "guess": "red", "probability": 0.45}]
    m = evaluate(qs, preds)
    assert m["accuracy"] == pytest.approx(2 / 3)  # "not sure" is right where the answer is "not sure"
    assert m["ece"] == pytest.approx((0.1 + 0.4 + 0.55) / 3)
    assert "ECE (15 bins" in format_table(m, "clevr")
    assert "ece" not in evaluate(qs, [{"question_index": p["question_index"], "answer": p["answer"]} for p in preds])
