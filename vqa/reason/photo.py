"""The reasoner for photo graphs: COCO vocabulary, box predicates, MiniLM questions (issue 8).

Same network as the CLEVR reasoner (``Reasoner``, see its docstring for the maths), configured for
the graphs of the ``coco`` detector (``detections_to_box_graph``):

* node vocabulary ``PHOTO_VOCAB``: ``class`` (the 80 COCO classes), ``color`` (the 12 palette names
  of ``vqa.perception.coco.colors``), ``size`` (small / medium / large); a photo object's row is the
  detector's distributions, a generated scene's row is one-hot or detector-like (``detector_like``);
* edge types: the ten box predicates of ``vqa.graph.box_relations`` plus ``same_color``;
* answers ``PHOTO_ANSWERS``: yes / no, 0-10, the 12 colours, left / right; answer types
  bool, count, color, side;
* question encoder ``minilm`` (frozen all-MiniLM-L6-v2 + a trained projection): pretrained sentence
  embeddings carry the paraphrases that 5,000 templated questions cannot.

How it is trained: ``vqa.train.photo_reasoner``.
"""
from __future__ import annotations

from ..encode.encoder import EncoderConfig
from ..graph.box_relations import BOX_PREDICATES
from ..graph.tensors import GraphVocab
from ..vocab.coco import COCO_CLASSES, COLOR_NAMES, SIZE_VALUES
from ..weights import shipped
from .config import ReasonerConfig

__all__ = ["PHOTO_VOCAB", "PHOTO_ANSWERS", "PHOTO_ANSWER_TYPES", "PHOTO_WEIGHTS", "photo_answer_type",
           "photo_reasoner_config"]

PHOTO_WEIGHTS = shipped("photo-reasoner")
PHOTO_VOCAB = GraphVocab(attributes={"class": list(COCO_CLASSES), "color": list(COLOR_NAMES),
                                     "size": list(SIZE_VALUES)},
                         predicates=list(BOX_PREDICATES), same_attributes=["color"], image_size=(640, 480))
PHOTO_ANSWERS = ["yes", "no"] + [str(k) for k in range(11)] + list(COLOR_NAMES) + ["left", "right"]
PHOTO_ANSWER_TYPES = ["bool", "count", "color", "side"]


def photo_answer_type(answer: str) -> str:
    """bool, count, color or side."""
    if answer in ("yes", "no"):
        return "bool"
    if answer.isdigit():
        return "count"
    return "side" if answer in ("left", "right") else "color"


def photo_reasoner_config(**overrides) -> ReasonerConfig:
    """``ReasonerConfig`` for photo graphs (module docstring); ``overrides`` replace its fields.

    Three steps suffice: the engine's programs start at most two object sets (X, and Y or the
    objects related to Y); the third learns to keep its selection.
    """
    base = dict(steps=3, vocab=PHOTO_VOCAB, answers=list(PHOTO_ANSWERS), answer_types=list(PHOTO_ANSWER_TYPES),
                answer_type_of=[photo_answer_type(a) for a in PHOTO_ANSWERS], encoder=EncoderConfig(kind="minilm"))
    return ReasonerConfig(**{**base, **overrides})
