"""Answer vocabularies and answer types."""
from __future__ import annotations

__all__ = ["CLEVR_ANSWERS", "ANSWER_TYPES", "CLEVR_VALUES", "VALUE_WORDS", "clevr_answer_type", "one_edit"]

# CLEVR's closed answer vocabulary; order fixes the model's output indices
_COLORS = ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"]
_SHAPES = ["cube", "sphere", "cylinder"]
_MATERIALS = ["rubber", "metal"]
_SIZES = ["small", "large"]

CLEVR_ANSWERS = ["yes", "no"] + [str(k) for k in range(11)] + _COLORS + _SHAPES + _MATERIALS + _SIZES
ANSWER_TYPES = ["bool", "count", "color", "shape", "material", "size"]
# what each attribute of a CLEVR object may be (a scenes file holding anything else is refused)
CLEVR_VALUES = {"color": tuple(_COLORS), "shape": tuple(_SHAPES), "material": tuple(_MATERIALS), "size": tuple(_SIZES)}

# words people use for CLEVR's values -> the value (plurals and a few synonyms); read by the answer-type
# parser (vqa.answer.expected) and the question parser (vqa.encode.clevr_phrases)
VALUE_WORDS = {
    **{c: c for c in _COLORS},
    "grey": "gray", "gold": "yellow", "golden": "yellow",
    **{w: "cube" for w in ("cube", "cubes", "block", "blocks", "box", "boxes")},
    **{w: "sphere" for w in ("sphere", "spheres", "ball", "balls", "orb", "orbs", "globe", "globes")},
    **{w: "cylinder" for w in ("cylinder", "cylinders", "can", "cans", "tube", "tubes")},
    **{w: "metal" for w in ("metal", "metallic", "shiny", "metals", "reflective", "steel")},
    **{w: "rubber" for w in ("rubber", "rubbery", "matte", "matt", "dull", "rubbers")},
    **{w: "large" for w in ("large", "big", "huge", "larger", "bigger")},
    **{w: "small" for w in ("small", "tiny", "little", "smaller")},
}


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


def one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one letter dropped, added or changed, or two neighbours swapped (a typo)."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
