"""Are the attention maps faithful? Compare the reasoner's node attention with the CLEVR program.

The model never reads the program; the program, executed on the gold scene, says which objects
each step should select (``vqa.reason.targets.program_steps``). Three measures, in the spirit of
GQA's grounding score (attention mass on the objects the question is about):

- **query**: for questions ending in ``query_color|shape|material|size`` of one object, how often
  the object with the highest final-step attention is that object (chance: 1/N).
- **exist/count**: the final-step attention mass on the set the program counts or tests
  (chance: |S|/N); questions whose set is empty are reported apart, by how much the model
  still selects (``node_select`` summed over objects: 0 is right).
- **per step**: for step t of the program (a step starts a new object set: scene, relate,
  same_*, union, intersect, and absorbs its filters), how often the top-attended object at
  model step t lies in the program's set, and the attention mass on that set.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..data.executor import ProgramError, SceneIndex, execute_program, node_type
from ..graph.scene_graph import SceneGraph
from ..reason.batching import GraphCache
from ..reason.inference import run_batches
from ..reason.targets import _STARTS as STEP_STARTS  # one rule for where a step starts
from ..reason.targets import program_steps

__all__ = ["StepRecord", "attention_records", "faithfulness", "format_faithfulness", "program_step_nodes",
           "QUERY_FUNCTIONS"]

QUERY_FUNCTIONS = ("query_color", "query_shape", "query_material", "query_size")
SET_FUNCTIONS = ("exist", "count")


@dataclass
class StepRecord:
    """One question: the program's view and the model's attention (N objects, T model steps)."""

    question_index: int
    question: str
    image_filename: str
    function: str  # the program's last function
    steps: list[list[int]]  # the program's object set per step
    target: int | list[int] | None  # queried object (query_*), counted/tested set (exist/count)
    node_attn: np.ndarray  # [T, N]
    node_select: np.ndarray  # [T, N]
    answer: str
    predicted: str


def program_step_nodes(program: list[dict]) -> list[list[int]]:
    """The program's node indices grouped into steps, by ``program_steps``'s rule (for display).

    ``program_steps`` gives each step's object set; this gives the functions that made it, so
    step t reads e.g. ``relate[left] filter_color[red] unique``.
    """
    step_of: dict[int, int] = {}
    groups: list[list[int]] = []
    for k, node in enumerate(program):
        t, inputs = node_type(node), node.get("inputs", [])
        if t in STEP_STARTS or t.startswith("same_"):
            step_of[k] = len(groups)
            groups.append([k])
        elif (t.startswith("filter_") or t == "unique") and inputs and inputs[0] in step_of:
            step_of[k] = step_of[inputs[0]]
            groups[step_of[k]].append(k)
    return groups


def attention_records(model, questions: list[dict], scenes: dict[str, SceneGraph], batch_size: int = 512,
                      progress: bool = False) -> list[StepRecord]:
    """Run ``model`` on ``questions`` (CLEVR format, with programs) over their gold ``scenes``.

    Questions whose image has no scene or whose program fails on it are skipped.
    """
    cache = GraphCache(model.config.vocab)
    index = {}
    kept, outputs = [], []
    for q in questions:
        g = scenes.get(q["image_filename"])
        if g is None:
            continue
        if q["image_filename"] not in index:
            cache.add(q["image_filename"], g)
            index[q["image_filename"]] = SceneIndex.of(g)
        try:
            outputs.append(execute_program(q["program"], index[q["image_filename"]]))
        except ProgramError:
            continue
        kept.append(q)
    records: list[StepRecord | None] = [None] * len(kept)
    texts, keys = [q["question"] for q in kept], [q["image_filename"] for q in kept]
    for idx, out in run_batches(model, texts, keys, cache, batch_size, progress=progress):
        pred = out.logits.argmax(-1).tolist()
        for row, i in enumerate(idx):
            q, outs = kept[i], outputs[i]
            n = len(scenes[keys[i]].objects)
            last = q["program"][-1]
            fn = node_type(last)
            sets, _, _ = program_steps(q["program"], outs)
            ins = last.get("inputs", [])
            target = outs[ins[0]] if ins and (fn in QUERY_FUNCTIONS or fn in SET_FUNCTIONS) else None
            records[i] = StepRecord(q.get("question_index", i), q["question"], keys[i], fn, sets, target,
                                    out.node_attn[row, :, :n].float().numpy(), out.node_select[row, :, :n].float().numpy(),
                                    str(q.get("answer", "")), model.config.answers[pred[row]])
    return [r for r in records if r is not None]


def faithfulness(records: list[StepRecord]) -> dict:
    """The three measures (see the module docstring) over ``records``; fractions in [0, 1]."""
    query = defaultdict(list)  # function -> [(hit, 1/N)]
    sets = defaultdict(list)  # function -> [(mass, |S|/N)] for non-empty sets
    empty = defaultdict(list)  # function -> [total selection] for empty sets
    per_step = defaultdict(list)  # t -> [(top in set, mass, |S|/N)]
    for r in records:
        n = r.node_attn.shape[1]
        if n == 0:
            continue
        final = r.node_attn[-1]
        if r.function in QUERY_FUNCTIONS and isinstance(r.target, int):
            query[r.function].append((int(final.argmax()) == r.target, 1.0 / n))
        elif r.function in SET_FUNCTIONS and isinstance(r.target, list):
            if r.target:
                sets[r.function].append((float(final[r.target].sum()), len(r.target) / n))
            else:
                empty[r.function].append(float(r.node_select[-1].sum()))
        for t, s in enumerate(r.steps[: r.node_attn.shape[0]]):
            s = s if isinstance(s, list) else [s]
            if s:
                a = r.node_attn[t]
                per_step[t].append((int(a.argmax()) in s, float(a[s].sum()), len(s) / n))

    def mean(xs, k):
        return float(np.mean([x[k] for x in xs])) if xs else float("nan")

    all_query = [x for v in query.values() for x in v]
    all_sets = [x for v in sets.values() for x in v]
    all_empty = [x for v in empty.values() for x in v]
    all_steps = [x for v in per_step.values() for x in v]
    return {
        "questions": len(records),
        "accuracy": float(np.mean([r.answer == r.predicted for r in records])) if records else float("nan"),
        "query": {"questions": len(all_query), "top1": mean(all_query, 0), "chance": mean(all_query, 1),
                  "by_function": {f: {"questions": len(v), "top1": mean(v, 0)} for f, v in sorted(query.items())}},
        "sets": {"questions": len(all_sets), "mass": mean(all_sets, 0), "chance": mean(all_sets, 1),
                 "by_function": {f: {"questions": len(v), "mass": mean(v, 0), "chance": mean(v, 1)}
                                 for f, v in sorted(sets.items())},
                 "empty_questions": len(all_empty),
                 "empty_selection": float(np.mean(all_empty)) if all_empty else float("nan")},
        "steps": {"pairs": len(all_steps), "top_in_set": mean(all_steps, 0), "mass": mean(all_steps, 1),
                  "chance": mean(all_steps, 2),
                  "by_step": {t: {"pairs": len(v), "top_in_set": mean(v, 0), "mass": mean(v, 1), "chance": mean(v, 2)}
                              for t, v in sorted(per_step.items())}},
    }


def format_faithfulness(m: dict) -> str:
    """A plain-text report of ``faithfulness(...)`` (percentages)."""
    pct = lambda x: "  n/a" if x != x else f"{100 * x:5.1f}"  # noqa: E731 - nan prints as n/a
    lines = [f"{m['questions']} questions, answer accuracy {pct(m['accuracy'])} %", "",
             "query_* questions: top final-step object = the queried object",
             f"  all            {m['query']['questions']:5d}  {pct(m['query']['top1'])} %   (chance {pct(m['query']['chance'])} %)"]
    for f, v in m["query"]["by_function"].items():
        lines.append(f"  {f:<14s} {v['questions']:5d}  {pct(v['top1'])} %")
    s = m["sets"]
    lines += ["", "exist/count questions: final-step attention mass on the program's set",
              f"  all            {s['questions']:5d}  {pct(s['mass'])} %   (chance {pct(s['chance'])} %)"]
    for f, v in s["by_function"].items():
        lines.append(f"  {f:<14s} {v['questions']:5d}  {pct(v['mass'])} %   (chance {pct(v['chance'])} %)")
    lines.append(f"  empty set      {s['empty_questions']:5d}  objects still selected: {s['empty_selection']:.3f} "
                 "(sum of node_select; 0 is right)")
    st = m["steps"]
    lines += ["", "per program step: top-attended object in the program's set / attention mass on it",
              f"  {'step':<6s} {'pairs':>6s}  {'top in set':>10s}  {'mass':>6s}  {'chance':>6s}"]
    for t, v in st["by_step"].items():
        lines.append(f"  {t:<6d} {v['pairs']:6d}  {pct(v['top_in_set']):>8s} %  {pct(v['mass'])} %  {pct(v['chance'])} %")
    lines.append(f"  {'all':<6s} {st['pairs']:6d}  {pct(st['top_in_set']):>8s} %  {pct(st['mass'])} %  {pct(st['chance'])} %")
    return "\n".join(lines)
