"""Run the photo question engine's programs on a photo scene graph, keeping every node's output.

The engine (``vqa.data.photo_engine``) writes programs as chains: each node reads the node before
it unless it lists ``inputs``, and carries its argument as ``value``. ``clevr_program`` rewrites
them in CLEVR's format (``inputs``, ``value_inputs``), so that CLEVR's executor
(``vqa.data.executor``) and the step supervision (``vqa.reason.targets``) apply unchanged:
``filter_class`` filters on the ``class`` attribute, ``relate`` follows the box predicates of
``vqa.graph.box_relations`` (``relate[left]`` of Y = the objects left of Y). Two answer nodes are
the photo engine's own, and run here on their input's output:

* ``equal_color`` (value C) after ``query_color``: ``yes`` when the colour is C;
* ``side`` after a set: ``left`` when the set is non-empty (the X is among the objects left of
  the Y), else ``right`` (the engine asks only where the box rule says one or the other).
"""
from __future__ import annotations

from ..graph.scene_graph import SceneGraph
from .executor import SceneIndex, answer_to_str, execute_program, node_type

__all__ = ["clevr_program", "execute_photo_program", "photo_answer"]

_OWN = ("equal_color", "side")


def clevr_program(program: list[dict]) -> list[dict]:
    """Chain-format photo program -> CLEVR format (explicit ``inputs`` and ``value_inputs``)."""
    out = []
    for k, node in enumerate(program):
        t = node_type(node)
        inputs = node.get("inputs", [] if t == "scene" else [k - 1])
        values = node.get("value_inputs", [node["value"]] if "value" in node else [])
        out.append({"type": t, "inputs": list(inputs), "value_inputs": list(values)})
    return out


def execute_photo_program(program: list[dict], scene: SceneGraph | SceneIndex) -> list:
    """Every node's output (as ``vqa.data.executor.execute_program``), for chain or CLEVR-format programs.

    Raises:
        ProgramError: a node is undefined on this scene (``unique`` of several objects, ...).
    """
    prog = clevr_program(program)
    last = prog[-1]
    if last["type"] not in _OWN:
        return execute_program(prog, scene)
    outputs = execute_program(prog[:-1], scene)
    arg = outputs[last["inputs"][0]]
    if last["type"] == "equal_color":
        return outputs + [arg == last["value_inputs"][0]]
    return outputs + ["left" if arg else "right"]


def photo_answer(program: list[dict], scene: SceneGraph | SceneIndex) -> str:
    """The program's answer as a string ("yes", "2", "red", "left")."""
    return answer_to_str(execute_photo_program(program, scene)[-1])
