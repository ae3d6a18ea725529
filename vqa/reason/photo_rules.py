"""Honest answers about photo scene graphs: a rule-based answerer over the box graph.

(The default photo answerer is the hybrid of ``vqa.reason.photo_answerer``: these rules for every
question they parse, the trained photo reasoner for familiar rewordings.)

The CLEVR reasoner knows CLEVR's vocabulary only (cubes, spheres, cylinders); asked about a photo
it would answer "cylinder" for a cat. ``PhotoAnswerer`` answers the questions it can parse from
what the graph of the ``coco`` detector (``detections_to_box_graph``) contains, and says so when it
cannot:

* **out of vocabulary**: the question's object is none of the detector's 80 COCO classes (after
  synonyms, ``vqa.vocab.coco``): "I can't see things like 'flag'; I can detect: ...";
* **not found**: a question presupposing an object ("what colour is the dog?") with none detected;
* **not sure**: the answer's probability is below the type's threshold; the top guesses follow;
* **unsupported**: the question matches none of the forms below; the reply lists them.

Question forms (after lower-casing, dropping punctuation and possessive "'s", and rewriting
"to the left of" / "on the left of" as "left of"):

=============  =====================================================  ==========================
type           forms                                                  answer
=============  =====================================================  ==========================
exist          is there / are there (any) / do you see / can you see  yes / no
               X
count          how many X (are there)? / what number of X             0, 1, 2, ...
color          what colo(u)r is the X? / what is the colour of the X  a palette colour
yes_no         is the X C? (C a colour) / is the X bigger / smaller   yes / no
               than the Y? / are there more / fewer X than Y?
left_right     is the X (on the) left / right of the Y? / is the X    yes / no, left / right /
               on the left or right (of the Y / of the picture)?      middle
relation       is the X above / below / on / next to / in the Y?     yes / no
relate         what is left of / right of / above / below / on /      object names or "nothing"
               next to the X?
list           what is in the picture? / what do you see?             object names
=============  =====================================================  ==========================

A phrase X is read by ``vqa.encode.photo_phrases.parse_phrase``; its relation keeps objects related so
to the most likely Y ("the Y"), or to any Y ("a Y", "another Y": each object's likeliest related Y).

Probabilities. The detector's score ``s_i`` is read as the probability that box i is real (SSD's
sigmoid scores are not calibrated; this is the simplest honest reading). For a phrase, each
object's membership weight is

    q_i = s_i * P_i(c) / P_i(name_i)  *  p_i(colour) / max_k p_i(k)  *  [i related to Y*] q_Y*
                                                     (or max over the Y_j i is related to of q_Y_j)

where ``P_i`` is the box's class distribution (so ``s_i P_i(c) / P_i(name_i)`` is the raw score
the network gave class c for that box), the colour factor (1 for the box's top colour) applies
only when the phrase names a colour, and ``Y*`` is the likeliest anchor. With ``m`` the chance
that the detector missed one more such object (``PhotoAnswererConfig.miss``):

* count: the number of real objects is a sum of independent Bernoullis ``q_i`` plus one of
  ``m`` (Poisson-binomial); the answer is its mode;
* exist: ``p(yes) = P(count >= 1) = 1 - (1 - m) prod_i (1 - q_i)``;
* more X than Y: ``P(count_X > count_Y)`` from the two distributions;
* colour: the box colour distribution of the likeliest X (``vqa.perception.coco.colors``);
  "is the X C?": ``p(yes) = p(C) / (p(C) + max_{k != C} p(k))`` (C against its strongest rival);
* relations between the likeliest X and Y: if both are real (probability ``q = q_X q_Y``) the
  box rule decides; if not, a coin: ``p = q [rule] + (1 - q) / 2``. Same for "bigger than"
  (box areas, "about the same size" when within 25 %).

An answer is given when its probability reaches ``sure`` (counts, names), ``color_sure`` (a
12-way colour choice) or ``binary_sure`` (yes/no, left/right); otherwise "not sure" with the top
guesses. The thresholds were chosen on the development half of the photo question set.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..answer.prediction import ANSWERED, NOT_FOUND, NOT_SURE, OUT_OF_VOCABULARY, UNSUPPORTED, PhotoAnswer
from ..encode.photo_phrases import RELATIONS, Phrase, parse_phrase, parse_question
from ..graph.scene_graph import SceneGraph
from .photo_steps import rule_steps
from ..vocab.coco import ANY, COCO_CLASSES, COLOR_WORDS, category_classes

__all__ = ["PhotoAnswererConfig", "PhotoAnswer", "PhotoAnswerer", "Phrase", "poisson_binomial",
           "ANSWERED", "NOT_SURE", "OUT_OF_VOCABULARY", "NOT_FOUND", "UNSUPPORTED",
           "QUESTION_FORMS"]

QUESTION_FORMS = ("Is there a cat?", "How many people are there?", "What color is the car?", "Is the cup red?",
                  "Is the dog left of the person?", "Is the bus on the left or right of the picture?",
                  "What is left of the bench?", "Are there more cars than people?", "Is the cup bigger than the spoon?",
                  "What is in the picture?")

@dataclass(frozen=True)
class PhotoAnswererConfig:
    """Thresholds (module docstring). All probabilities."""

    miss: float = 0.15  # chance the detector missed one more object of the asked kind
    # "not sure" below these; chosen on the development photos (docs/photos.md): the most answers right,
    # ties broken towards declining more. Under them the top guess was right about half the time.
    sure: float = 0.3  # counts and names: answer when the mode has at least this probability
    color_sure: float = 0.25  # colours: 12 names, so 25 % is three times an even share
    binary_sure: float = 0.5  # yes/no and left/right: "not sure" only when the two are level
    min_weight: float = 0.05  # objects whose membership weight is below this are ignored
    side_margin: float = 0.05  # "left/right of the picture": the centre within 5 % of the middle is "middle"
    same_size: float = 1.25  # "bigger than": areas within this ratio are "about the same size"
    # scene context: when n >= 2 other confident objects (score >= ``confident``) have class c (a herd, a flock, a
    # crowd), a box's P(c) is multiplied by 1 + context * n before its classes are compared: a "cow" among
    # four horses is read as a horse (chosen on the development photos: docs/experiments/photo-path.md)
    context: float = 1.0
    confident: float = 0.5  # the score of an object the scene context counts


# how a phrase's position or extreme ranks boxes [x0, y0, x1, y1]: the object with the largest key is kept
_PICKS = {"left": lambda b: -(b[0] + b[2]), "right": lambda b: b[0] + b[2],
          "largest": lambda b: (b[2] - b[0]) * (b[3] - b[1]), "smallest": lambda b: -(b[2] - b[0]) * (b[3] - b[1]),
          "tallest": lambda b: b[3] - b[1], "shortest": lambda b: b[1] - b[3]}


def poisson_binomial(ps: list[float]) -> list[float]:
    """Distribution of the number of successes of independent Bernoulli(p_k): ``out[n] = P(N = n)``."""
    out = [1.0]
    for p in ps:
        nxt = [0.0] * (len(out) + 1)
        for n, v in enumerate(out):
            nxt[n] += v * (1 - p)
            nxt[n + 1] += v * p
        out = nxt
    return out


class PhotoAnswerer:
    """Answers questions about a photo's box scene graph from what it contains (module docstring).

    ``answerer(question, graph) -> PhotoAnswer``. Pure Python over the graph: microseconds.
    """

    def __init__(self, config: PhotoAnswererConfig | None = None):
        self.config = config or PhotoAnswererConfig()

    # ------------------------------------------------------------------ weights of a phrase
    def weights(self, phrase: Phrase, graph: SceneGraph) -> list[float]:
        """Membership weight ``q_i`` of every object for ``phrase`` (module docstring)."""
        out = []
        seen = Counter(o.name for o in graph.objects if o.score >= self.config.confident)
        for o in graph.objects:
            probs = o.extra.get("attribute_probs", {})
            if phrase.cls == ANY:
                q = o.score
            else:
                cls_p, top = self._in_context(probs.get("class") or {o.name: 1.0}, seen, o)
                q = o.score * sum(cls_p.get(c, 0.0) for c in category_classes(phrase.cls)) / top if top else 0.0
            if phrase.color is not None:
                col = probs.get("color") or {o.attributes.get("color", ""): 1.0}
                q *= col.get(phrase.color, 0.0) / max(col.values())
            out.append(min(max(q, 0.0), 1.0))
        for pick in (phrase.position, phrase.extreme):  # the leftmost / biggest / ... of the candidates
            cands = [i for i, q in enumerate(out) if q >= self.config.min_weight]
            if pick is not None and cands:
                key = [_PICKS[pick](graph.objects[i].box) for i in cands]
                keep = cands[key.index(max(key))]
                out = [q if i == keep else 0.0 for i, q in enumerate(out)]
        if phrase.relation is not None and phrase.anchor is not None:
            aw = self.weights(phrase.anchor, graph)
            if phrase.any_anchor:  # "next to a person": the likeliest person it is next to
                best = [max((aw[r.object] for r in graph.relations if r.subject == i and r.predicate == phrase.relation
                             and r.object != i), default=0.0) for i in range(len(out))]
                out = [q * b for q, b in zip(out, best)]
                return [q if q >= self.config.min_weight else 0.0 for q in out]
            j = max(range(len(aw)), key=aw.__getitem__) if aw else None
            if j is None or aw[j] < self.config.min_weight:
                return [0.0] * len(out)
            related = {r.subject for r in graph.relations if r.object == j and r.predicate == phrase.relation}
            out = [q * aw[j] if (i in related and i != j) else 0.0 for i, q in enumerate(out)]
        return [q if q >= self.config.min_weight else 0.0 for q in out]

    def count_distribution(self, phrase: Phrase, graph: SceneGraph) -> list[float]:
        return poisson_binomial([q for q in self.weights(phrase, graph) if q > 0] + [self.config.miss])

    # ------------------------------------------------------------------ the answer
    def parse(self, question: str):
        """``(question type, match, {"a": Phrase, "b": Phrase}, handler)`` of the first question form
        (``vqa.encode.photo_phrases.QUESTION_FORMS_RE``) that matches, or None when none does."""
        parsed = parse_question(question)
        return None if parsed is None else (*parsed[:3], getattr(self, parsed[3]))

    def __call__(self, question: str, graph: SceneGraph) -> PhotoAnswer:
        parsed = self.parse(question)
        if parsed is not None:
            qtype, m, phrases, handler = parsed
            for p in phrases.values():
                bad = p.unknown()
                if bad is not None:
                    if handler == self._exist and bad is not p:  # "any chairs on stage?" with no chair at all
                        head = Phrase(text=p.cls or "", cls=p.cls, color=p.color)
                        answer = self._absent(question, qtype, head, graph)
                        if answer is not None:
                            answer.tokens, answer.steps = rule_steps(self.weights, question, "_exist", m,
                                                                     {"a": head}, graph, answer)
                            return answer
                    return self._out_of_vocabulary(question, qtype, bad)
            answer = handler(question, qtype, m, phrases, graph)
            if answer.status != OUT_OF_VOCABULARY:
                answer.tokens, answer.steps = rule_steps(self.weights, question, handler.__name__, m, phrases, graph,
                                                         answer)
            return answer
        return PhotoAnswer(question, "unsupported", "unknown",
                           "I can't answer that kind of question about a photo yet. I can answer questions like: "
                           + " ".join(QUESTION_FORMS), [("unknown", 0.0)], UNSUPPORTED)

    # ------------------------------------------------------------------ helpers
    def _out_of_vocabulary(self, question: str, qtype: str, phrase: Phrase) -> PhotoAnswer:
        thing = phrase.text or "that"
        text = (f"I can't see things like '{thing}': the photo detector knows only 80 kinds of objects "
                f"({', '.join(COCO_CLASSES)}).")
        return PhotoAnswer(question, qtype, "unknown", text, [("unknown", 0.0)], OUT_OF_VOCABULARY)

    def _decide(self, question, qtype, dist: dict[str, float], threshold: float, objects: list[int],
                say=None) -> PhotoAnswer:
        """Top answer of ``dist`` if it reaches ``threshold``, else "not sure" with the top 3."""
        ranked = sorted(dist.items(), key=lambda kv: -kv[1])
        best, p = ranked[0]
        if p >= threshold and (len(ranked) < 2 or p > ranked[1][1]):  # a tie is never an answer
            return PhotoAnswer(question, qtype, best, say(best, p) if say else f"{best} ({p:.0%})", ranked[:5],
                               ANSWERED, objects)
        guesses = " or ".join(f"{a} ({b:.0%})" for a, b in ranked[:3] if b > 0)
        return PhotoAnswer(question, qtype, "not sure", f"Not sure: maybe {guesses}.", ranked[:5], NOT_SURE, objects)

    def _binary(self, question, qtype, p_yes: float, objects, yes="yes", no="no") -> PhotoAnswer:
        return self._decide(question, qtype, {yes: p_yes, no: 1 - p_yes}, self.config.binary_sure, objects)

    def _best(self, phrase: Phrase, graph: SceneGraph, exclude: int | None = None) -> tuple[int | None, float]:
        w = self.weights(phrase, graph)
        cands = [(q, i) for i, q in enumerate(w) if q > 0 and i != exclude]
        if not cands:
            return None, 0.0
        q, i = max(cands)
        return i, q

    def _not_found(self, question, qtype, *phrases: Phrase) -> PhotoAnswer:
        names = " or ".join(f"'{p.text}'" for p in phrases)
        return PhotoAnswer(question, qtype, "unknown", f"I don't see {names} in this picture, so I can't tell.",
                           [("unknown", 0.0)], NOT_FOUND)

    def _pair(self, question, qtype, phrases, graph):
        a, qa = self._best(phrases["a"], graph)
        b, qb = self._best(phrases["b"], graph, exclude=a)
        missing = [p for p, i in ((phrases["a"], a), (phrases["b"], b)) if i is None]
        return a, qa, b, qb, (self._not_found(question, qtype, *missing) if missing else None)

    @staticmethod
    def _has(graph: SceneGraph, s: int, pred: str, o: int) -> bool:
        return any(r.subject == s and r.predicate == pred and r.object == o for r in graph.relations)

    def _in_context(self, cls_p: dict[str, float], seen: Counter, o) -> tuple[dict[str, float], float]:
        """The box's class distribution weighed by the other confident objects' classes (``context``), and
        the weight its box score ``s_i`` stands for: its own class's, or the top one's when context changed
        the top."""
        if not self.config.context or len(cls_p) < 2:
            return cls_p, cls_p.get(o.name) or max(cls_p.values())
        mine = o.name if o.score >= self.config.confident else None
        others = {c: seen[c] - (c == mine) for c in cls_p}
        w = {c: p * (1 + self.config.context * others[c] * (others[c] >= 2)) for c, p in cls_p.items()}
        return w, max(w.values())

    # ------------------------------------------------------------------ the forms
    def _exist(self, question, qtype, m, phrases, graph):
        w = self.weights(phrases["a"], graph)
        p_none = 1 - self.config.miss
        for q in w:
            p_none *= 1 - q
        return self._binary(question, qtype, 1 - p_none, [i for i, q in enumerate(w) if q > 0])

    def _absent(self, question, qtype, head: Phrase, graph):
        """"Is there an X REL Y?" with Y unknown: "no" when no X at all is likely (then no X is REL
        anything), else None (the relation would decide, and Y cannot be found)."""
        if head.unknown() is not None:
            return None
        answer = self._exist(question, qtype, None, {"a": head}, graph)
        if answer.answer != "no":
            return None
        answer.text = f"No: I don't see any {head.text} at all ({answer.answers[0][1]:.0%})."
        return answer

    def _count(self, question, qtype, m, phrases, graph):
        w = self.weights(phrases["a"], graph)
        dist = self.count_distribution(phrases["a"], graph)
        return self._decide(question, qtype, {str(n): p for n, p in enumerate(dist)}, self.config.sure,
                            [i for i, q in enumerate(w) if q > 0])

    def _compare_counts(self, question, qtype, m, phrases, graph):
        da, db = (self.count_distribution(phrases[k], graph) for k in ("a", "b"))
        more = sum(pa * pb for na, pa in enumerate(da) for nb, pb in enumerate(db) if na > nb)
        fewer = sum(pa * pb for na, pa in enumerate(da) for nb, pb in enumerate(db) if na < nb)
        objs = [i for k in ("a", "b") for i, q in enumerate(self.weights(phrases[k], graph)) if q > 0]
        return self._binary(question, qtype, more if m.group("cmp") == "more" else fewer, objs)

    def _color(self, question, qtype, m, phrases, graph):
        phrase = phrases.get("a") or parse_phrase(m.group("a2"))
        if phrase.unknown() is not None:
            return self._out_of_vocabulary(question, qtype, phrase.unknown())
        i, _ = self._best(phrase, graph)
        if i is None:
            return self._not_found(question, qtype, phrase)
        o = graph.objects[i]
        dist = o.extra.get("attribute_probs", {}).get("color") or {o.attributes.get("color", "unknown"): 1.0}
        return self._decide(question, qtype, dict(dist), self.config.color_sure, [i])

    def _is_color(self, question, qtype, m, phrases, graph):
        i, _ = self._best(phrases["a"], graph)
        if i is None:
            return self._not_found(question, qtype, phrases["a"])
        o = graph.objects[i]
        dist = o.extra.get("attribute_probs", {}).get("color") or {o.attributes.get("color", ""): 1.0}
        c = COLOR_WORDS[m.group("color")]
        pc = dist.get(c, 0.0)
        rival = max((p for k, p in dist.items() if k != c), default=0.0)
        return self._binary(question, qtype, pc / (pc + rival) if pc + rival > 0 else 0.5, [i])

    def _mixed(self, q: float, holds: bool) -> float:
        """``q [rule] + (1 - q) / 2``: the rule decides if both objects are real, else a coin."""
        return q * float(holds) + (1 - q) / 2

    def _is_side(self, question, qtype, m, phrases, graph):
        a, qa, b, qb, missing = self._pair(question, qtype, phrases, graph)
        if missing:
            return missing
        side = m.group("side")
        other = "right" if side == "left" else "left"
        if not (self._has(graph, a, side, b) or self._has(graph, a, other, b)):
            return PhotoAnswer(question, qtype, "not sure", "Not sure: the two are about level, side by side.",
                               [("yes", 0.5), ("no", 0.5)], NOT_SURE, [a, b])
        return self._binary(question, qtype, self._mixed(qa * qb, self._has(graph, a, side, b)), [a, b])

    def _which_side(self, question, qtype, m, phrases, graph):
        if "b" not in phrases:  # "... of the picture" or no second object: the side of the image
            return self._on_side(question, qtype, m, {"a": phrases["a"]}, graph)
        a, qa, b, qb, missing = self._pair(question, qtype, phrases, graph)
        if missing:
            return missing
        left, right = self._has(graph, a, "left", b), self._has(graph, a, "right", b)
        if not (left or right):
            return PhotoAnswer(question, qtype, "not sure", "Not sure: the two are about level, side by side.",
                               [("left", 0.5), ("right", 0.5)], NOT_SURE, [a, b])
        return self._binary(question, qtype, self._mixed(qa * qb, left), [a, b], yes="left", no="right")

    def _on_side(self, question, qtype, m, phrases, graph):
        i, qi = self._best(phrases["a"], graph)
        if i is None:
            return self._not_found(question, qtype, phrases["a"])
        box = graph.objects[i].box
        width = graph.width or max(o.box[2] for o in graph.objects)
        x = (box[0] + box[2]) / 2 / width
        where = "left" if x < 0.5 - self.config.side_margin else "right" if x > 0.5 + self.config.side_margin else "middle"
        groups = m.groupdict()
        if groups.get("side"):  # "is the X on the left?": yes / no
            if where == "middle":
                return PhotoAnswer(question, qtype, "no", f"No, it is in the middle ({qi:.0%}).", [("no", qi)],
                                   ANSWERED, [i])
            return self._binary(question, qtype, self._mixed(qi, where == groups["side"]), [i])
        if where == "middle":
            return PhotoAnswer(question, qtype, "middle", f"In the middle ({qi:.0%}).", [("middle", qi)], ANSWERED, [i])
        return self._binary(question, qtype, self._mixed(qi, True), [i], yes=where, no="right" if where == "left" else "left")

    def _is_related(self, question, qtype, m, phrases, graph):
        a, qa, b, qb, missing = self._pair(question, qtype, phrases, graph)
        if missing:
            return missing
        return self._binary(question, qtype, self._mixed(qa * qb, self._has(graph, a, RELATIONS[m.group("rel")], b)),
                            [a, b])

    def _bigger(self, question, qtype, m, phrases, graph):
        a, qa, b, qb, missing = self._pair(question, qtype, phrases, graph)
        if missing:
            return missing
        area = [max(graph.objects[k].box[2] - graph.objects[k].box[0], 0) * max(graph.objects[k].box[3]
                - graph.objects[k].box[1], 0) for k in (a, b)]
        ratio = area[0] / max(area[1], 1e-9)
        if 1 / self.config.same_size < ratio < self.config.same_size:
            return PhotoAnswer(question, qtype, "not sure", "Not sure: they look about the same size in the picture.",
                               [("yes", 0.5), ("no", 0.5)], NOT_SURE, [a, b])
        bigger = ratio > 1
        return self._binary(question, qtype, self._mixed(qa * qb, bigger if m.group("cmp") != "smaller" else not bigger),
                            [a, b])

    def _relate(self, question, qtype, m, phrases, graph):
        j, qj = self._best(phrases["a"], graph)
        if j is None:
            return self._not_found(question, qtype, phrases["a"])
        pred = RELATIONS[m.group("rel")]
        found = sorted({r.subject for r in graph.relations if r.object == j and r.predicate == pred},
                       key=lambda i: -graph.objects[i].score)
        names = list(dict.fromkeys(graph.objects[i].name for i in found))
        answer = ", ".join(names) if names else "nothing"
        return self._decide(question, qtype, {answer: qj}, self.config.sure, [j, *found])

    def _list(self, question, qtype, m, phrases, graph):
        counts: dict[str, int] = {}
        for o in graph.objects:
            counts[o.name] = counts.get(o.name, 0) + 1
        if not counts:
            return PhotoAnswer(question, qtype, "nothing", "I don't see any of the 80 kinds of objects I know.",
                               [("nothing", 1 - self.config.miss)], ANSWERED)
        answer = ", ".join(f"{n} ({k})" if k > 1 else n for n, k in counts.items())
        p = min(o.score for o in graph.objects)
        return PhotoAnswer(question, qtype, answer, f"I see: {answer}.", [(answer, p)], ANSWERED,
                           list(range(len(graph.objects))))
