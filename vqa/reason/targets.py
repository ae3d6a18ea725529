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


# Predicate each relating step moves along. Messages flow from the source object X (edge src) to
# a candidate j (edge dst), and an edge src->dst carries "src is <pred> of dst"; "j is left of X"
# is "X is right of j", so ``relate[left]`` reads the ``right`` edges (CLEVR's rule is symmetric).
_FLOW_PREDICATE = {"left": "right", "right": "left", "front": "behind", "behind": "front",
                   # photo graphs' box predicates (vqa.graph.box_relations), converse pairs likewise
                   "above": "below", "below": "above", "bigger": "smaller", "smaller": "bigger",
                   "on": "supports", "supports": "on", "inside": "contains", "contains": "inside",
                   "next to": "next to", "overlapping": "overlapping"}


def program_instructions(program: list[dict]) -> list[dict]:
    """What each step does, for supervising the reasoner's controls (training only).

    One dict per step (same cut as ``program_steps``)::

        {"sources": [k1, k2],   # 0 = all objects, k = output of step k-1; k2 = -1 unless union/intersect
         "predicate": str|None, # edge type the step moves along ("right", "same_color", ...), None = no move
         "combine": 0|1|2,      # none / union / intersect
         "filters": {attr: value}}
    """
    step_of: dict[int, int] = {}
    steps: list[dict] = []
    for k, node in enumerate(program):
        t = node_type(node)
        inputs = node.get("inputs", [])
        src = [step_of[i] + 1 for i in inputs if i in step_of]
        if t == "scene":
            step = {"sources": [0, -1], "predicate": None, "combine": 0}
        elif t == "relate":
            step = {"sources": [src[0], -1], "predicate": _FLOW_PREDICATE[node["value_inputs"][0]], "combine": 0}
        elif t.startswith("same_"):
            step = {"sources": [src[0], -1], "predicate": t, "combine": 0}
        elif t in ("union", "intersect"):
            step = {"sources": src[:2], "predicate": None, "combine": 1 if t == "union" else 2}
        elif t.startswith("filter_"):
            step_of[k] = step_of[inputs[0]]
            steps[step_of[k]]["filters"][t[len("filter_"):]] = node["value_inputs"][0]
            continue
        else:
            if inputs and inputs[0] in step_of:
                step_of[k] = step_of[inputs[0]]
            continue
        step["filters"] = {}
        step_of[k] = len(steps)
        steps.append(step)
    return steps
