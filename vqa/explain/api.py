"""``explain(question, image, graph)``: one answered question with every attention tensor and its pictures.

The one implementation behind ``vqa attention``, the notebooks and the app. It runs the same
``GraphQA.explain`` that ``vqa ask`` uses and reads the attention only from the
``ReasonerOutput`` (no hooks), cut to this question's tokens and objects.

Steps are numbered from 0, like the rows of the tensors: ``overlay_step0.png`` shows
``node_attn[0]``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor

from .. import atomic
from ..encode.photo_phrases import question_looks
from ..errors import DataError
from ..graph.box_relations import for_display
from ..graph.scene_graph import SceneGraph
from ..perception.image import load_image
from ..pipeline.ask import Explanation, GraphQA
from ..pipeline.scenes import SceneBuilder
from ..reason.reasoner import DEFAULT_WEIGHTS
from . import figures

__all__ = ["ExplainResult", "explain", "load_qa", "graph_from_image", "ATTENTION_FILES"]

# what ``ExplainResult.save`` writes ({t} = step)
ATTENTION_FILES = ("overlay_step{t}.png", "words_step{t}.png", "words.png", "coattention.png", "graph.png",
                   "objects.png", "attention.json")

_QA_CACHE: dict[tuple[str, bool, str], object] = {}
_BUILDERS: dict[tuple, object] = {}


@dataclass
class ExplainResult(Explanation):
    """An ``Explanation`` (the answer and every attention tensor, shapes in its docstring) with the
    question, the graph and image it is about, and the methods that draw it."""

    question: str = ""
    graph: SceneGraph = field(default_factory=SceneGraph)
    image: Image.Image | None = None
    object_ids: list[str] = field(default_factory=list)
    object_labels: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ values
    @property
    def answer(self) -> str:
        return self.prediction.answer

    @property
    def answers(self) -> list[tuple[str, float]]:
        """Top-k ``(answer, probability)``, best first."""
        return self.prediction.answers

    @property
    def steps(self) -> int:
        return int(self.node_attn.shape[0])

    def top_object(self, step: int = -1) -> int | None:
        """Index of the most attended object at ``step`` (default: the final step); None without objects."""
        return int(self.node_attn[step].argmax()) if self.node_attn.shape[1] else None

    def edge_flow(self) -> Tensor:
        """Per edge, how much selection it carried: ``max_t edge_attn[t, e] * node_select[t-1, source(e)]``.

        Edge attention alone is high for every edge of the asked predicate (a sigmoid per edge,
        see ``ControlledGATConv``); weighting it by how much the previous step selected the
        edge's source keeps the edges that moved the answer's objects. Shape [E].
        """
        E = self.edge_attn.shape[1]
        if self.edge_labels:  # a photo answer's edges already carry the weight their step gave them
            return self.edge_attn.amax(0)
        if E == 0 or self.steps < 2:
            return self.edge_attn.amax(0) if E else self.edge_attn.new_zeros(0)
        src = self.edge_index[0]
        flow = self.edge_attn[1:] * self.node_select[:-1, src]  # [T-1, E]
        return flow.amax(0)

    # ----------------------------------------------------------------- figures
    def objects_image(self) -> Image.Image:
        """The graph's objects over the image (ids and attributes)."""
        return figures.draw_objects(self.image, for_display(self.graph))

    def overlay(self, step: int = -1) -> Image.Image:
        """Object attention of ``step`` over the image, with a legend (image size)."""
        t = step % self.steps
        top = self.top_object(t)
        title = f"step {t}" + (f" ({self.step_labels[t]})" if self.step_labels else "") + (f": top object {self.object_ids[top]} ({float(self.node_attn[t, top]):.2f})"
                               if top is not None else "")
        return figures.draw_object_attention(self.image, for_display(self.graph), self.node_attn[t].tolist(),
                                             title=title)

    def words_figure(self):
        """Word attention, all steps (T x L heatmap)."""
        return figures.draw_word_attention(self.tokens, self.word_attn)

    def words_step_figure(self, step: int):
        t = step % self.steps
        return figures.draw_word_attention_step(self.tokens, self.word_attn[t], title=f"word attention, step {t}")

    def coattention_figure(self):
        """Co-attention, tokens x objects."""
        return figures.draw_coattention(self.tokens, self.object_labels, self.coattn)

    def graph_figure(self, step: int = -1, max_edges: int = 8):
        """Scene graph: nodes coloured by ``step``'s attention (default final), the ``max_edges``
        edges that carried most selection (``edge_flow``) drawn with that width."""
        t = step % self.steps
        return figures.draw_scene_graph(for_display(self.graph), self.node_attn[t], self.edge_index, self.edge_flow(),
                                        max_edges=max_edges, title=f"answer {self.answer!r}: node attention at step {t}",
                                        edge_labels=self.edge_labels)

    # ------------------------------------------------------------------ output
    def to_json(self) -> dict:
        """Every tensor as nested lists, with the ids and names needed to read them."""
        p = self.prediction
        return {"question": self.question, "image_filename": self.graph.image_filename,
                "answer": p.answer, "answer_type": p.answer_type,
                "answers": [{"answer": a, "probability": prob} for a, prob in p.answers], "flags": p.flags,
                "tokens": self.tokens, "object_ids": self.object_ids, "object_labels": self.object_labels,
                "steps": self.steps, "word_attn": self.word_attn.tolist(), "node_attn": self.node_attn.tolist(),
                "node_select": self.node_select.tolist(), "coattn": self.coattn.tolist(),
                "edge_index": self.edge_index.tolist(), "edge_attn": self.edge_attn.tolist(),
                "slot_attn": self.slot_attn.tolist(), "step_labels": self.step_labels, "edge_labels": self.edge_labels}

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write ``ATTENTION_FILES`` into ``out_dir`` (created); return the paths written."""
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DataError(f"cannot create output folder {out} ({e.strerror}); choose another --out") from None
        written = []
        for t in range(self.steps):
            path = out / f"overlay_step{t}.png"
            atomic.write_with(self.overlay(t).save, path)
            written.append(path)
            path = out / f"words_step{t}.png"
            figures.save_figure(self.words_step_figure(t), path)
            written.append(path)
        for name, fig in (("words.png", self.words_figure()), ("coattention.png", self.coattention_figure()),
                          ("graph.png", self.graph_figure())):
            figures.save_figure(fig, out / name)
            written.append(out / name)
        path = out / "objects.png"
        atomic.write_with(self.objects_image().save, path)
        written.append(path)
        path = out / "attention.json"
        atomic.write_text(path, json.dumps(self.to_json()) + "\n")
        written.append(path)
        return written


# ----------------------------------------------------------------------------- entry points
def load_qa(weights: str | Path | None = None, threads: int | None = None, fast: bool = False,
            device: str | torch.device = "cpu"):
    """A ``GraphQA`` for ``weights`` (default: the shipped reasoner), loaded once per path, ``fast`` and device.

    ``fast``: also export the reasoner to ONNX Runtime in a child process (``GraphQA``): worth it for a
    run of many questions (the answers come about 4x sooner once it is ready, 10-25 s later),
    not for a one-off command."""
    path = str(Path(weights or DEFAULT_WEIGHTS).resolve())
    key = (path, fast, str(device))
    if key not in _QA_CACHE:
        _QA_CACHE[key] = GraphQA(path, threads=threads, fast=fast, device=device)
    return _QA_CACHE[key]


def graph_from_image(image, detector: str = "auto", image_filename: str | None = None,
                     detector_weights: str | Path | None = None, question: str | None = None,
                     device: str | torch.device = "cpu") -> SceneGraph:
    """Detect objects and build their scene graph with the pipeline's builder, as ``vqa ask`` does
    (``vqa.pipeline.scenes.SceneBuilder``, one per detector, weights and device); with ``question``, a
    photo gets the closer look for the classes it names that the first pass lacks (and those it counts), as in ``vqa ask``."""
    key = (detector, str(detector_weights) if detector_weights else None, str(device))
    if key not in _BUILDERS:
        _BUILDERS[key] = SceneBuilder(detector, weights=detector_weights, device=device)
    looks = question_looks(question) if question else {}
    return _BUILDERS[key].build(image, image_filename=image_filename, **looks).graph


def explain(question: str, image=None, graph: SceneGraph | None = None, qa=None, *,
            weights: str | Path | None = None, detector: str = "auto", detector_weights: str | Path | None = None,
            top_k: int = 5, device: str | torch.device = "cpu") -> ExplainResult:
    """Answer ``question`` and keep the attention that produced the answer.

    Args:
        question: the question text.
        image: a ``PIL.Image`` or an image path; drawn under the overlays. Without ``graph`` the
            detector builds the graph from it.
        graph: the scene graph to reason over (e.g. a gold CLEVR scene). None together with no
            image answers from the question alone (flag ``no_image``).
        qa: a loaded ``GraphQA`` (the app passes its own); default ``load_qa(weights)``.
        weights: reasoner weights when ``qa`` is None (default: the shipped ones).
        detector: registered detector name used when only an image is given.
        detector_weights: that detector's weights (default: its shipped ones).
        top_k: how many answers to keep.
        device: where the detector (and, when ``qa`` is None, the reasoner) run; ``vqa.device.resolve_device``.
    """
    img = load_image(image) if image is not None else None
    if graph is None and img is not None:
        name = Path(image).name if isinstance(image, (str, Path)) else None
        graph = graph_from_image(img, detector, image_filename=name, detector_weights=detector_weights,
                                 question=question, device=device)
    qa = qa or load_qa(weights, device=device)
    e = qa.explain(question, graph, top_k=top_k)
    graph = graph if graph is not None else SceneGraph()
    ids = [str(o.id if o.id is not None else k) for k, o in enumerate(graph.objects)]
    tensors = {f.name: getattr(e, f.name) for f in fields(Explanation)}
    tensors.update({k: v.long() if k == "edge_index" else v.float() for k, v in tensors.items() if isinstance(v, Tensor)})
    return ExplainResult(**tensors, question=question, graph=graph, image=img, object_ids=ids,
                         object_labels=figures.object_labels(for_display(graph)))

