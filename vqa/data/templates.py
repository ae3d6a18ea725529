"""CLEVR's question templates, compiled: families of template nodes, their answer spaces, and how a
filled-in template becomes a CLEVR program (``expand_program``). ``vqa.data.generator`` samples them
on scenes; the template files (``clevr_templates/*.json``, from clevr-dataset-gen, BSD licence) are
described there.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TEMPLATES_DIR", "ATTR_TYPES", "ATTR_KEYS", "RELATIONS", "OPTIONAL_WORDS", "TemplateNode", "Family", "compile_family",
           "param_values", "expand_program", "drop_other"]

TEMPLATES_DIR = Path(__file__).parent / "clevr_templates"

# Attribute positions used throughout: a description is a 4-tuple (size, color, material, shape)
# with None for "not mentioned", the order of CLEVR's <Z> <C> <M> <S> and of its filter nodes.
ATTR_TYPES = ("Size", "Color", "Material", "Shape")
ATTR_KEYS = ("size", "color", "material", "shape")
RELATIONS = ("left", "right", "behind", "front")
_SET_NODES = {"filter": "set", "filter_unique": "unique", "filter_count": "count", "filter_exist": "exist",
              "relate": "set", "relate_filter": "set", "relate_filter_unique": "unique",
              "relate_filter_count": "count", "relate_filter_exist": "exist",
              "filter_size": "set", "filter_color": "set", "filter_material": "set", "filter_shape": "set"}
_BOOL_FINAL = ("exist", "filter_exist", "relate_filter_exist", "equal_size", "equal_color", "equal_material",
               "equal_shape", "equal_integer", "less_than", "greater_than", "equal_object")
_COUNT_FINAL = ("count", "filter_count", "relate_filter_count")
OPTIONAL_WORDS = re.compile(r"\[([^\]]*)\]")


@dataclass
class TemplateNode:
    """One template node, pre-digested for sampling."""

    type: str
    inputs: list[int]
    mode: str = ""  # "", or for nodes with parameters: "set" | "unique" | "count" | "exist"
    relation: str | None = None  # name of its <R> parameter (relate* nodes)
    attr_params: tuple = (None, None, None, None)  # parameter name per attribute position
    subsets: list[int] = field(default_factory=list)  # attribute subsets (4-bit) it may mention
    combos: list[tuple] = field(default_factory=list)  # every description it may use


@dataclass
class Family:
    """One question family: a template of one file, plus what we derive from it."""

    filename: str
    index: int
    template: dict
    nodes: list[TemplateNode]
    param_types: dict[str, str]
    answer_space: tuple[str, ...]
    last_param: int  # index of the last template node with parameters
    out_neq: dict[int, list[int]]  # node k -> nodes whose output must differ from k's (checked at k)
    ne_pairs: list[tuple[str, str]]

    @property
    def key(self) -> str:
        return f"{self.filename}:{self.index}"


def compile_family(filename: str, index: int, template: dict, values: tuple[tuple[str, ...], ...]) -> Family:
    """One template of ``filename`` (its ``index``), pre-digested for sampling; ``values`` per attribute position."""
    param_types = {p["name"]: p["type"] for p in template["params"]}
    null_params, ne_pairs, out_neq = set(), [], {}
    for c in template.get("constraints", []):
        if c["type"] == "NULL":
            null_params.add(c["params"][0])
        elif c["type"] == "OUT_NEQ":
            a, b = c["params"]
            out_neq.setdefault(max(a, b), []).append(min(a, b))
        elif c["type"] == "NE":
            ne_pairs.append(tuple(c["params"]))
        else:
            raise ValueError(f"{filename}[{index}]: unknown constraint type {c['type']!r}")
    # A queried attribute must not be in the object's description ("What size is the large
    # cube?"). The templates say so with NULL constraints, except comparison.json[4], which
    # declares <Z> instead of <Z3>; we add the implied constraint for every query node.
    for n in template["nodes"]:
        if n["type"].startswith("query_"):
            qtype = ATTR_TYPES[ATTR_KEYS.index(n["type"][len("query_"):])]
            source = template["nodes"][n["inputs"][0]]
            null_params.update(p for p in source.get("side_inputs", []) if param_types[p] == qtype)
    nodes = [_compile_node(n, param_types, null_params, values) for n in template["nodes"]]
    last_param = max(i for i, n in enumerate(nodes) if n.mode)
    final = template["nodes"][-1]["type"]
    if final in _BOOL_FINAL:
        space = ("yes", "no")
    elif final in _COUNT_FINAL:
        space = tuple(str(i) for i in range(11))
    elif final.startswith("query_"):
        space = tuple(values[ATTR_KEYS.index(final[len("query_"):])])
    else:
        raise ValueError(f"{filename}[{index}]: cannot tell the answer type of {final!r}")
    return Family(filename, index, template, nodes, param_types, space, last_param, out_neq, ne_pairs)

def _compile_node(node: dict, param_types: dict[str, str], null_params: set, values) -> TemplateNode:
    t = node["type"]
    out = TemplateNode(type=t, inputs=list(node.get("inputs", [])))
    if t not in _SET_NODES:
        return out
    out.mode = _SET_NODES[t]
    side = list(node.get("side_inputs", []))
    if t.startswith("relate"):
        out.relation = side.pop(0)
    names: list[str | None] = [None] * 4
    for name in side:
        names[ATTR_TYPES.index(param_types[name])] = name
    out.attr_params = tuple(names)
    # Per position: may be mentioned (optional), must be mentioned (a plain filter_X node) or not.
    required = 0
    optional = 0
    for p, name in enumerate(names):
        if name is None or name in null_params:
            continue
        if t.startswith("filter_") and t[len("filter_"):] in ATTR_KEYS:
            required |= 1 << p
        else:
            optional |= 1 << p
    out.subsets = [s | required for s in range(16) if s & ~optional == 0]
    if t == "filter":  # a bare filter that keeps everything would read "things or red cubes"
        out.subsets = [s for s in out.subsets if s]
    choices = []
    for p in range(4):
        if required >> p & 1:
            choices.append(values[p])
        elif optional >> p & 1:
            choices.append((None,) + values[p])
        else:
            choices.append((None,))
    out.combos = [c for c in itertools.product(*choices) if t != "filter" or any(v is not None for v in c)]
    return out


def param_values(fam: Family, choice: dict[int, tuple]) -> dict[str, str | None]:
    vals: dict[str, str | None] = {}
    for i, (rel, desc) in choice.items():
        node = fam.nodes[i]
        if node.relation is not None:
            vals[node.relation] = rel
        for name, v in zip(node.attr_params, desc):
            if name is not None:
                vals[name] = v
    return vals


def expand_program(fam: Family, vals: dict[str, str | None]) -> list[dict]:
    """Template nodes -> CLEVR's primitive program (compound nodes become filter chains)."""
    program: list[dict] = []
    where: dict[int, int] = {}  # template node -> program node holding its output

    def add(t: str, inputs: list[int], value_inputs: list[str] | None = None) -> int:
        program.append({"type": t, "inputs": inputs, "value_inputs": value_inputs or []})
        return len(program) - 1

    for i, node in enumerate(fam.nodes):
        inputs = [where[j] for j in node.inputs]
        if not node.mode:
            where[i] = add(node.type, inputs)
            continue
        cur = inputs[0]
        if node.relation is not None:
            cur = add("relate", [cur], [vals[node.relation]])
        for p, name in enumerate(node.attr_params):
            if name is not None and vals.get(name) is not None:
                cur = add(f"filter_{ATTR_KEYS[p]}", [cur], [vals[name]])
        if node.mode in ("unique", "count", "exist"):
            cur = add(node.mode, [cur])
        where[i] = cur
    return program


def drop_other(text: str, vals: dict[str, str | None]) -> str:
    """"other" is wrong when the two descriptions differ in a mentioned attribute.

    "How many other red things have the same shape as the blue cube?": the blue cube cannot
    be one of the red things, so the question reads "How many red things ...".
    """
    if " other " not in text and " another " not in text:
        return text
    for a in ("<Z>", "<C>", "<M>", "<S>"):
        v1, v2 = vals.get(a), vals.get(a[:-1] + "2>")
        if v1 is not None and v2 is not None and v1 != v2:
            return text.replace(" other ", " ").replace(" another ", " a ")
    return text
