"""Logits -> ``Prediction``: top-k answers with probabilities, answer type and flags."""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

from ..vocab.clevr import clevr_answer_type
from .calibration import NOT_SURE_ANSWER, UNCALIBRATED, Calibration
from .expected import answer_mask, restrict_logits

__all__ = ["Prediction", "ReasoningStep", "PhotoAnswer", "PhotoPrediction", "ParsedPrediction", "top_answers",
           "clevr_predictions", "EMPTY_GRAPH", "NO_IMAGE", "PHOTO_GRAPH", "PARSED", "NOT_EXPRESSIBLE", "ANSWERED",
           "NOT_SURE", "OUT_OF_VOCABULARY", "NOT_FOUND", "UNSUPPORTED"]

EMPTY_GRAPH = "empty_graph"  # the scene graph has no objects: the answer comes from the question alone
NO_IMAGE = "no_image"  # no image or graph was given: answered from the question prior
PHOTO_GRAPH = "photo_graph"  # answered by the photo answerer, not the CLEVR reasoner
PARSED = "parsed"  # a CLEVR answer computed by the question's program (vqa.reason.clevr_rules), not the reasoner
NOT_EXPRESSIBLE = "not_expressible"  # a CLEVR question about what scene graphs do not hold: "not sure"
# a photo answer's status: given, or why not (the rule-based and learned photo answerers of ``vqa.reason``)
ANSWERED, NOT_SURE, OUT_OF_VOCABULARY, NOT_FOUND, UNSUPPORTED = (
    "answered", "not_sure", "out_of_vocabulary", "not_found", "unsupported")


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
class ReasoningStep:
    """One reasoning step of a photo answer, as the app and ``vqa attention`` draw it.

    Attributes:
        label: what the step did, in words ("find: couch", "dog on the couch").
        objects: attention over the graph's objects; sums to 1, or is all 0 when the step found nothing.
        words: attention over the answer's ``tokens``; sums to 1.
        edges: the relations the step followed, ``(subject, predicate, object, weight)`` with object
            indices, read like ``Relation``: "subject is predicate of object" ("dog", "on", "couch");
            predicate "" when the step weighs every relation between the two (the trained reasoner).
    """

    label: str
    objects: list[float]
    words: list[float]
    edges: list[tuple[int, str, int, float]] = field(default_factory=list)


@dataclass
class PhotoAnswer:
    """One answered photo question.

    Attributes:
        question: as asked.
        question_type: exist, count, color, yes_no, left_right, relate, list, or unsupported.
        answer: the short answer ("yes", "2", "red", "left"), or "not sure" / "unknown".
        text: the sentence to show a person (the honest explanation when not answered).
        answers: the top guesses ``(answer, probability)``, best first.
        status: ANSWERED, NOT_SURE, OUT_OF_VOCABULARY, NOT_FOUND or UNSUPPORTED.
        objects: indices of the graph objects the answer rests on (for highlighting).
        tokens: the question's words (or word pieces) that the steps' ``words`` attend over.
        steps: how the answer was reached, one ``ReasoningStep`` per step; empty when the question
            never reached the graph (out of vocabulary, unsupported).
    """

    question: str
    question_type: str
    answer: str
    text: str
    answers: list[tuple[str, float]] = field(default_factory=list)
    status: str = ANSWERED
    objects: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    steps: list[ReasoningStep] = field(default_factory=list)

    @property
    def probability(self) -> float:
        return self.answers[0][1] if self.answers else 0.0


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

    @classmethod
    def from_answer(cls, answer: PhotoAnswer, top_k: int = 5) -> "PhotoPrediction":
        """A photo answerer's ``PhotoAnswer`` as a prediction: its top-k guesses, or when it is not
        given, its short answer at probability 0 followed by the guesses."""
        if answer.status == ANSWERED:
            answers = list(answer.answers[:top_k])
        else:
            answers = [(answer.answer, 0.0)] + [g for g in answer.answers if g[0] != answer.answer][: top_k - 1]
        flags = [PHOTO_GRAPH] + ([answer.status] if answer.status != ANSWERED else [])
        return cls(answer.question, answers, answer.question_type, flags, answer.text, answer.status)


@dataclass
class ParsedPrediction(Prediction):
    """A CLEVR ``Prediction`` made by the rules (``vqa.reason.clevr_rules``): the question parser's program run
    on the graph (flag ``PARSED``, the answer at probability 1), or "not sure" at probability 0 followed by the
    reasoner's guesses (flags ``NOT_SURE`` and, for a question CLEVR cannot express, ``NOT_EXPRESSIBLE``).
    ``message`` says it in words; ``program`` is the program run (empty when none was)."""

    message: str = ""
    program: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return super().to_json() | {"message": self.message, "program": self.program}


def top_answers(logits: Tensor, answers: list[str], k: int = 5) -> list[list[tuple[str, float]]]:
    """``logits`` [B, A] -> for each row the ``k`` most probable answers with probabilities."""
    probs = logits.float().softmax(-1)
    p, i = probs.topk(min(k, probs.shape[-1]), -1)
    return [[(answers[a], float(q)) for a, q in zip(ia, pa)] for ia, pa in zip(i.tolist(), p.tolist())]


def clevr_predictions(questions: list[str], logits: Tensor, answers: list[str], k: int = 5,
                      calibration: Calibration = UNCALIBRATED, flags: list[str] | None = None) -> list[Prediction]:
    """The CLEVR reasoner's ``logits`` [B, A] for ``questions`` -> one ``Prediction`` each.

    Answers are restricted to the type each question asks for (``vqa.answer.expected``), their
    probabilities come from ``calibration`` (its temperature), and an answer it is not sure of
    becomes "not sure" at probability 0, followed by the ``k - 1`` best guesses, with the
    ``NOT_SURE`` flag. ``answer_type`` is the type of the best answer (the guess when not sure).
    """
    probs = calibration.probabilities(restrict_logits(logits, answer_mask(questions, answers)))
    p, i = probs.topk(min(k, probs.shape[-1]), -1)
    out = []
    for question, ia, pa in zip(questions, i.tolist(), p.tolist()):
        ranked = [(answers[a], q) for a, q in zip(ia, pa) if q > 0] or [(answers[ia[0]], pa[0])]
        atype = clevr_answer_type(ranked[0][0])
        row_flags = list(flags or [])
        if calibration.not_sure(atype, ranked[0][1]):
            ranked = [(NOT_SURE_ANSWER, 0.0)] + ranked[: k - 1]
            row_flags.append(NOT_SURE)
        out.append(Prediction(question, ranked, atype, row_flags))
    return out
