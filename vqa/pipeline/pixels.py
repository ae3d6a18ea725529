"""Answering questions about image files the way ``vqa ask IMAGE QUESTION`` does, many at a time.

``PixelQA`` holds ONE ``SceneBuilder`` (its cache lets later questions about an image skip
detection) and ONE ``GraphQA``; ``vqa batch`` and ``vqa eval --benchmark vqav2|gqa --graphs
predicted`` both answer through it, so their answers are those of ``vqa ask``.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..answer.prediction import ANSWERED, Prediction
from ..encode.tokenizer import check_question
from ..graph.box_relations import is_photo_graph
from ..graph.scene_graph import SceneGraph
from ..encode.photo_phrases import question_looks
from ..reason.reasoner import DEFAULT_WEIGHTS
from .ask import Explanation, GraphQA
from .scenes import SceneBuilder

__all__ = ["PixelQA", "best_guess", "declined"]


class PixelQA:
    """Image file + question -> (prediction, scene graph, timings in ms), models loaded once.

    ``timings`` holds the scene's decode/detect/graph/closer_look and ``answer``; the time spent
    loading models (here, or a photo reasoner or detector on first use) goes to ``load_models`` of
    the answer that loaded them, and only there.
    """

    def __init__(self, detector: str = "auto", weights: str | Path = DEFAULT_WEIGHTS,
                 detector_weights: str | Path | None = None, closer_look: bool = True, threads: int = 1):
        t0 = time.perf_counter()
        self.builder = SceneBuilder(detector, weights=detector_weights, closer_look=closer_look)
        self.qa = GraphQA(weights, threads=threads)
        self._loading = (time.perf_counter() - t0) * 1000  # goes to the first answer's load_models
        self._photo_loaded = not hasattr(self.qa.photo, "model")

    def ask(self, image: str | Path, question: str, top_k: int = 5) -> tuple[Prediction, SceneGraph, dict]:
        """Answer ``question`` about the image file ``image``: ``(prediction, graph, timings in ms)``."""
        e, graph, timings = self.explain(image, question, top_k)
        return e.prediction, graph, timings

    def explain(self, image: str | Path, question: str, top_k: int = 5) -> tuple[Explanation, SceneGraph, dict]:
        """``ask``, keeping the answer's attention and steps (``GraphQA.explain``).

        Raises:
            QuestionError: empty, over-long or not text (``check_question``). ImageError: the image is
                missing or unreadable.
        """
        check_question(question)
        scene = self.builder.build(image, **question_looks(question))
        timings = dict(scene.timings)
        load = timings.pop("load", 0.0) + self._loading
        if is_photo_graph(scene.graph) and not self._photo_loaded:
            t0 = time.perf_counter()
            _ = self.qa.photo.model  # the photo reasoner loads on first use: count it as loading, not answering
            load += (time.perf_counter() - t0) * 1000
            self._photo_loaded = True
        if load:
            timings["load_models"] = load  # only on the answers that loaded a model
        self._loading = 0.0
        t0 = time.perf_counter()
        e = self.qa.explain(question, scene.graph, top_k=top_k)
        timings["answer"] = (time.perf_counter() - t0) * 1000
        return e, scene.graph, timings


def declined(p: Prediction) -> bool:
    """The photo answerer did not give an answer ("not sure", "unknown": status not "answered")."""
    return getattr(p, "status", ANSWERED) != ANSWERED


def best_guess(p: Prediction) -> str:
    """The answer a benchmark gets: the answer when given; when declined, the top guess with
    probability > 0, else the short answer ("not sure", "unknown")."""
    if not declined(p):
        return p.answers[0][0]
    guesses = [a for a, prob in p.answers if prob > 0]
    return guesses[0] if guesses else p.answers[0][0]
