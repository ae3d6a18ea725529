"""Execute CLEVR functional programs on any ``SceneGraph``.

A program is a list of nodes ``{"type", "inputs", "value_inputs"}`` in topological order (the
official CLEVR format; the older key ``"function"`` is accepted too). Every node's output is
kept, so that training can supervise intermediate object sets and tools can show them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..graph.scene_graph import SceneGraph

__all__ = ["ProgramError", "execute_program", "answer_to_str", "node_type", "SceneIndex"]

ATTRS = ("color", "shape", "material", "size")


class ProgramError(ValueError):
    """The program is ill-formed for this scene (e.g. ``unique`` of a set that is not one object)."""


@dataclass
class SceneIndex:
    """Per-scene lookups the executor needs, built once per scene and reused for many programs."""

    attrs: list[dict[str, str]]
    relate: dict[str, list[list[int]]]

    @classmethod
    def of(cls, graph: SceneGraph) -> "SceneIndex":
        rel: dict[str, list[list[int]]] = {}
        for r in graph.relations:
            rel.setdefault(r.predicate, [[] for _ in graph.objects])[r.object].append(r.subject)
        attrs = [dict(o.attributes, shape=o.attributes.get("shape", o.name)) for o in graph.objects]
        return cls(attrs, {p: [sorted(v) for v in lists] for p, lists in rel.items()})


def node_type(node: dict) -> str:
    return node.get("type", node.get("function"))


def execute_program(program: list[dict], scene: SceneGraph | SceneIndex) -> list:
    """Run ``program`` on ``scene``; return every node's output.

    Object sets are sorted lists of object indices, objects are ints, integers ints, booleans
    bools, attribute values strings. Raises ``ProgramError`` when a step is undefined.
    """
    idx = scene if isinstance(scene, SceneIndex) else SceneIndex.of(scene)
    n = len(idx.attrs)
    out: list = []
    for k, node in enumerate(program):
        t = node_type(node)
        args = [out[i] for i in node.get("inputs", [])]
        vals = node.get("value_inputs", [])
        if t == "scene":
            r = list(range(n))
        elif t.startswith("filter_"):
            attr = t[len("filter_"):]
            r = [i for i in args[0] if idx.attrs[i].get(attr) == vals[0]]
        elif t == "unique":
            if len(args[0]) != 1:
                raise ProgramError(f"node {k}: unique of {len(args[0])} objects")
            r = args[0][0]
        elif t == "relate":
            r = idx.relate.get(vals[0], [[]] * n)[args[0]]
        elif t == "union":
            r = sorted(set(args[0]) | set(args[1]))
        elif t == "intersect":
            r = sorted(set(args[0]) & set(args[1]))
        elif t == "count":
            r = len(args[0])
        elif t == "exist":
            r = len(args[0]) > 0
        elif t.startswith("query_"):
            r = idx.attrs[args[0]][t[len("query_"):]]
        elif t.startswith("same_"):
            attr = t[len("same_"):]
            v = idx.attrs[args[0]][attr]
            r = [i for i in range(n) if i != args[0] and idx.attrs[i][attr] == v]
        elif t.startswith("equal_") and t != "equal_integer":
            r = args[0] == args[1]
        elif t == "equal_integer":
            r = args[0] == args[1]
        elif t == "less_than":
            r = args[0] < args[1]
        elif t == "greater_than":
            r = args[0] > args[1]
        else:
            raise ProgramError(f"node {k}: unknown function {t!r}")
        out.append(r)
    return out


def answer_to_str(value) -> str:
    """CLEVR's answer strings: booleans as yes/no, integers as digits."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
