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
