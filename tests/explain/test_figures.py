"""Drawing functions: sizes, legends, that the tint follows the weights, empty graphs."""
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from PIL import Image

from vqa.explain import figures
from vqa.explain.figures import (draw_coattention, draw_object_attention, draw_objects, draw_scene_graph,
                                 draw_word_attention, draw_word_attention_step, figure_to_image, object_labels)
from vqa.graph.scene_graph import SceneGraph, SceneObject


def _mean_change(a: Image.Image, b: Image.Image, x: float, y: float, r: int = 4) -> float:
    x, y = int(x), int(y)
    pa = np.asarray(a, dtype=float)[y - r: y + r, x - r: x + r]
    pb = np.asarray(b, dtype=float)[y - r: y + r, x - r: x + r]
    return float(np.abs(pa - pb).mean())


def test_figures_draw_objects_keeps_image_size(scene, image_path):
    image = Image.open(image_path)
    out = draw_objects(image, scene)
    assert out.size == image.size and out.mode == "RGB"
    assert np.abs(np.asarray(out, dtype=float) - np.asarray(image.convert("RGB"), dtype=float)).mean() > 1.0


def test_figures_draw_objects_blank_canvas_uses_graph_size(scene):
    assert draw_objects(None, scene).size == (480, 320)  # CLEVR scenes carry no size: the default
    boxed = SceneGraph([SceneObject("car", {"color": "red"}, box=[10, 20, 60, 80])], width=200, height=100)
    out = draw_objects(None, boxed)
    assert out.size == (200, 100)
    assert len(np.unique(np.asarray(out).reshape(-1, 3), axis=0)) > 1  # something was drawn


def test_figures_object_attention_tints_the_attended_object(scene, image_path):
    image = Image.open(image_path).convert("RGB")
    n = len(scene.objects)
    top, other = 3, 8
    weights = np.zeros(n)
    weights[top] = 1.0
    out = draw_object_attention(image, scene, weights, title="step 0")
    assert out.size == image.size
    # the attended object's centre changes far more than an unattended object's centre
    ct = _mean_change(out, image, *scene.objects[top].pixel[:2])
    co = _mean_change(out, image, *scene.objects[other].pixel[:2])
    assert ct > 3 * co and ct > 20


def test_figures_object_attention_legend_drawn(scene):
    blank = draw_object_attention(None, scene, np.zeros(len(scene.objects)))
    # the viridis colour bar at the bottom-left holds yellow (its top) somewhere
    px = np.asarray(blank)[280:320, 0:180].reshape(-1, 3).astype(int)
    assert ((px[:, 0] > 200) & (px[:, 1] > 200) & (px[:, 2] < 80)).any()


def test_figures_object_attention_rejects_wrong_weight_count(scene):
    with pytest.raises(ValueError, match="one weight per object"):
        draw_object_attention(None, scene, [1.0])


def test_figures_word_attention_rows_are_steps():
    tokens = ["what", "color", "is", "it", "?"]
    a = np.random.default_rng(0).dirichlet(np.ones(5), size=3)
    fig = draw_word_attention(tokens, a)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in ax.get_yticklabels()] == ["step 0", "step 1", "step 2"]
    assert np.allclose(ax.images[0].get_array(), a)
    with pytest.raises(ValueError):
        draw_word_attention(tokens[:3], a)


def test_figures_word_attention_step_bars_match_weights():
    w = [0.1, 0.7, 0.2]
    fig = draw_word_attention_step(["a", "b", "c"], w, "step 1")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert np.allclose(heights, w)


def test_figures_coattention_labels(scene):
    tokens = ["what", "cube", "?"]
    labels = object_labels(scene)
    a = np.random.default_rng(1).dirichlet(np.ones(len(labels)), size=3)
    fig = draw_coattention(tokens, labels, a)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert labels[0] == "0 large yellow rubber cube"


def test_figures_scene_graph_draws_only_top_edges(scene):
    n = len(scene.objects)
    ei = np.array([[i, j] for i in range(n) for j in range(n) if i != j]).T
    w = np.zeros(ei.shape[1])
    w[[5, 17, 40]] = [0.9, 0.8, 0.7]
    fig = draw_scene_graph(scene, np.full(n, 1 / n), ei, w, max_edges=3)
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 3
    fig = draw_scene_graph(scene, max_edges=4)  # no weights: nearest neighbours, undirected
    assert isinstance(fig, Figure)


def test_figures_empty_graph_draws_without_error():
    g = SceneGraph()
    assert draw_objects(None, g).size == (480, 320)
    assert draw_object_attention(None, g, []).size == (480, 320)
    for fig in (draw_coattention(["hi"], [], np.zeros((1, 0))), draw_scene_graph(g, np.zeros(0))):
        assert figure_to_image(fig).size[0] > 100


def test_figures_figure_to_image_matches_figure_size():
    fig = draw_word_attention(["a", "b"], [[0.5, 0.5]])
    w, h = (fig.get_size_inches() * fig.dpi).round().astype(int)
    assert figure_to_image(fig).size == (w, h)
    assert figure_to_image(fig, (100, 50)).size == (100, 50)
    assert figures.ATTENTION_CMAP in __import__("matplotlib").colormaps


def test_figures_image_grid_lays_out_rows():
    ims = [Image.new("RGB", (40, 30), c) for c in ("red", "green", "blue", "black", "white")]
    grid = figures.image_grid(ims, columns=3, gap=2)
    assert grid.size == (3 * 40 + 2 * 2, 2 * 30 + 2)
    assert grid.getpixel((0, 0)) == (255, 0, 0) and grid.getpixel((0, 32)) == (0, 0, 0)
    with pytest.raises(ValueError):
        figures.image_grid([])
