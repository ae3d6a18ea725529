"""Probabilities that mean what they say, and the "not sure" answer of the CLEVR reasoner.

The reasoner's softmax is overconfident on wording it was not trained on: on the hand-written dev
questions (tests/data/README.md) its wrong answers came at a median probability of 0.96, and its
expected calibration error (15 bins) was 0.19. Two things, both chosen on the dev sets only:

* **temperature** ``T``: the answer probabilities are ``softmax(logits / T)`` over the answers the
  question allows (``vqa.answer.expected``). ``T`` minimises the negative log-likelihood of the right
  answers of both hand-written dev sets (answerable questions). Dividing by ``T`` keeps the order of
  the answers, so it changes no answer, only the probability shown with it;
* **"not sure"**: when the best answer's probability is under ``not_sure_below`` and the question asks
  for one of ``not_sure_types``, the answer is "not sure", followed by the guesses. It is used only
  for the answer types where a low probability marked the questions CLEVR cannot express (and the
  wrong answers) better than it marked right ones on dev; for yes/no and counts it did not, so they
  are always answered.

A calibration is fitted for one weights file. ``calibration_for`` gives it only to the weights it
was fitted for (by their SHA-256); any other weights get ``UNCALIBRATED`` (``T = 1``, never "not
sure") until they are refitted: ``python benchmarks/human_questions.py --fit``.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

__all__ = ["Calibration", "SHIPPED_CALIBRATION", "UNCALIBRATED", "NOT_SURE_ANSWER", "calibration_for"]

NOT_SURE_ANSWER = "not sure"


@dataclass(frozen=True)
class Calibration:
    """How logits become the probabilities shown, and when the answer is "not sure".

    Attributes:
        temperature: logits are divided by it before the softmax (1: as trained).
        not_sure_below: an answer whose probability is under this is "not sure" ...
        not_sure_types: ... when its answer type is one of these ("color", "shape", ...).
        weights_sha256: the SHA-256 of the weights file it was fitted for (None: any).
    """

    temperature: float = 1.0
    not_sure_below: float = 0.0
    not_sure_types: tuple[str, ...] = ()
    weights_sha256: str | None = None

    def probabilities(self, logits: Tensor) -> Tensor:
        """``logits`` [B, A] (``-inf`` where not allowed) -> probabilities [B, A]."""
        return (logits.float() / self.temperature).softmax(-1)

    def not_sure(self, answer_type: str, probability: float) -> bool:
        return answer_type in self.not_sure_types and probability < self.not_sure_below


UNCALIBRATED = Calibration()

# Fitted for clevr-reasoner@035e6d0 on tests/data/human_questions_dev.json and human_questions_v2_dev.json
# (gold graphs, answers restricted to the asked type): T from the answerable questions' likelihood
# (ECE 0.194 -> 0.056 on the two sets together); "not sure" under 0.5 for colours and shapes only
# (on dev it turned 10 of 11 unanswerable colour and shape questions into "not sure" and 3 right
# answers into "not sure"; for yes/no, counts, materials and sizes no threshold did more good than
# harm). docs/experiments/clevr-reasoner.md has the figures.
SHIPPED_CALIBRATION = Calibration(
    temperature=3.0, not_sure_below=0.5, not_sure_types=("color", "shape"),
    weights_sha256="a08e1bec54e176023b6fd9dec53aeb92b3356cd13fb23b7c808f3ce52b0e65d2")


def calibration_for(weights_sha256: str | None) -> Calibration:
    """The calibration fitted for the weights with this SHA-256, else ``UNCALIBRATED``."""
    if weights_sha256 is not None and weights_sha256 == SHIPPED_CALIBRATION.weights_sha256:
        return SHIPPED_CALIBRATION
    return UNCALIBRATED
