"""Explaining answers: the reasoner's attention as tensors and pictures.

``explain(question, graph=...)`` (in ``api.py``) answers one question and returns an
``ExplainResult`` with every attention tensor and methods that draw them; ``figures.py``
holds the drawing functions. ``vqa attention``, the notebooks and the app all use these.
"""
from .api import ATTENTION_FILES, ExplainResult, explain, graph_from_image, load_qa
from .figures import (draw_coattention, draw_object_attention, draw_objects, draw_scene_graph, draw_word_attention,
                      draw_word_attention_step, figure_to_image, image_grid, object_labels)

__all__ = ["explain", "ExplainResult", "load_qa", "graph_from_image", "ATTENTION_FILES",
           "draw_objects", "draw_object_attention", "draw_word_attention", "draw_word_attention_step",
           "draw_coattention", "draw_scene_graph", "figure_to_image", "image_grid", "object_labels"]
