"""Answer vocabularies and answer types."""
from __future__ import annotations

__all__ = ["CLEVR_ANSWERS", "ANSWER_TYPES", "CLEVR_VALUES", "clevr_answer_type"]

# CLEVR's closed answer vocabulary; order fixes the model's output indices
_COLORS = ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"]
_SHAPES = ["cube", "sphere", "cylinder"]
_MATERIALS = ["rubber", "metal"]
_SIZES = ["small", "large"]

CLEVR_ANSWERS = ["yes", "no"] + [str(k) for k in range(11)] + _COLORS + _SHAPES + _MATERIALS + _SIZES
ANSWER_TYPES = ["bool", "count", "color", "shape", "material", "size"]
# what each attribute of a CLEVR object may be (a scenes file holding anything else is refused)
CLEVR_VALUES = {"color": tuple(_COLORS), "shape": tuple(_SHAPES), "material": tuple(_MATERIALS), "size": tuple(_SIZES)}


def clevr_answer_type(answer: str) -> str:
    """CLEVR answer type: bool, count, color, shape, material, size, or other (out of vocabulary)."""
    if answer in ("yes", "no"):
        return "bool"
    if answer.isascii() and answer.isdigit():
        return "count"
    for name, values in (("color", _COLORS), ("shape", _SHAPES), ("material", _MATERIALS), ("size", _SIZES)):
        if answer in values:
            return name
    return "other"
