"""Answer vocabularies and predictions."""
from .prediction import EMPTY_GRAPH, NO_IMAGE, Prediction, top_answers
from .vocab import ANSWER_TYPES, CLEVR_ANSWERS, clevr_answer_type

__all__ = ["Prediction", "top_answers", "EMPTY_GRAPH", "NO_IMAGE", "CLEVR_ANSWERS", "ANSWER_TYPES", "clevr_answer_type"]
