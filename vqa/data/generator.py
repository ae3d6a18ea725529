"""Generate CLEVR questions for scene graphs from the official CLEVR question templates.

A template (``clevr_templates/*.json``, from clevr-dataset-gen, BSD licence) has text variants with
placeholders (``<Z>`` size, ``<C>`` colour, ``<M>`` material, ``<S>`` shape, ``<R>`` relation,
numbered for later objects), a program of *template nodes* and constraints. Template nodes may be
compound (``filter_unique``, ``relate_filter_count``, ...); we expand them into CLEVR's primitive
program format, ``{"type", "inputs", "value_inputs"}``, exactly as ``CLEVR_*_questions.json`` has it.

This is our own implementation, not a port of the official depth-first search. We walk the
template nodes in order and pick parameter values *guided by the scene*:

* a ``*_unique`` node picks an object of its input set, then a random subset of that object's
  attributes which identifies it uniquely within the set (so ``unique`` always sees one object);
* other filter nodes describe a random object of their input (non-empty result) or use random
  values (often an empty result), so both outcomes occur;
* the *last* node with parameters is enumerated exhaustively: every option is run to the final
  answer, and we pick uniformly among the answers the balancing rule still allows, then uniformly
  among the options giving that answer. This is what balances yes/no, counts and attribute answers.

Rejection rules: a question is dropped when a ``unique`` would see other than one object, when a
constraint fails, or by the balancing rule (see ``QuestionGenerator``). Every accepted program is
re-run with ``execute_program`` as a check that our fast bit-mask evaluation agrees.

Where we knowingly differ from the official generator's output:

* ``OUT_NEQ`` on a count node compares the counted *sets*, not the counts (otherwise every
  "equal number" question of compare_integer.json[0] would be answered "no");
* a queried attribute is never part of the queried object's description, also in
  comparison.json[4], whose NULL constraint names the wrong parameter;
* "a object" becomes "an object", and the one text variant lacking its "?" gets one;
* a bare ``filter`` (single_or.json) always mentions at least one attribute ("things or cubes");
* the balancing rule is our own (documented on ``QuestionGenerator``).
"""
from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path
from typing import Iterable

from ..graph.scene_graph import SceneGraph
from .executor import ProgramError, SceneIndex, answer_to_str, execute_program
from .templates import (ATTR_KEYS, ATTR_TYPES, OPTIONAL_WORDS, RELATIONS, TEMPLATES_DIR, Family, TemplateNode, compile_family,
                        drop_other, expand_program, param_values)

__all__ = ["TEMPLATES_DIR", "Family", "QuestionGenerator", "generate_questions"]

log = logging.getLogger(__name__)


def _bits(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


class _SceneData:
    """Bit-mask lookups for one scene (object i is bit i), built once and shared by all families."""

    def __init__(self, scene: SceneGraph, values: tuple[tuple[str, ...], ...]):
        self.scene = scene
        self.index = SceneIndex.of(scene)
        self.values = values
        self.attrs = [tuple(a.get(k) for k in ATTR_KEYS) for a in self.index.attrs]
        n = len(self.attrs)
        self.all = (1 << n) - 1
        self.value_mask: list[dict[str, int]] = [{} for _ in ATTR_KEYS]
        for i, a in enumerate(self.attrs):
            for p in range(4):
                self.value_mask[p][a[p]] = self.value_mask[p].get(a[p], 0) | 1 << i
        # desc[i][s]: the objects that share object i's values on the attribute subset s
        self.desc = []
        for a in self.attrs:
            row = []
            for s in range(16):
                m = self.all
                for p in range(4):
                    if s >> p & 1:
                        m &= self.value_mask[p][a[p]]
                row.append(m)
            self.desc.append(row)
        self.same = [[self.value_mask[p][a[p]] & ~(1 << i) for p in range(4)] for i, a in enumerate(self.attrs)]
        self.relate = [{r: sum(1 << j for j in self.index.relate.get(r, [[]] * n)[i]) for r in RELATIONS}
                       for i in range(n)]
        self._combo_masks: dict[tuple, int] | None = None

    def combo_masks(self) -> dict[tuple, int]:
        """Description 4-tuple -> objects matching it, for all 3*9*3*4 descriptions (built lazily)."""
        if self._combo_masks is None:
            out = {}
            vm = self.value_mask
            opts = [(None,) + v for v in self.values]
            for z in opts[0]:
                mz = self.all if z is None else vm[0].get(z, 0)
                for c in opts[1]:
                    mc = mz if c is None else mz & vm[1].get(c, 0)
                    for m in opts[2]:
                        mm = mc if m is None else mc & vm[2].get(m, 0)
                        for s in opts[3]:
                            out[(z, c, m, s)] = mm if s is None else mm & vm[3].get(s, 0)
            self._combo_masks = out
        return self._combo_masks

    def describe(self, obj: int, subset: int) -> tuple:
        a = self.attrs[obj]
        return tuple(a[p] if subset >> p & 1 else None for p in range(4))


class QuestionGenerator:
    """Instantiate CLEVR templates on scene graphs.

    Balancing rule (per family, over the answers accepted so far, like CLEVR's own rejection
    sampling but simpler): an answer ``a`` is not allowed while
    ``count[a] > 1.1 * count[runner_up] + 5``, where ``runner_up`` is the most frequent *other*
    answer of the family's answer space (yes/no; 0..10; the attribute's values). So no answer can
    pull ahead of the next one by more than ~10% (+5 to let the first questions through), and
    yes/no stays near 50/50. Within the allowed answers the last parametrised node picks
    uniformly, which spreads counts and attribute values over what the scene offers.

    Args:
        templates_dir: folder with the template files, ``metadata.json`` and ``synonyms.json``
            (default: the copy shipped in ``vqa/data/clevr_templates``).
        seed: seed of the generator's own ``random.Random``; same seed and scenes, same questions.
    """

    def __init__(self, templates_dir: str | Path | None = None, seed: int = 0):
        self.templates_dir = Path(templates_dir) if templates_dir is not None else TEMPLATES_DIR
        self.rng = random.Random(seed)
        self.metadata = json.loads((self.templates_dir / "metadata.json").read_text())
        self.synonyms: dict[str, list[str]] = json.loads((self.templates_dir / "synonyms.json").read_text())
        self.values = tuple(tuple(self.metadata["types"][t]) for t in ATTR_TYPES)
        self.families: list[Family] = []
        for path in sorted(self.templates_dir.glob("*.json")):
            if path.name in ("metadata.json", "synonyms.json"):
                continue
            for k, template in enumerate(json.loads(path.read_text())):
                self.families.append(compile_family(path.name, k, template, self.values))
        self.produced = [0] * len(self.families)
        self.answer_counts = [{a: 0 for a in f.answer_space} for f in self.families]
        self._question_index = 0

    # ----------------------------------------------------------------------------- sampling
    def _bases(self, node: TemplateNode, inp: list, sd: _SceneData) -> list[tuple[str | None, int]]:
        """(relation, object set to filter) pairs the node can start from."""
        if node.relation is not None:
            return [(r, sd.relate[inp[0]][r]) for r in RELATIONS]
        return [(None, inp[0])]

    @staticmethod
    def _output(mode: str, mask: int):
        if mode == "count":
            return bin(mask).count("1")
        if mode == "exist":
            return mask != 0
        return mask

    def _sample_option(self, node: TemplateNode, inp: list, sd: _SceneData):
        """One random (relation, description, output, set) for a node that is not the last one."""
        rng = self.rng
        bases = self._bases(node, inp, sd)
        rng.shuffle(bases)
        for rel, base in bases:
            if not base and (node.mode == "unique" or rel is not None):
                continue  # an empty relation gives nothing to describe
            if node.mode == "unique":
                objs = _bits(base)
                rng.shuffle(objs)
                for o in objs:
                    subs = [s for s in node.subsets if base & sd.desc[o][s] == 1 << o]
                    if subs:
                        return rel, sd.describe(o, rng.choice(subs)), o, o
                continue
            # Describe an object of the input most of the time so the set is usually non-empty,
            # otherwise any description (often matching nothing): both kinds of question occur.
            if base and node.subsets and rng.random() < 0.75:
                vals = sd.describe(rng.choice(_bits(base)), rng.choice(node.subsets))
            else:
                vals = rng.choice(node.combos)
            mask = base & sd.combo_masks()[vals]
            return rel, vals, self._output(node.mode, mask), mask
        return None

    def _enumerate(self, node: TemplateNode, inp: list, sd: _SceneData) -> dict[int, list[tuple]]:
        """Every option of the last parametrised node, grouped by the set (or object) it yields."""
        groups: dict[int, list[tuple]] = {}
        for rel, base in self._bases(node, inp, sd):
            if node.mode == "unique":
                for o in _bits(base):
                    row = sd.desc[o]
                    for s in node.subsets:
                        if base & row[s] == 1 << o:
                            groups.setdefault(o, []).append((rel, sd.describe(o, s)))
            else:
                masks = sd.combo_masks()
                for vals in node.combos:
                    groups.setdefault(base & masks[vals], []).append((rel, vals))
        return groups

    @staticmethod
    def _eval(node: TemplateNode, args: list, sd: _SceneData):
        """A node without parameters on bit masks; None when undefined."""
        t = node.type
        if t == "scene":
            return sd.all
        if t == "union":
            return args[0] | args[1]
        if t == "intersect":
            return args[0] & args[1]
        if t == "count":
            return bin(args[0]).count("1")
        if t == "exist":
            return args[0] != 0
        if t == "unique":
            return args[0].bit_length() - 1 if args[0] and args[0] & (args[0] - 1) == 0 else None
        if t.startswith("query_"):
            return sd.attrs[args[0]][ATTR_KEYS.index(t[len("query_"):])]
        if t.startswith("same_"):
            return sd.same[args[0]][ATTR_KEYS.index(t[len("same_"):])]
        if t.startswith("equal_"):
            return args[0] == args[1]
        if t == "less_than":
            return args[0] < args[1]
        if t == "greater_than":
            return args[0] > args[1]
        raise ValueError(f"unknown template node {t!r}")

    def _run(self, fam: Family, start: int, outs: list, sets: list, sd: _SceneData) -> bool:
        """Evaluate parameter-free nodes ``start..`` in place; False if undefined or a constraint fails."""
        for k in range(start, len(fam.nodes)):
            node = fam.nodes[k]
            if node.mode:
                raise AssertionError("only nodes after the last parametrised one are run here")
            r = self._eval(node, [outs[j] for j in node.inputs], sd)
            if r is None:
                return False
            outs[k] = sets[k] = r
            if not self._out_neq_ok(fam, k, sets):
                return False
        return True

    @staticmethod
    def _out_neq_ok(fam: Family, k: int, sets: list) -> bool:
        # OUT_NEQ compares what the nodes select: the object, or for a count/exist node the set it
        # counts. (Comparing the counts themselves would make "equal number" always "no".)
        return all(sets[j] != sets[k] for j in fam.out_neq.get(k, ()))

    def _balance_ok(self, f: int, answer: str) -> bool:
        counts = self.answer_counts[f]
        c = counts.get(answer, 0)
        runner_up = max((v for a, v in counts.items() if a != answer), default=0)
        return c <= 1.1 * runner_up + 5

    def _instantiate(self, f: int, sd: _SceneData) -> dict | None:
        """One try at family ``f`` on a scene; the question dict, or None."""
        fam = self.families[f]
        rng = self.rng
        n = len(fam.nodes)
        outs: list = [None] * n
        sets: list = [None] * n  # what OUT_NEQ compares
        choice: dict[int, tuple] = {}  # node -> (relation, description)
        for i, node in enumerate(fam.nodes):
            args = [outs[j] for j in node.inputs]
            if not node.mode:
                r = self._eval(node, args, sd)
                if r is None:
                    return None
                outs[i] = sets[i] = r
            elif i < fam.last_param:
                opt = self._sample_option(node, args, sd)
                if opt is None:
                    return None
                choice[i] = opt[:2]
                outs[i], sets[i] = opt[2], opt[3]
            else:
                break
            if not self._out_neq_ok(fam, i, sets):
                return None
        # The last parametrised node: run every option to its answer, then choose.
        i = fam.last_param
        node = fam.nodes[i]
        by_answer: dict[str, list] = {}
        finished: dict[int, tuple] = {}
        for key, opts in self._enumerate(node, [outs[j] for j in node.inputs], sd).items():
            o2, s2 = list(outs), list(sets)
            o2[i], s2[i] = (key if node.mode == "unique" else self._output(node.mode, key)), key
            if not self._out_neq_ok(fam, i, s2) or not self._run(fam, i + 1, o2, s2, sd):
                continue
            answer = answer_to_str(o2[-1])
            finished[key] = (o2, s2)
            by_answer.setdefault(answer, []).extend((key, o) for o in opts)
        allowed = [a for a in by_answer if self._balance_ok(f, a)]
        if not allowed:
            return None
        answer = rng.choice(allowed)
        key, opt = rng.choice(by_answer[answer])
        choice[i] = opt
        outs, sets = finished[key]
        vals = param_values(fam, choice)
        if any(vals.get(a) is not None and vals.get(a) == vals.get(b) for a, b in fam.ne_pairs):
            return None
        program = expand_program(fam, vals)
        self._check(program, sd, answer, fam)
        self.produced[f] += 1
        self.answer_counts[f][answer] = self.answer_counts[f].get(answer, 0) + 1
        scene = sd.scene
        image = (scene.image_filename or "").rsplit(".", 1)[0]
        q = {"split": scene.extra.get("split"), "image_filename": scene.image_filename,
             "image_index": scene.image_index, "image": image, "question": self._text(fam, vals),
             "program": program, "answer": answer, "template_filename": fam.filename,
             "question_family_index": fam.index, "question_index": self._question_index}
        self._question_index += 1
        return q

    @staticmethod
    def _check(program: list[dict], sd: _SceneData, answer: str, fam: Family) -> None:
        """Our evaluator and the project's executor must agree; a mismatch is a bug here."""
        try:
            got = answer_to_str(execute_program(program, sd.index)[-1])
        except ProgramError as e:
            raise RuntimeError(f"{fam.key}: generated an invalid program ({e})") from None
        if got != answer:
            raise RuntimeError(f"{fam.key}: executor answers {got!r}, generator {answer!r}")

    # ----------------------------------------------------------------------------- output
    def _word(self, value: str) -> str:
        options = self.synonyms.get(value)
        return self.rng.choice(options) if options else value

    def _text(self, fam: Family, vals: dict[str, str | None]) -> str:
        """Fill a random text variant: synonyms, dropped nulls, optional words, "other", articles."""
        rng = self.rng
        text = rng.choice(fam.template["text"])
        for name, ptype in fam.param_types.items():
            v = vals.get(name)
            if v is None:
                # An unmentioned shape still needs a noun: "thing"/"object" ("things" with the s).
                word = self._word("thing") if ptype == "Shape" else ""
            else:
                word = self._word(v)
            text = text.replace(name, word)
        text = OPTIONAL_WORDS.sub(lambda m: m.group(1) if rng.random() < 0.5 else "", text)
        text = " ".join(text.split())
        text = re.sub(r" ([?;,])", r"\1", text)
        text = drop_other(text, vals)
        if not text.endswith("?"):
            text += "?"  # one variant of same_relate.json[6] lacks it
        # "a object" -> "an object" (CLEVR itself leaves "a object" in its questions).
        return re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", text)

    # ----------------------------------------------------------------------------- public API
    def family_index(self, template_filename: str, question_family_index: int) -> int:
        for f, fam in enumerate(self.families):
            if fam.filename == template_filename and fam.index == question_family_index:
                return f
        raise KeyError(f"no template {template_filename}[{question_family_index}]")

    def instantiate(self, scene: SceneGraph, template_filename: str, question_family_index: int,
                    attempts: int = 10) -> dict | None:
        """A question of one given family on ``scene``, or None if ``attempts`` tries fail."""
        f = self.family_index(template_filename, question_family_index)
        sd = _SceneData(scene, self.values)
        for _ in range(attempts):
            q = self._instantiate(f, sd)
            if q is not None:
                return q
        return None

    def questions_for_scene(self, scene: SceneGraph, n: int = 10, attempts: int = 3) -> list[dict]:
        """Up to ``n`` questions of distinct families; the families used least so far go first."""
        sd = _SceneData(scene, self.values)
        order = sorted(range(len(self.families)), key=lambda f: (self.produced[f], self.rng.random()))
        out: list[dict] = []
        for f in order:
            if len(out) >= n:
                break
            for _ in range(attempts):
                q = self._instantiate(f, sd)
                if q is not None:
                    out.append(q)
                    break
        return out


def generate_questions(scenes: Iterable[SceneGraph], questions_per_scene: int = 10, seed: int = 0,
                       progress: bool = True, templates_dir: str | Path | None = None) -> list[dict]:
    """Questions in the official CLEVR format for every scene (``question_index`` runs from 0)."""
    gen = QuestionGenerator(templates_dir, seed=seed)
    scenes = list(scenes)
    out: list[dict] = []
    step = max(1, len(scenes) // 10)
    for k, scene in enumerate(scenes):
        out.extend(gen.questions_for_scene(scene, questions_per_scene))
        if progress and ((k + 1) % step == 0 or k + 1 == len(scenes)):
            log.info("questions: %d for %d/%d scenes", len(out), k + 1, len(scenes))
    return out
