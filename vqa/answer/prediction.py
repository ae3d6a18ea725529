"""Logits -> ``Prediction``: top-k answers with probabilities, answer type and flags."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = ["Prediction", "PhotoPrediction", "top_answers", "EMPTY_GRAPH", "NO_IMAGE", "PHOTO_GRAPH", "ANSWERED"]

EMPTY_GRAPH = "empty_graph"  # the scene graph has no objects: the answer comes from the question alone
NO_IMAGE = "no_image"  # no image or graph was given: answered from the question prior
PHOTO_GRAPH = "photo_graph"  # answered by the photo answerer, not the CLEVR reasoner
ANSWERED = "answered"  # a photo answer's status when it is given (else not_sure, not_found, ...)


@dataclass
class Prediction:
    """One answered question.

    ``answers`` is the top-k as ``(answer, probability)``, best first; ``flags`` says when the
    answer rests on less than a full graph (``EMPTY_GRAPH``, ``NO_IMAGE``).
    """

    question: str
    answers: list[tuple[str, float]]
    answer_type: str
    flags: list[str] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return self.answers[0][0]

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "answer_type": self.answer_type,
                "answers": [{"answer": a, "probability": round(p, 6)} for a, p in self.answers], "flags": self.flags}


@dataclass
class PhotoPrediction(Prediction):
    """A ``Prediction`` about a photo graph, with the sentence to show and how it was answered.

    ``answers[0]`` is the short answer ("yes", "2", "red"), or "not sure" / "unknown" (probability
    0) followed by the guesses; ``message`` says it in words (for "unknown": why), ``status`` is
    the photo answerer's status (``vqa.reason.photo_rules``) (``answered``, ``not_sure``, ``out_of_vocabulary``, ``not_found``,
    ``unsupported``), also in ``flags`` when not ``answered``.
    """

    message: str = ""
    status: str = ANSWERED

    def to_json(self) -> dict:
        return super().to_json() | {"message": self.message, "status": self.status}


def top_answers(logits: Tensor, answers: list[str], k: int = 5) -> list[list[tuple[str, float]]]:
    """``logits`` [B, A] -> for each row the ``k`` most probable answers with probabilities."""
    probs = logits.float().softmax(-1)
    p, i = probs.topk(min(k, probs.shape[-1]), -1)
    return [[(answers[a], float(q)) for a, q in zip(ia, pa)] for ia, pa in zip(i.tolist(), p.tolist())]
