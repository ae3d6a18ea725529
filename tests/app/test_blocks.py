"""The page's pieces that need Gradio but no server: the step slider for one-step and many-step answers."""
from __future__ import annotations

import pytest

from vqa.app.blocks import step_slider


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_blocks_step_slider_is_valid_for_any_number_of_steps(steps):
    slider = step_slider(steps)  # Gradio raises here when minimum >= maximum (a photo answer's one step did)
    assert slider.minimum == 1 and slider.minimum < slider.maximum
    if steps == 1:
        assert slider.value == 1 and slider.interactive is False and "one step" in slider.label
    else:
        assert slider.maximum == steps and slider.value == steps and slider.interactive


def test_blocks_every_example_has_a_question_and_photos_are_shipped():
    from vqa.app.blocks import EXAMPLE_QUESTIONS, example_files

    names = [p.name for p in example_files()]
    assert set(names) == set(EXAMPLE_QUESTIONS), "each shipped example image has its question, and only those"
    assert {"chelsea.jpg", "coffee.jpg"} <= set(names) and names[0].startswith("CLEVR_")
    assert all(p.stat().st_size < 100_000 for p in example_files() if not p.name.startswith("CLEVR_"))


def test_blocks_image_input_previews_and_hands_over_the_file_untouched(tmp_path):
    from gradio.data_classes import ImageData

    from vqa.app.blocks import image_input

    box = image_input()
    assert box.get_block_name() == "image" and box.type == "filepath"  # drawn by the browser as gr.Image
    assert box.sources == ["upload", "clipboard", "webcam"]
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")  # gr.Image would fail to open it; read_upload words the message instead
    assert box.preprocess(ImageData(path=str(junk), orig_name="junk.png")) == str(junk)
    assert box.preprocess(None) is None
