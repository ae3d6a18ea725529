"""Answers: ``Prediction`` (CLEVR and photo), top-k from logits, the flags and statuses they carry, the
answer type a question asks for (``expected``) and the calibration of the CLEVR reasoner's probabilities."""
from .calibration import NOT_SURE_ANSWER, SHIPPED_CALIBRATION, UNCALIBRATED, Calibration, calibration_for
from .expected import ExpectedAnswer, answer_mask, expected_answer, restrict_logits
from .prediction import (ANSWERED, EMPTY_GRAPH, NO_IMAGE, NOT_SURE, PHOTO_GRAPH, PhotoPrediction, Prediction,
                         clevr_predictions, top_answers)

__all__ = ["Prediction", "PhotoPrediction", "top_answers", "clevr_predictions", "EMPTY_GRAPH", "NO_IMAGE",
           "PHOTO_GRAPH", "ANSWERED", "NOT_SURE", "ExpectedAnswer", "expected_answer", "answer_mask",
           "restrict_logits", "Calibration", "calibration_for", "SHIPPED_CALIBRATION", "UNCALIBRATED",
           "NOT_SURE_ANSWER"]
