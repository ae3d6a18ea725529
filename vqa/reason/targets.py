"""Step supervision from CLEVR programs (training only: the model never reads programs).

A program is cut into *steps*: a step starts where the program starts a new object set
(``scene``, ``relate``, ``same_*``, ``union``, ``intersect``) and absorbs the ``filter_*`` and
``unique`` nodes that follow it. The step's target is the set its last node outputs. The answer
head's two *slots* are the steps the final function reads (the same step twice for one-input
functions such as ``count`` or ``query_color``).
"""
from __future__ import annotations

from ..data.executor import node_type

__all__ = ["program_steps"]

_STARTS = ("scene", "relate", "union", "intersect")


def program_steps(program: list[dict], outputs: list) -> tuple[list[list[int]], int, int]:
    """Return (object set per step, slot a, slot b)."""
    step_of: dict[int, int] = {}
    sets: list[list[int]] = []
    for k, node in enumerate(program):
        t = node_type(node)
        inputs = node.get("inputs", [])
        if t in _STARTS or t.startswith("same_"):
            step_of[k] = len(sets)
            sets.append(outputs[k])
        elif t.startswith("filter_"):
            step_of[k] = step_of[inputs[0]]
            sets[step_of[k]] = outputs[k]
        elif inputs and inputs[0] in step_of:  # unique, count, exist, query_*: read their input's step
            step_of[k] = step_of[inputs[0]]
    last = program[-1]
    ins = last.get("inputs", [])
    a = step_of[ins[0]]
    b = step_of[ins[1]] if len(ins) > 1 else a
    return sets, a, b
