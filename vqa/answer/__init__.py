"""Answers: ``Prediction`` (CLEVR and photo), top-k from logits, the flags and statuses they carry."""
from .prediction import ANSWERED, EMPTY_GRAPH, NO_IMAGE, PHOTO_GRAPH, PhotoPrediction, Prediction, top_answers

__all__ = ["Prediction", "PhotoPrediction", "top_answers", "EMPTY_GRAPH", "NO_IMAGE", "PHOTO_GRAPH", "ANSWERED"]
