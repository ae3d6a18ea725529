"""Gradio Blocks: plain handlers first, then layout, then wiring.

Until the detector ships, the page answers questions about a CLEVR scene graph (a shipped
example, or an uploaded CLEVR scenes JSON).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import VqaError

__all__ = ["build_app", "launch", "EXAMPLE_SCENES"]

EXAMPLE_SCENES = Path(__file__).resolve().parent / "examples" / "clevr_val_scenes.json"


def _load_scenes(path: str | None):
    from ..graph.io import load_clevr_scenes

    return load_clevr_scenes(path or EXAMPLE_SCENES)


def answer(qa, scene_file: str | None, scene_name: str | None, question: str, top_k: int = 5):
    """Handler: returns ({answer: probability}, scene summary, flags text)."""
    scenes = _load_scenes(scene_file)
    graph = next((g for g in scenes if g.image_filename == scene_name), scenes[0] if scenes else None)
    p = qa.ask(question, graph, top_k=top_k)
    objects = [f"{k}: {o.attributes.get('size', '')} {o.attributes.get('color', '')} {o.attributes.get('material', '')} {o.name}"
               for k, o in enumerate(graph.objects)] if graph else []
    notes = "; ".join(f.replace("_", " ") + ": answered from the question alone" for f in p.flags)
    return {a: prob for a, prob in p.answers}, "\n".join(objects), notes


def build_app(weights: str | None = None):
    import gradio as gr

    from ..pipeline import GraphQA

    qa = GraphQA(weights) if weights else GraphQA()  # loads once, at start-up
    names = [g.image_filename for g in _load_scenes(None)]

    def on_ask(scene_file, scene_name, question):
        try:
            return answer(qa, scene_file, scene_name, question)
        except VqaError as e:
            raise gr.Error(str(e))

    with gr.Blocks(title="Scene-graph VQA") as demo:
        gr.Markdown("# Scene-graph VQA\nAsk a question about a CLEVR scene graph.")
        with gr.Row():
            with gr.Column():
                scene_file = gr.File(label="CLEVR scenes JSON (optional)", type="filepath")
                scene_name = gr.Dropdown(names, value=names[0], label="scene")
                question = gr.Textbox(label="question", value="How many cubes are there?")
                ask = gr.Button("Ask", variant="primary")
            with gr.Column():
                answers = gr.Label(num_top_classes=5, label="answers")
                objects = gr.Textbox(label="objects in the scene graph", lines=8)
                notes = gr.Markdown()
        ask.click(on_ask, [scene_file, scene_name, question], [answers, objects, notes], api_name="ask")
        question.submit(on_ask, [scene_file, scene_name, question], [answers, objects, notes])
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, weights: str | None = None) -> None:
    build_app(weights).queue(default_concurrency_limit=4).launch(server_name=host, server_port=port)
