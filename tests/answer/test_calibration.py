"""Calibrated CLEVR answers: temperature, "not sure", and which weights get the shipped calibration."""
import torch

from vqa.answer.calibration import (NOT_SURE_ANSWER, SHIPPED_CALIBRATION, UNCALIBRATED, Calibration,
                                    calibration_for)
from vqa.answer.prediction import NOT_SURE, clevr_predictions
from vqa.pipeline.ask import GraphQA
from vqa.reason.reasoner import DEFAULT_WEIGHTS
from vqa.vocab.clevr import CLEVR_ANSWERS
from vqa.weights import stored_sha256


def _logits(**scores):
    row = torch.full((1, len(CLEVR_ANSWERS)), -5.0)
    for answer, value in scores.items():
        row[0, CLEVR_ANSWERS.index(answer)] = value
    return row


def test_calibration_for_the_shipped_weights_only():
    assert calibration_for(stored_sha256(DEFAULT_WEIGHTS)) is SHIPPED_CALIBRATION
    assert calibration_for("0" * 64) is UNCALIBRATED and calibration_for(None) is UNCALIBRATED


def test_temperature_keeps_the_order_and_softens():
    logits = torch.tensor([[2.0, 1.0, float("-inf")]])
    p1, p3 = Calibration(1.0).probabilities(logits), Calibration(3.0).probabilities(logits)
    assert p1.argmax() == p3.argmax() and p3[0, 0] < p1[0, 0] and p3[0, 2] == 0


def test_clevr_predictions_restrict_to_the_asked_type():
    # the free top answer "metal" is not a colour: the colour question gets the best colour
    p = clevr_predictions(["What is the shiny ball's colour?"], _logits(metal=9.0, red=3.0, blue=1.0), CLEVR_ANSWERS)[0]
    assert p.answer == "red" and p.answer_type == "color" and all(a in ("red", "blue") or q < 0.01 for a, q in p.answers)


def test_clevr_predictions_not_sure_below_threshold_for_chosen_types():
    cal = Calibration(1.0, not_sure_below=0.5, not_sure_types=("color",))
    unsure = clevr_predictions(["What colour is it?"], _logits(red=1.0, blue=0.9, green=0.8), CLEVR_ANSWERS, 3, cal)[0]
    assert unsure.answer == NOT_SURE_ANSWER and unsure.answers[0][1] == 0.0 and NOT_SURE in unsure.flags
    assert [a for a, _ in unsure.answers[1:]] == ["red", "blue"] and unsure.answer_type == "color"
    counted = clevr_predictions(["How many?"], _logits(**{"1": 1.0, "2": 0.9, "3": 0.8}), CLEVR_ANSWERS, 3, cal)[0]
    assert counted.answer == "1" and counted.flags == []  # counts are always answered


def test_clevr_predictions_keep_given_flags():
    p = clevr_predictions(["How many?"], _logits(**{"2": 5.0}), CLEVR_ANSWERS, 5, flags=["empty_graph"])[0]
    assert p.flags == ["empty_graph"] and len(p.answers) == 5


def test_graphqa_restricts_clevr_answers(tiny_weights, clevr_scenes):
    qa = GraphQA(tiny_weights)
    assert qa.calibration is UNCALIBRATED  # fitted for the shipped weights only
    p = qa.ask("Is the cylinder metal or rubber?", clevr_scenes[0])
    assert p.answer in ("metal", "rubber") and p.answer_type == "material"
    assert qa.ask("How many cubes are there?", clevr_scenes[0]).answer_type == "count"
