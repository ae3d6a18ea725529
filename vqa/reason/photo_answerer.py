"""Photo questions answered by the trained photo reasoner, with the rule-based answerer's honesty.

``ReasonerPhotoAnswerer(question, graph) -> PhotoAnswer``, a drop-in for ``PhotoAnswerer``, in one of
two modes: ``rules_first=False`` (the reasoner answers whatever the rules do not refuse, below) or
``rules_first=True`` (the rules answer every question they can parse, the reasoner only those they
cannot: the *hybrid*).

1. The rule-based ``PhotoAnswerer`` reads the question first. Its refusals stand, because they are
   about the graph and the vocabulary, not about reasoning: an object outside the 80 classes
   (``out_of_vocabulary``), a presupposed object that was not detected (``not_found``), an empty
   graph. Questions whose answer is not in the reasoner's vocabulary ("what is left of the bus?",
   "what is in the picture?") stay with the rules too.
2. Otherwise the reasoner answers (``vqa.reason.photo``): its softmax over ``PHOTO_ANSWERS``. The top
   answer is given when its probability reaches the rule-based answerer's threshold for its type
   (``binary_sure`` for yes/no and left/right, ``sure`` for counts, ``color_sure`` for colours);
   otherwise "not sure" with the top guesses.
3. A question the rules cannot parse is answered this way only if it is a rewording of something
   the reasoner was trained on: the cosine between its MiniLM sentence embedding (mean-pooled,
   unit length) and the nearest training question's, ``max_j cos(e_q, e_j)``, must reach
   ``known_min`` (0.8). Otherwise the rules' "I can't answer that kind of question" stands. The
   reasoner's softmax is over answers, not over meanings: asked "does the cat have whiskers?" it
   would say yes or no about the cat. Cosine similarity of this encoder's embeddings has no
   universal cut; 0.8 is the common choice for "same meaning" in paraphrase mining, and it was
   checked (not tuned) against the distributions in ``docs/photos.md``: held-out generated
   questions median 1.0, our rewordings of them median 0.87, hand-written questions about things
   the detector cannot see median 0.60, at most 0.85.

The objects it rests on are those the last reasoning step selected (``node_select >= 0.5``).
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..answer.prediction import ReasoningStep
from ..encode.encoder import token_strings, tokenize
from ..graph.scene_graph import SceneGraph
from ..graph.tensors import collate_graphs, scene_to_tensors
from ..weights import weight_files
from .photo import PHOTO_WEIGHTS
from .reasoner import Reasoner
from .photo_rules import (ANSWERED, NOT_FOUND, NOT_SURE, OUT_OF_VOCABULARY, UNSUPPORTED, PhotoAnswer, PhotoAnswerer,
                    PhotoAnswererConfig)

__all__ = ["ReasonerPhotoAnswerer", "DEFAULT_PHOTO_ANSWERER", "default_photo_answerer", "reasoner_steps"]

# What answers photos by default, chosen by measurement (docs/photos.md, "Rules, reasoner or both"):
# "rules" (PhotoAnswerer), "reasoner" or "hybrid" (rules where they parse the question, else the reasoner).
DEFAULT_PHOTO_ANSWERER = "hybrid"

_RULES_ONLY = ("list", "relate")  # answers outside the reasoner's vocabulary
_TYPE_OF_ANSWER = {"bool": "yes_no", "count": "count", "color": "color", "side": "left_right"}


class ReasonerPhotoAnswerer:
    """Trained photo reasoner behind the rule-based answerer's refusals (module docstring).

    Args:
        weights: the photo reasoner (default ``weights/photo-reasoner.safetensors``), or a loaded ``Reasoner``.
        config: thresholds (``PhotoAnswererConfig``), shared with the rules.
        rules_first: the rules answer what they can parse; the reasoner only the rest (module docstring).
        known_min: a question the rules cannot parse needs this cosine similarity to a training question.
    """

    def __init__(self, weights=None, config: PhotoAnswererConfig | None = None, rules_first: bool = False,
                 known_min: float = 0.8):
        self._model = weights if isinstance(weights, torch.nn.Module) else None
        self._weights = weights
        self.config = config or PhotoAnswererConfig()
        self.rules = PhotoAnswerer(self.config)
        self.rules_first = rules_first
        self.known_min = known_min

    @property
    def model(self):
        """The reasoner, loaded on first use (MiniLM included: about a second), so that building a
        ``GraphQA`` that never sees a photo costs nothing."""
        if self._model is None:
            self._model = Reasoner.from_pretrained(self._weights or PHOTO_WEIGHTS)
        return self._model

    def familiarity(self, question: str) -> float:
        """``max_j cos(e_q, e_j)`` over the training questions (module docstring); 1.0 when the
        weights carry no training questions (nothing to compare with)."""
        known = getattr(self.model, "known_questions", None)
        if known is None:
            return 1.0
        ids, mask = tokenize([question], self.model.config.encoder.max_tokens)
        with torch.inference_mode():
            h = self.model.encoder.minilm(input_ids=ids, attention_mask=mask.long()).last_hidden_state
        m = mask[..., None].float()
        e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
        return float((e @ known.float().T).max())

    @classmethod
    def available(cls, weights: str | Path | None = None) -> bool:
        return all(f.is_file() for f in weight_files(weights or PHOTO_WEIGHTS))

    def __call__(self, question: str, graph: SceneGraph) -> PhotoAnswer:
        ruled = self.rules(question, graph)
        if ruled.status in (OUT_OF_VOCABULARY, NOT_FOUND) or ruled.question_type in _RULES_ONLY or not graph.objects:
            return ruled
        if self.rules_first and ruled.status != UNSUPPORTED:
            return ruled
        if ruled.status == UNSUPPORTED and self.familiarity(question) < self.known_min:
            return ruled
        cfg = self.model.config
        ids, mask = tokenize([question], cfg.encoder.max_tokens)
        with torch.inference_mode():
            out = self.model(ids, mask, collate_graphs([scene_to_tensors(graph, cfg.vocab)]))
        probs = out.logits[0].softmax(-1)
        top = probs.topk(min(5, len(cfg.answers)))
        ranked = [(cfg.answers[i], float(p)) for p, i in zip(top.values, top.indices)]
        best, p = ranked[0]
        atype = cfg.answer_type_of[cfg.answers.index(best)]
        qtype = ruled.question_type if ruled.question_type != "unsupported" else _TYPE_OF_ANSWER[atype]
        objects = [int(i) for i in torch.nonzero(out.node_select[0, -1, : len(graph.objects)] >= 0.5).flatten()]
        threshold = {"bool": self.config.binary_sure, "side": self.config.binary_sure,
                     "count": self.config.sure}.get(atype, self.config.color_sure)
        tokens, steps = reasoner_steps(out, ids, mask, len(graph.objects))
        if p >= threshold:
            return PhotoAnswer(question, qtype, best, f"{best} ({p:.0%})", ranked, ANSWERED, objects, tokens, steps)
        guesses = " or ".join(f"{a} ({b:.0%})" for a, b in ranked[:3] if b > 0)
        return PhotoAnswer(question, qtype, "not sure", f"Not sure: maybe {guesses}.", ranked, NOT_SURE, objects,
                           tokens, steps)


def reasoner_steps(out, ids, mask, n: int, min_flow: float = 0.3, max_edges: int = 6):
    """``(tokens, steps)`` of one question from the reasoner's output (batch of one, ``n`` objects).

    Step t attends over the objects with ``node_attn[t]`` and over the word pieces with
    ``word_attn[t]``. Its edges are those that carried selection into it: edge j -> i weighs
    ``edge_attn[t, e] * node_select[t - 1, j]`` (as ``vqa.explain.ExplainResult.edge_flow``), the
    ``max_edges`` largest of at least ``min_flow``, with predicate "" (the reasoner weighs every
    relation between the two objects).
    """
    L = int(mask[0].sum())
    keep = (out.edge_index[0] < n) & (out.edge_index[1] < n)
    src, dst = out.edge_index[:, keep]
    steps = []
    for t in range(out.node_attn.shape[1]):
        edges = []
        if t > 0 and src.numel():
            flow = out.edge_attn[t, keep] * out.node_select[0, t - 1, src]
            top = flow.topk(min(max_edges, flow.numel()))
            edges = [(int(src[e]), "", int(dst[e]), float(f)) for f, e in zip(top.values, top.indices) if f >= min_flow]
        steps.append(ReasoningStep(f"step {t + 1}", out.node_attn[0, t, :n].tolist(), out.word_attn[0, t, :L].tolist(),
                                   edges))
    return token_strings(ids, mask)[0], steps


def default_photo_answerer(kind: str = DEFAULT_PHOTO_ANSWERER):
    """The photo answerer ``GraphQA`` uses unless given one: ``kind`` (``DEFAULT_PHOTO_ANSWERER``), or the
    rules when the photo reasoner's weights are not installed."""
    if kind == "rules" or not ReasonerPhotoAnswerer.available():
        return PhotoAnswerer()
    return ReasonerPhotoAnswerer(rules_first=kind == "hybrid")
