"""Answer vocabularies and answer types."""
from __future__ import annotations

__all__ = ["CLEVR_ANSWERS", "ANSWER_TYPES", "clevr_answer_type"]

_COLORS = ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"]
_SHAPES = ["cube", "sphere", "cylinder"]
_MATERIALS = ["rubber", "metal"]
_SIZES = ["small", "large"]

CLEVR_ANSWERS = ["yes", "no"] + [str(k) for k in range(11)] + _COLORS + _SHAPES + _MATERIALS + _SIZES
ANSWER_TYPES = ["bool", "count", "color", "shape", "material", "size"]


def clevr_answer_type(answer: str) -> str:
    """CLEVR answer type from the answer string (``"yes"`` -> ``"bool"``, ``"3"`` -> ``"count"``)."""
    if answer in ("yes", "no"):
        return "bool"
    if answer.isdigit():
        return "count"
    for name, values in (("color", _COLORS), ("shape", _SHAPES), ("material", _MATERIALS), ("size", _SIZES)):
        if answer in values:
            return name
    return "other"
