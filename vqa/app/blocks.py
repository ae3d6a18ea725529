"""The Gradio page: wrappers that turn ``VqaError`` into ``gr.Error``, then layout, then wiring.

One question runs as three chained events so that API clients get data fast and the page
fills in progressively:

1. ``ask`` (public endpoint ``/ask``): (image, question) -> the JSON of
   ``handlers.api_result`` (answers with probabilities, flags, graph source, timings);
2. the answer views (top-5 bars, summary), private;
3. the pictures (objects, attention overlays, steps, co-attention, scene graph, timings), private.

The queue runs at most ``CONCURRENCY_LIMIT`` events at once (each reasoner call uses one core).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import VqaError
from . import handlers
from ..pipeline.scenes import DETECTOR_CHOICES
from .handlers import EXAMPLES_DIR, AppModels, Answered
from .uploads import MAX_PIXELS, MAX_UPLOAD_BYTES

__all__ = ["build_app", "launch", "image_input", "example_files", "CONCURRENCY_LIMIT", "QUEUE_SIZE",
           "EXAMPLE_QUESTIONS"]

log = logging.getLogger(__name__)

CONCURRENCY_LIMIT = 2  # events running at once: this machine's 2 cores, one torch thread each
QUEUE_SIZE = 64  # requests beyond that are told the app is busy, to try again, instead of an ever-longer wait

# questions about the shipped examples: CLEVR renders (gold answers: gray, 2, 3, no), then photos
# (scikit-image's CC0 test photos, answered from what the 'coco' detector finds; they have no gold graph)
EXAMPLE_QUESTIONS = {
    "CLEVR_train_000005.png": "The shiny ball is what color?",
    "CLEVR_train_000045.png": "How many cylinders are there?",
    "CLEVR_train_000060.png": "What number of things are metal objects or large objects?",
    "CLEVR_train_000070.png": "Are there any red things?",
    "chelsea.jpg": "Is there a cat?",
    "coffee.jpg": "Is there a cup?",
}
EXAMPLE_SUFFIXES = (".png", ".jpg", ".jpeg")

SOURCES = ("CLEVR renders go to the 'clevr' detector; photos go to the 'coco' detector (80 everyday object "
           "classes) and are answered from what it finds")

INTRO = """# Scene-graph VQA
Upload, paste or photograph an image (or pick an example below), type a question and press **Ask** (or Enter).
The page shows the model's top-5 answers, the objects it found, and what it attended to at each
reasoning step. Images up to {mb} MiB and {mp} megapixels; {source}."""


def step_slider(steps: int):
    """The step slider for an answer of ``steps`` reasoning steps. Gradio refuses a slider whose minimum
    is not below its maximum, so a one-step answer gets a fixed slider that says so."""
    import gradio as gr  # deferred: gradio is heavy, needed only where the page is built

    if steps > 1:
        return gr.Slider(minimum=1, maximum=steps, value=steps, step=1, interactive=True, label="Step")
    return gr.Slider(minimum=1, maximum=2, value=1, step=1, interactive=False, label="Step (this answer took one step)")


def image_input():
    """The image box: a preview of the picture, filled by upload, paste or webcam, handing the handler a file path.

    Gradio's own ``gr.Image`` opens the file with Pillow before the handler runs, so a file that is
    not an image, or one past Pillow's decompression-bomb limit, would fail there with a bare
    "Error". This box hands over the uploaded file untouched instead: ``uploads.read_upload`` then
    applies the app's byte and pixel limits and words the message, as for any upload.
    """
    import gradio as gr  # deferred: gradio is heavy, needed only where the page is built

    box = gr.Image(label="Image (PNG or JPEG)", type="filepath", image_mode=None,
                   sources=["upload", "clipboard", "webcam"], height=320, elem_id="image-upload")
    gradio_preprocess = box.preprocess

    def preprocess(payload):
        if payload is not None and payload.path:  # a file (upload, paste, webcam, example, API)
            return str(payload.path)
        return gradio_preprocess(payload)  # None, or a data: URL that Gradio writes to a file

    # on the instance, not in a subclass: Gradio writes a .pyi file beside any module that defines a component class
    box.preprocess = preprocess
    return box


def example_files() -> list[Path]:
    """The shipped example images, CLEVR renders first, then photos."""
    files = [p for p in EXAMPLES_DIR.iterdir() if p.suffix.lower() in EXAMPLE_SUFFIXES]
    return sorted(files, key=lambda p: (not p.name.startswith("CLEVR_"), p.name))


def build_app(weights: str | Path | None = None, models: AppModels | None = None, device="cpu"):
    """The ``gr.Blocks`` of the app; the models load here, once, on ``device`` (pass ``models`` to reuse
    loaded ones)."""
    import gradio as gr  # deferred: gradio is heavy, needed only where the page is built

    models = models or AppModels.load(weights, device=device)

    # --- handlers (VqaError -> gr.Error: a message in the page, the server stays up)
    def on_ask(image_path, question, detector="auto"):
        try:
            a = handlers.ask(models, image_path, question, detector)
        except VqaError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # a bug, not the user's doing: one line in the page, the traceback in the log
            log.exception("question %r on %r failed", question, image_path)
            raise gr.Error(f"internal error ({type(e).__name__}: {e}); the server log has the details",
                           print_exception=False) from None
        return a, handlers.api_result(a)

    def on_answer(a: Answered):
        return handlers.answer_views(a)

    def on_figures(a: Answered):
        try:
            v = handlers.figure_views(a)
        except Exception as e:  # the answer above stays; only the pictures are missing
            log.exception("drawing the views of %r failed", a.question)
            raise gr.Error(f"the answer is above, but drawing its pictures failed ({type(e).__name__}: {e})",
                           print_exception=False) from None
        step = step_slider(a.steps)
        return (v["objects"], v["final_attention"], step, v["step_words"], v["step_objects"], v["word_attention"],
                v["coattention"], v["scene_graph"], handlers.timings_table(a))

    def on_failure():
        # a failed question must not leave the previous answer on the page as if it were this one's
        return (None, None, None, "*No answer: see the message in the corner.*") + (None,) * 7 + ("",)

    def on_step(a: Answered | None, step):
        if a is None:
            return None, None
        return handlers.step_views(a, step)

    # --- layout
    with gr.Blocks(title="Scene-graph VQA", analytics_enabled=False) as demo:
        gr.Markdown(INTRO.format(mb=MAX_UPLOAD_BYTES // 2**20, mp=MAX_PIXELS // 10**6, source=SOURCES))
        answered = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                image = image_input()
                question = gr.Textbox(label="Question", placeholder="How many cubes are there?", elem_id="question")
                # a State mirrors the radio so that the public /ask endpoint keeps its two inputs (image, question)
                detector_choice = gr.Radio(list(DETECTOR_CHOICES), value="auto", label="Detector",
                                           info="auto: 'clevr' for CLEVR renders, 'coco' (80 everyday objects) for photos",
                                           elem_id="detector")
                detector_state = gr.State("auto")
                ask_button = gr.Button("Ask", variant="primary", elem_id="ask")
                examples = [[str(p), EXAMPLE_QUESTIONS.get(p.name, "How many objects are there?")]
                            for p in example_files()]
                if examples:
                    gr.Examples(examples, [image, question], label="Examples (CLEVR renders and photos)")
            with gr.Column(scale=1):
                answers = gr.Label(num_top_classes=5, label="Top-5 answers", elem_id="answers")
                summary = gr.Markdown(elem_id="summary")
                with gr.Accordion("Timings", open=False):
                    timings = gr.Markdown(elem_id="timings")
                with gr.Accordion("API result (JSON)", open=False):
                    result = gr.JSON(elem_id="result")
        with gr.Row():
            objects_img = gr.Image(label="Objects in the scene graph", type="pil", format="png", interactive=False, elem_id="objects")
            final_img = gr.Image(label="Object attention, final step", type="pil", format="png", interactive=False,
                                 elem_id="final-attention")
        gr.Markdown("### Reasoning steps\nMove the slider to see which words each step read and which objects it selected.")
        step = gr.Slider(minimum=1, maximum=5, value=5, step=1, label="Step", elem_id="step")
        with gr.Row():
            # no labels: these pictures carry their step in their own titles
            step_words = gr.Image(label="Words read at this step", show_label=False, type="pil", format="png",
                                  interactive=False, elem_id="step-words")
            step_objects = gr.Image(label="Objects selected at this step", show_label=False, type="pil", format="png",
                                    interactive=False, elem_id="step-objects")
        word_img = gr.Image(label="Word attention, all steps", type="pil", format="png", interactive=False, elem_id="word-attention")
        with gr.Row():
            coattn_img = gr.Image(label="Co-attention: words x objects", type="pil", format="png", interactive=False,
                                  elem_id="coattention")
            graph_img = gr.Image(label="Scene graph (attended nodes highlighted)", type="pil", format="png", interactive=False,
                                 elem_id="scene-graph")

        # --- wiring
        figure_outputs = [objects_img, final_img, step, step_words, step_objects, word_img, coattn_img, graph_img,
                          timings]
        pictures = [objects_img, final_img, step_words, step_objects, word_img, coattn_img, graph_img]
        drawing = []
        for trigger, api_name in ((ask_button.click, "ask"), (question.submit, "ask_submit")):
            visibility = "public" if api_name == "ask" else "private"
            asked = trigger(on_ask, [image, question, detector_state], [answered, result], api_name=api_name,
                            api_visibility=visibility)
            drawing.append(
                asked.success(on_answer, answered, [answers, summary], api_visibility="private", show_progress="hidden")
                .success(on_figures, answered, figure_outputs, api_visibility="private"))
            asked.failure(on_failure, None, [answered, result, answers, summary, *pictures, timings],
                          api_visibility="private", show_progress="hidden")
        detector_choice.change(lambda c: c, detector_choice, detector_state, api_visibility="private", queue=False)
        drawing.append(step.input(on_step, [answered, step], [step_words, step_objects], api_visibility="private",
                                  trigger_mode="always_last"))
        # a new question cancels pictures still being drawn for the previous one, which would
        # otherwise arrive late and sit beside the new answer
        for trigger in (ask_button.click, question.submit):
            trigger(None, None, None, cancels=drawing, api_visibility="private", queue=False)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, weights: str | Path | None = None,
           concurrency: int = CONCURRENCY_LIMIT, device="auto", queue_size: int = QUEUE_SIZE) -> None:
    """Serve the app (blocks until interrupted). Gradio's ``GRADIO_*`` environment variables apply too."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls from the server
    demo = build_app(weights, device=device)
    # a request beyond the queue is turned away at once, in Gradio's words (it has no option to change them):
    # the page says "This application is currently busy. Please try again."; the HTTP API answers 503
    # "Queue is full. ...", which gradio_client raises as QueueError("Queue is full! Please try again.")
    demo.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    demo.launch(server_name=host, server_port=port, max_file_size=MAX_UPLOAD_BYTES, allowed_paths=[str(EXAMPLES_DIR)],
                footer_links=["api", "gradio"])
