"""The app's handlers: plain functions from (image file, question) to answers and pictures.

Nothing here knows about Gradio; ``blocks.py`` wires these to the page, and tests call them
directly. User mistakes raise ``VqaError`` subclasses (the page shows them as ``gr.Error``).

Flow of one question: ``ask`` reads the upload (``uploads.read_upload``), gets its scene graph
(``vqa.pipeline.scenes.SceneBuilder``, the pipeline's one image -> graph builder: cached per image; a photo gets a closer look when
the question names a class its graph lacks), runs ``GraphQA.explain`` and
returns an ``Answered``; ``api_result`` turns it into plain data, ``answer_views``,
``figure_views`` and ``step_views`` into what the page shows.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from PIL import Image

from ..encode.photo_phrases import question_looks
from ..answer.prediction import EMPTY_GRAPH, NO_IMAGE, NOT_EXPRESSIBLE, NOT_SURE, PARSED
from ..errors import QuestionError
from ..graph.box_relations import for_display
from ..graph.io import load_clevr_scenes
from ..graph.scene_graph import SceneGraph
from ..pipeline.ask import Explanation, GraphQA, describe_steps
from ..pipeline.scenes import SceneBuilder
from ..reason.reasoner import DEFAULT_WEIGHTS
from .uploads import read_upload

__all__ = ["EXAMPLES_DIR", "EXAMPLE_SCENES", "app_scene_builder", "AppModels", "Answered", "MAX_QUESTION_CHARS", "ask", "api_result", "answer_views", "figure_views", "flag_notes",
           "step_views", "step_descriptions", "timings_table", "closer_look_note"]

MAX_QUESTION_CHARS = 500  # CLEVR's longest questions are ~200 characters; the encoder keeps 64 tokens

FLAG_NOTES = {
    "photo_graph": "A photo: its scene graph comes from the 'coco' detector (80 everyday object classes), and the "
                   "answer is read from that graph (what it contains, counts, colours, left/right), not from the "
                   "CLEVR reasoner.",
    "not_sure": "The answer's probability is low, so the app says 'not sure' and lists its best guesses.",
    "out_of_vocabulary": "The question is about something the photo detector cannot see (it knows 80 kinds of "
                         "objects).",
    "not_found": "The question is about an object the detector did not find in this picture.",
    "unsupported": "The photo answerer cannot parse this kind of question yet.",
    NO_IMAGE: "No image was given: this answer comes from the question alone (the model's prior), not from a picture.",
    EMPTY_GRAPH: "No objects were found in the image: the scene graph is empty, so this answer comes from the "
                 "question alone.",
    PARSED: "Worded as CLEVR's templates never are (not, or, all, most, outnumber, ...): the question was read into "
              "a CLEVR program and run on the scene graph, not answered by the reasoner; the steps are the program's.",
    NOT_EXPRESSIBLE: "CLEVR's scene graphs do not hold what the question asks about (contact, distance, the "
                       "biggest or leftmost, shadows, ...), so the answer is 'not sure'; the guesses are the "
                       "reasoner's.",
}


def flag_notes(flags: list[str]) -> list[str]:
    """The notes of ``flags`` (``FLAG_NOTES``); a question CLEVR cannot express gets its own "not sure" note."""
    return [FLAG_NOTES[f] for f in flags if f in FLAG_NOTES and not (f == NOT_SURE and NOT_EXPRESSIBLE in flags)]


EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EXAMPLE_SCENES = EXAMPLES_DIR / "clevr_val_scenes.json"


def app_scene_builder(**kwargs) -> SceneBuilder:
    """The pipeline's builder as the app uses it: many images cached, and the shipped examples' gold
    graphs for when no CLEVR detector is installed."""
    kwargs.setdefault("cache_size", 256)
    return SceneBuilder(examples=load_clevr_scenes(EXAMPLE_SCENES), example_dir=EXAMPLES_DIR, **kwargs)


@dataclass
class AppModels:
    """What the app loads once at start-up: the reasoner and the image -> scene-graph source."""

    qa: GraphQA
    scenes: SceneBuilder

    @classmethod
    def load(cls, weights: str | Path | None = None, threads: int | None = 1, device="cpu") -> "AppModels":
        """Load the reasoner (default: the shipped weights) and the detector or example fallback.

        ``threads=1``: requests run side by side (the queue's concurrency limit), each on one core.
        ``GraphQA(fast=True)``: a page asks many questions, so the reasoner is also exported to ONNX
        Runtime in the background (the first answers, in the meantime, are the eager model's); and
        ``SceneBuilder(fast=True)``: so are the CLEVR detector's networks, once it is built.
        ``device``: where the reasoner and the CLEVR detector run (``vqa.device.resolve_device``).
        """
        qa = GraphQA(weights or DEFAULT_WEIGHTS, threads=threads, fast=True, device=device)
        return cls(qa, app_scene_builder(device=device, fast=True))


@dataclass
class Answered:
    """One answered question with everything the views need."""

    question: str
    explanation: Explanation
    graph: SceneGraph | None  # None: no image was given
    image: Image.Image | None
    image_name: str | None
    graph_source: str
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @property
    def steps(self) -> int:
        return int(self.explanation.word_attn.shape[0])

    @cached_property
    def display_graph(self) -> SceneGraph | None:
        """The graph as drawings label it (``for_display``), made once for all the views."""
        return for_display(self.graph) if self.graph is not None else None


def closer_look_note(graph: SceneGraph | None) -> str:
    """What a closer look at a photo did (``vqa.perception.coco.closer_look``), or "" when none was taken."""
    look = (graph.extra.get("closer_look") if graph is not None else None) or {}
    if not look:
        return ""
    recounted = look.get("recounted", [])
    absent = ", ".join(f"'{c}'" for c in look["classes"] if c not in recounted)
    counted = ", ".join(f"'{c}'" for c in recounted)
    why = " and ".join(([f"the first look found no {absent}"] if absent else [])
                       + ([f"the question counts {counted}"] if counted else []))
    more = " more" if recounted else ""
    found = f"found {look['found']}{more}, added to the scene graph" if look["found"] else f"found no{more or 'ne'}"
    return (f"Because {why}, the detector looked again over {look['tiles']} overlapping tiles of the photo "
            f"and {found}.")


def _check_question(question: str | None) -> str:
    q = (question or "").strip()
    if not q:
        raise QuestionError("the question is empty; type a question about the image, e.g. "
                            "'How many cubes are there?'")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(q)} characters long, over the limit of {MAX_QUESTION_CHARS}; "
                            "ask a shorter question")
    return q


def ask(models: AppModels, image_path: str | Path | None, question: str | None,
        detector: str | None = None) -> Answered:
    """Answer ``question`` about the image at ``image_path`` (None: no image, answered from the question).

    ``detector``: ``"auto"``, ``"clevr"`` or ``"coco"`` (``vqa.pipeline.scenes.DETECTOR_CHOICES``); None
    uses the builder's default (auto).
    """
    q = _check_question(question)
    timings: dict[str, float] = {}
    image = graph = name = None
    source = "none (no image given)"
    if image_path:
        t0 = time.perf_counter()
        upload = read_upload(image_path)
        timings["read image"] = time.perf_counter() - t0
        scene = models.scenes.build(upload.image, upload.name, detector=detector, key=upload.digest,
                                    **question_looks(q))
        ms = scene.timings
        seconds = (sum(ms.values()) - ms.get("closer_look", 0.0)) / 1000
        timings["scene graph (cached)" if scene.cached else "scene graph"] = seconds
        if "closer_look" in ms:
            timings["closer look"] = ms["closer_look"] / 1000
        image, graph, name, source = upload.image, scene.graph, upload.name, scene.source
    t0 = time.perf_counter()
    explanation = models.qa.explain(q, graph, top_k=5)
    timings["reasoning"] = time.perf_counter() - t0
    return Answered(q, explanation, graph, image, name, source, timings)


def _labels(graph: SceneGraph | None) -> list[str]:
    """Object labels of a display graph (``Answered.display_graph``)."""
    # deferred: vqa.explain.figures imports matplotlib and networkx, which only drawing needs
    from ..explain.figures import object_labels

    return object_labels(graph) if graph is not None else []


def api_result(a: Answered) -> dict:
    """Plain data for API clients: answers with probabilities, flags and where the graph came from."""
    p = a.explanation.prediction
    look = closer_look_note(a.graph)
    return {
        "question": a.question,
        "answer": p.answer,
        "answer_type": p.answer_type,
        "answers": [{"answer": ans, "probability": round(prob, 6)} for ans, prob in p.answers],
        "flags": list(p.flags),
        "notes": ([p.message] if getattr(p, "message", "") else []) + flag_notes(p.flags)
                 + ([look] if look else []),
        "image": a.image_name,
        "graph_source": a.graph_source,
        "objects": _labels(a.display_graph),
        "steps": [{"label": label, "objects": [round(float(w), 4) for w in a.explanation.node_attn[t]],
                   "edges": [list(edge) for edge in a.explanation.step_edges(t)]}
                  for t, label in enumerate(a.explanation.step_labels)],
        "timings_s": {k: round(v, 4) for k, v in a.timings.items()},
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def answer_views(a: Answered) -> tuple[dict[str, float], str]:
    """The top-5 answers as ``{answer: probability}`` and a Markdown summary (answer, flags, graph source)."""
    p = a.explanation.prediction
    if getattr(p, "message", ""):  # a photo or the CLEVR rules: the sentence says it, "not sure" and why included
        lines = [f"**Answer: {p.message}** (answer type: {p.answer_type})"]
    elif NOT_SURE in p.flags and len(p.answers) > 1:  # CLEVR, under the calibrated threshold
        guess, prob = p.answers[1]
        lines = [f"**Answer: not sure** (best guess: {guess}, {prob:.0%}; answer type: {p.answer_type})"]
    else:
        lines = [f"**Answer: {p.answer}** ({p.answers[0][1]:.0%} sure; answer type: {p.answer_type})"]
    lines += [f"**Note:** {n}" for n in flag_notes(p.flags)]
    lines += [f"**Note:** {n}" for n in [closer_look_note(a.graph)] if n]
    n = len(a.graph.objects) if a.graph is not None else 0
    lines.append(f"Scene graph: {a.graph_source}; {_count(n, 'object')}, {_count(a.steps, 'reasoning step')}.")
    described = step_descriptions(a)
    if described:
        lines.append("**Steps:**\n" + "\n".join(f"{t + 1}. {d}" for t, d in enumerate(described)))
    return {ans: prob for ans, prob in p.answers}, "\n\n".join(lines)


def step_descriptions(a: Answered) -> list[str]:
    """The steps of a photo answer in words (``vqa.pipeline.ask.describe_steps``); empty for CLEVR answers."""
    return describe_steps(a.explanation, a.graph)


def step_views(a: Answered, step: int | None) -> tuple[Image.Image, Image.Image | None]:
    """Reasoning step ``step`` (1-based, clamped to the answer's steps; None, as from a cleared step box:
    the last): the words it read (bars) and the objects it selected (overlay)."""
    # deferred: vqa.explain.figures imports matplotlib
    from ..explain.figures import draw_object_attention, draw_word_attention_step, figure_to_image

    t = min(max(int(step if step is not None else a.steps), 1), a.steps) - 1
    e = a.explanation
    what = f" ({e.step_labels[t]})" if e.step_labels else ""
    words = figure_to_image(draw_word_attention_step(e.tokens, e.word_attn[t], title=f"step {t + 1}{what}: words read"))
    objects = None
    if a.graph is not None and a.graph.objects:
        objects = draw_object_attention(a.image, a.display_graph, e.node_attn[t].tolist(),
                                        title=f"step {t + 1}{what}: objects selected")
    return words, objects


def figure_views(a: Answered) -> dict[str, Image.Image | None]:
    """Every picture of the page; missing pieces (no image, no objects) come back as None.

    Keys: ``objects`` (detected objects on the image), ``final_attention`` (last step's object
    attention as a heat overlay), ``word_attention`` (T x L heatmap), ``coattention`` (L x N
    heatmap), ``scene_graph`` (networkx drawing, attended nodes/edges highlighted), and
    ``step_words`` / ``step_objects`` for the last step.
    """
    # deferred: vqa.explain.figures imports matplotlib
    from ..explain.figures import (draw_coattention, draw_object_attention, draw_objects, draw_scene_graph,
                                   draw_word_attention, figure_to_image)

    t0 = time.perf_counter()
    e, g = a.explanation, a.display_graph
    has_objects = g is not None and bool(g.objects)
    views: dict[str, Image.Image | None] = dict.fromkeys(
        ["objects", "final_attention", "word_attention", "coattention", "scene_graph", "step_words", "step_objects"])
    if g is not None:
        views["objects"] = draw_objects(a.image, g) if has_objects else a.image
    if has_objects:
        views["final_attention"] = draw_object_attention(a.image, g, e.node_attn[-1].tolist())
        views["coattention"] = figure_to_image(draw_coattention(e.tokens, _labels(g), e.coattn))
        # a photo answer's edges are the relations its steps followed: draw all of them
        edge_weights = (e.edge_attn.amax(0) if e.edge_labels else e.edge_attn[-1]) if e.edge_attn.shape[-1] else None
        # a photo answer that used no object attends to none: ringing object 0 as "most attended" would be false
        attended = bool(e.node_attn[-1].sum() > 0)
        views["scene_graph"] = figure_to_image(draw_scene_graph(
            g, node_weights=e.node_attn[-1] if attended else None,
            edge_index=e.edge_index if edge_weights is not None else None, edge_weights=edge_weights,
            title="scene graph (final step attention)" if attended else "scene graph (the answer used no object)",
            edge_labels=e.edge_labels or None))
    views["word_attention"] = figure_to_image(draw_word_attention(e.tokens, e.word_attn,
                                                                  [f"step {t + 1}" for t in range(a.steps)]))
    views["step_words"], views["step_objects"] = step_views(a, a.steps)
    a.timings["drawing"] = time.perf_counter() - t0
    return views


def timings_table(a: Answered) -> str:
    rows = "\n".join(f"| {k} | {v * 1000:.0f} ms |" for k, v in a.timings.items())
    return f"| stage | time |\n|---|---|\n{rows}\n| **total** | {sum(a.timings.values()) * 1000:.0f} ms |"
