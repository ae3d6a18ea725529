"""Expected calibration error: does an answer given with probability p come out right p of the time?

Answers are grouped by their probability into ``bins`` equal-width bins over (0, 1] (15, as in
Guo et al. 2017, "On Calibration of Modern Neural Networks"). In bin b, with n_b answers, mean
probability conf_b and accuracy acc_b, out of N answers in all:

    ECE = sum_b (n_b / N) * |acc_b - conf_b|

0 means perfectly calibrated. Pure Python, like the rest of ``vqa.eval``.
"""
from __future__ import annotations

import math
from typing import Sequence

from vqa.errors import DataError

__all__ = ["expected_calibration_error", "reliability_bins"]


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], bins: int = 15) -> list[dict]:
    """One entry per non-empty bin: ``{"low", "high", "count", "confidence", "accuracy"}`` (fractions).

    A probability of exactly 0 goes to the first bin, p to the bin with ``low < p <= high``.
    Raises DataError when the lengths differ, ``bins`` < 1 or a probability is outside [0, 1].
    """
    if len(confidences) != len(correct):
        raise DataError(f"{len(confidences)} probabilities but {len(correct)} right/wrong marks; "
                        "give one of each per answer")
    if bins < 1:
        raise DataError(f"bins must be at least 1, got {bins}")
    groups: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for p, ok in zip(confidences, correct):
        if not 0.0 <= p <= 1.0:
            raise DataError(f"probability {p!r} is outside [0, 1]; pass the answers' probabilities")
        b = min(max(math.ceil(p * bins) - 1, 0), bins - 1)  # bin b holds (b / bins, (b + 1) / bins]
        groups[b].append((p, bool(ok)))
    return [{"low": b / bins, "high": (b + 1) / bins, "count": len(g),
             "confidence": sum(p for p, _ in g) / len(g), "accuracy": sum(ok for _, ok in g) / len(g)}
            for b, g in enumerate(groups) if g]


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 15) -> float:
    """ECE (module docstring) of answers given with ``confidences``, ``correct`` marking the right ones;
    0.0 when there are no answers."""
    table = reliability_bins(confidences, correct, bins)
    n = sum(b["count"] for b in table)
    return sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in table) if n else 0.0
