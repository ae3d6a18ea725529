"""Drawing the reasoner's attention: over the image, over the words, and over the scene graph.

Pure functions from values (``SceneGraph``, weights, tokens) to pictures, shared by
``vqa attention``, the notebooks and the app. Image overlays come back as ``PIL.Image`` of the
input image's size; charts come back as ``matplotlib.figure.Figure``. Figures are built on the
Agg canvas directly (``FigureCanvasAgg``, not through ``pyplot``), so drawing never opens
windows, leaves a notebook's inline backend alone, is safe from the app's worker threads, and
leaks nothing into pyplot's figure list. Colours come from
matplotlib's standard colormaps only.

Object geometry: an object's box (xyxy pixels) when the graph has one (detector graphs);
otherwise a circle around its ``pixel`` centre (gold CLEVR scenes), with a radius from its size
and depth (a pinhole camera: radius = focal × object radius / depth).
"""
from __future__ import annotations

import io
from typing import Sequence

import networkx as nx
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from PIL import Image

from .. import atomic
from ..graph.scene_graph import SceneGraph

__all__ = ["draw_objects", "draw_object_attention", "draw_word_attention", "draw_word_attention_step",
           "draw_coattention", "draw_scene_graph", "figure_to_image", "image_grid", "object_labels", "DEFAULT_SIZE"]

DEFAULT_SIZE = (480, 320)  # CLEVR's image size, used for a blank canvas when a graph has none
ATTENTION_CMAP = "viridis"  # attention weights: dark = none, yellow = all
OBJECT_CMAP = "tab10"  # object outlines when no weights are drawn

# CLEVR's renderer: 35 mm lens on a 32 mm sensor, 480 px wide -> focal length 525 px.
# Objects have radius 0.7 (large) or 0.35 (small) scene units; cubes reach a bit further.
_CLEVR_FOCAL_PER_WIDTH = 35 / 32
_CLEVR_RADIUS = {"large": 0.7, "small": 0.35}


# ------------------------------------------------------------------------------------ helpers
def object_labels(graph: SceneGraph, short: bool = False) -> list[str]:
    """One label per object: ``"3 large red metal cube"`` (``short``: ``"3 red cube"``)."""
    out = []
    for i, o in enumerate(graph.objects):
        keys = ("color",) if short else tuple(k for k in ("size", "color", "material") if k in o.attributes)
        extra = [v for k, v in o.attributes.items() if k not in ("size", "color", "material", "shape") and not short]
        words = [o.attributes[k] for k in keys if k in o.attributes] + extra + [o.name]
        out.append(" ".join([str(o.id if o.id is not None else i)] + [str(w) for w in words if w]))
    return out


def _canvas_size(image: Image.Image | None, graph: SceneGraph) -> tuple[int, int]:
    if image is not None:
        return image.size
    return (graph.width or DEFAULT_SIZE[0], graph.height or DEFAULT_SIZE[1])


def _background(image: Image.Image | None, size: tuple[int, int]) -> np.ndarray:
    if image is None:
        return np.full((size[1], size[0], 3), 235, dtype=np.uint8)  # light grey blank canvas
    return np.asarray(image.convert("RGB"))


def _geometry(graph: SceneGraph, width: int) -> list[tuple[str, tuple]]:
    """Per object ``("box", (x0, y0, x1, y1))``, ``("circle", (x, y, r))`` or ``("none", ())``."""
    focal = _CLEVR_FOCAL_PER_WIDTH * width
    out = []
    for o in graph.objects:
        if o.box is not None and len(o.box) == 4:
            out.append(("box", tuple(float(v) for v in o.box)))
        elif o.pixel is not None and len(o.pixel) >= 2:
            size = _CLEVR_RADIUS.get(o.attributes.get("size", ""), 0.5)
            depth = float(o.pixel[2]) if len(o.pixel) > 2 and o.pixel[2] else 0.0
            r = 1.15 * focal * size / depth if depth > 0.5 else 40 * size
            out.append(("circle", (float(o.pixel[0]), float(o.pixel[1]), r)))
        else:
            out.append(("none", ()))
    return out


def _label_anchor(kind: str, g: tuple) -> tuple[float, float]:
    if kind == "box":
        return g[0], g[1]
    return g[0] - g[2] * 0.7, g[1] - g[2] * 0.7


def _image_figure(size: tuple[int, int], background: np.ndarray, dpi: int = 100):
    """A figure exactly ``size`` pixels large whose single axes shows ``background`` in pixel coordinates."""
    w, h = size
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(background, extent=(0, w, h, 0), interpolation="bilinear")
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_axis_off()
    return fig, ax


def _patch(kind: str, g: tuple, **style):
    if kind == "box":
        x0, y0, x1, y1 = g
        return Rectangle((x0, y0), x1 - x0, y1 - y0, **style)
    return Circle((g[0], g[1]), g[2], **style)


def figure_to_image(fig: Figure, size: tuple[int, int] | None = None) -> Image.Image:
    """Render ``fig`` to an RGB ``PIL.Image`` (resized to ``size`` when given)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    img = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    if size is not None and img.size != tuple(size):
        img = img.resize(tuple(size), Image.Resampling.LANCZOS)
    return img


def image_grid(images: Sequence[Image.Image], columns: int = 3, gap: int = 4) -> Image.Image:
    """Lay ``images`` out in rows of ``columns`` (cells sized to the largest image) on white."""
    if not images:
        raise ValueError("image_grid needs at least one image")
    w = max(im.width for im in images)
    h = max(im.height for im in images)
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    grid = Image.new("RGB", (columns * w + (columns - 1) * gap, rows * h + (rows - 1) * gap), "white")
    for k, im in enumerate(images):
        grid.paste(im.convert("RGB"), ((k % columns) * (w + gap), (k // columns) * (h + gap)))
    return grid


def save_figure(fig: Figure, path, dpi: int = 100) -> None:
    """Write ``fig`` as PNG (used by the CLI; the figure keeps its own size)."""
    buf = io.BytesIO()
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.print_png(buf)
    atomic.write_bytes(path, buf.getvalue())

# ------------------------------------------------------------------------------ image overlays
def draw_objects(image: Image.Image | None, graph: SceneGraph) -> Image.Image:
    """The graph's objects over ``image``: outline, id and attributes for each.

    Args:
        image: the scene's picture, or None for a blank canvas of ``graph.width`` x ``graph.height``
            (default 480 x 320).
        graph: objects with ``box`` (xyxy pixels) or ``pixel`` (``[x, y, depth]``).

    Returns:
        RGB image of the input image's size.
    """
    size = _canvas_size(image, graph)
    fig, ax = _image_figure(size, _background(image, size))
    fs = max(5.0, 7.0 * size[1] / 320)
    cmap = colormaps[OBJECT_CMAP]
    labels = object_labels(graph)
    for i, (kind, g) in enumerate(_geometry(graph, size[0])):
        if kind == "none":
            continue
        colour = cmap(i % cmap.N)
        ax.add_patch(_patch(kind, g, fill=False, edgecolor=colour, linewidth=1.8))
        # two short lines at the object's centre overlap less than one long line at its corner
        x, y = ((g[0] + g[2]) / 2, (g[1] + g[3]) / 2) if kind == "box" else g[:2]
        words = labels[i].split(" ")
        text = " ".join(words[:2]) + ("\n" + " ".join(words[2:]) if len(words) > 2 else "")
        ax.text(x, y, text, fontsize=fs * 0.85, color="white", va="center", ha="center", clip_on=True,
                linespacing=0.9, bbox=dict(boxstyle="round,pad=0.12", facecolor=colour, edgecolor="none", alpha=0.8))
    return figure_to_image(fig, size)


def draw_object_attention(image: Image.Image | None, graph: SceneGraph, weights: Sequence[float],
                          title: str = "", vmax: float = 1.0) -> Image.Image:
    """Objects tinted by attention weight over ``image``, with a colour-bar legend.

    Args:
        image: the scene's picture (None: blank canvas of the graph's size, default 480 x 320).
        graph: the objects the weights refer to (same order).
        weights: one weight per object (``node_attn[t]``: sums to 1 over objects).
        title: drawn in the top-left corner.
        vmax: weight at the top of the colour scale (default 1, so steps compare directly).

    Returns:
        RGB image of the input image's size.
    """
    w = np.asarray([float(v) for v in weights], dtype=float)
    if len(w) != len(graph.objects):
        raise ValueError(f"got {len(w)} weights for {len(graph.objects)} objects; pass one weight per object")
    size = _canvas_size(image, graph)
    fig, ax = _image_figure(size, _background(image, size))
    fs = max(5.0, 7.0 * size[1] / 320)
    cmap, norm = colormaps[ATTENTION_CMAP], Normalize(0.0, vmax)
    ids = [str(o.id if o.id is not None else i) for i, o in enumerate(graph.objects)]
    geometry = _geometry(graph, size[0])
    # light objects first so the most attended outline is drawn on top
    for i in np.argsort(w, kind="stable"):
        kind, g = geometry[i]
        if kind == "none":
            continue
        colour = cmap(norm(w[i]))
        share = min(1.0, w[i] / vmax) if vmax > 0 else 0.0
        ax.add_patch(_patch(kind, g, facecolor=colour, alpha=0.15 + 0.45 * share, edgecolor="none"))
        ax.add_patch(_patch(kind, g, fill=False, edgecolor=colour, linewidth=1.0 + 3.0 * share))
        x, y = _label_anchor(kind, g)
        ax.text(x, y, f"{ids[i]}: {w[i]:.2f}", fontsize=fs, color="white", va="bottom", ha="left", clip_on=True,
                bbox=dict(boxstyle="round,pad=0.15", facecolor=colour, edgecolor="none", alpha=0.9))
    if title:
        ax.text(0.01, 0.98, title, transform=ax.transAxes, fontsize=fs * 1.15, va="top", ha="left",
                color="black", bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="none", alpha=0.8))
    cax = fig.add_axes((0.03, 0.05, 0.3, 0.03))
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, orientation="horizontal")
    bar.set_label("attention", fontsize=fs, labelpad=1)
    bar.ax.tick_params(labelsize=fs * 0.9, length=2, pad=1)
    return figure_to_image(fig, size)


# ---------------------------------------------------------------------------------- heatmaps
def _heatmap(ax, data: np.ndarray, xlabels: list[str], ylabels: list[str], vmax: float | None = None):
    if data.size == 0:  # no objects (empty graph) or no tokens: say so instead of an empty plot
        ax.text(0.5, 0.5, "nothing to show (no objects)" if not xlabels else "nothing to show", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return None
    im = ax.imshow(data, cmap=ATTENTION_CMAP, vmin=0.0, vmax=vmax if vmax is not None else max(float(data.max(initial=0)), 1e-6),
                   aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(xlabels)), xlabels, rotation=60, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(range(len(ylabels)), ylabels, fontsize=8)
    return im


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=float)


def draw_word_attention(tokens: list[str], word_attn, step_labels: list[str] | None = None) -> Figure:
    """Word attention as a T x L heatmap: one row per reasoning step, one column per token.

    Args:
        tokens: the L word pieces (``Explanation.tokens``).
        word_attn: ``[T, L]`` weights (tensor, array or nested lists); each row sums to 1.
        step_labels: row labels (default ``"step 0"`` ... ``"step T-1"``).
    """
    a = _array(word_attn)
    if a.ndim == 1:
        a = a[None]
    if a.shape[1] != len(tokens):
        raise ValueError(f"word attention has {a.shape[1]} columns for {len(tokens)} tokens")
    labels = step_labels or [f"step {t}" for t in range(a.shape[0])]
    fig = Figure(figsize=(max(4.0, 0.38 * len(tokens) + 1.8), 0.42 * a.shape[0] + 1.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = _heatmap(ax, a, tokens, labels, vmax=1.0)
    ax.set_title("word attention per step", fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
    return fig


def draw_word_attention_step(tokens: list[str], weights, title: str = "") -> Figure:
    """One step's word attention as bars over the tokens (``words_step{t}.png``)."""
    w = _array(weights).reshape(-1)
    if len(w) != len(tokens):
        raise ValueError(f"got {len(w)} weights for {len(tokens)} tokens")
    fig = Figure(figsize=(max(4.0, 0.38 * len(tokens) + 1.2), 2.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = colormaps[ATTENTION_CMAP]
    ax.bar(range(len(w)), w, color=[cmap(float(v)) for v in w], edgecolor="black", linewidth=0.4)
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("attention", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title or "word attention", fontsize=9)
    return fig


def draw_coattention(tokens: list[str], object_labels: list[str], coattn) -> Figure:
    """Co-attention as an L x N heatmap: how much each token attends to each object (rows sum to 1).

    Args:
        tokens: the L word pieces.
        object_labels: the N object names (``object_labels(graph)``).
        coattn: ``[L, N]`` weights.
    """
    a = _array(coattn)
    if a.shape != (len(tokens), len(object_labels)):
        raise ValueError(f"co-attention of shape {tuple(a.shape)} does not match {len(tokens)} tokens x "
                         f"{len(object_labels)} objects")
    fig = Figure(figsize=(max(4.0, 0.45 * len(object_labels) + 2.6), max(3.0, 0.26 * len(tokens) + 1.8)),
                 dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = _heatmap(ax, a, list(object_labels), list(tokens), vmax=1.0)
    ax.set_title("co-attention: tokens x objects", fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
    return fig


# ------------------------------------------------------------------------------- scene graph
def draw_scene_graph(graph: SceneGraph, node_weights=None, edge_index=None, edge_weights=None,
                     max_edges: int = 8, title: str = "", edge_labels: list[str] | None = None) -> Figure:
    """The scene graph drawn with networkx: objects as labelled nodes, relations as edges.

    Nodes sit at the objects' image positions when known (else a spring layout); with
    ``node_weights`` their colour and size follow the attention and the most attended node is
    outlined. CLEVR graphs are complete (every pair is left/right and front/behind of each
    other), so only ``max_edges`` edges are drawn: the highest ``edge_weights`` when given
    (width follows the weight), otherwise each object's nearest neighbours.

    Args:
        graph: the scene graph.
        node_weights: ``[N]`` attention per object, or None.
        edge_index: ``[2, E]`` object indices ``(source j, target i)`` of ``edge_weights``.
        edge_weights: ``[E]`` weight per edge (e.g. the reasoner's edge attention).
        max_edges: how many edges to draw (default 8).
        title: the axes title.
        edge_labels: ``[E]`` the predicate each edge stands for (a photo answer's step follows one); "" or
            None: every predicate between its ends.
    """
    n = len(graph.objects)
    labels = object_labels(graph)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    pos = {}
    for i, o in enumerate(graph.objects):
        if o.pixel is not None and len(o.pixel) >= 2:
            pos[i] = (float(o.pixel[0]), -float(o.pixel[1]))
        elif o.box is not None and len(o.box) == 4:
            pos[i] = ((o.box[0] + o.box[2]) / 2, -(o.box[1] + o.box[3]) / 2)
    if len(pos) < n:
        pos = nx.spring_layout(g, seed=0) if n else {}

    edges, named = [], {}  # (source, target, weight); (source, target) -> the predicate it stands for
    if edge_weights is not None and edge_index is not None:
        ei, ew = _array(edge_index).astype(int), _array(edge_weights).reshape(-1)
        order = np.argsort(-ew, kind="stable")[:max_edges]
        edges = [(int(ei[0, k]), int(ei[1, k]), float(ew[k])) for k in order if ei[0, k] < n and ei[1, k] < n]
        named = {(int(ei[0, k]), int(ei[1, k])): edge_labels[k] for k in order if edge_labels and edge_labels[k]}
    elif n > 1:
        xy = np.array([pos[i] for i in range(n)], dtype=float)
        d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(n) * 1e12
        pairs = sorted({(min(i, j), max(i, j)) for i in range(n) for j in np.argsort(d[i])[:1]},
                       key=lambda p: d[p[0], p[1]])[:max_edges]
        edges = [(i, j, 1.0) for i, j in pairs]
    for i, j, _ in edges:  # Relation(j, pred, i) = "j is pred of i"; the reasoner's edge j -> i carries them all
        named.setdefault((i, j), ", ".join(sorted(r.predicate for r in graph.relations if r.subject == i
                                                  and r.object == j)))
    g.add_weighted_edges_from(edges)

    fig = Figure(figsize=(6.4, 4.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    cmap = colormaps[ATTENTION_CMAP]
    if node_weights is not None:
        w = _array(node_weights).reshape(-1)
        if len(w) != n:
            raise ValueError(f"got {len(w)} node weights for {n} objects")
        colours = [cmap(float(v)) for v in w]
        sizes = [250 + 900 * float(min(v, 1.0)) for v in w]
        top = [int(np.argmax(w))] if n else []
    else:
        colours, sizes, top = ["lightsteelblue"] * n, [400] * n, []
    if edges:
        wmax = max(e[2] for e in edges) or 1.0
        # arrows (curved, so j -> i and i -> j stay apart) only when the weights are directed
        style = dict(connectionstyle="arc3,rad=0.12") if edge_weights is not None else {}
        nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[(i, j) for i, j, _ in edges],
                               width=[0.5 + 3.5 * e[2] / wmax for e in edges], edge_color="dimgray",
                               arrows=edge_weights is not None, arrowsize=10, node_size=sizes, **style)
        nx.draw_networkx_edge_labels(g, pos, ax=ax, edge_labels={(i, j): named[i, j] for i, j, _ in edges},
                                     font_size=6, font_color="dimgray", bbox=dict(facecolor="white", edgecolor="none",
                                                                                  alpha=0.7, pad=0.5), **style)
    if n:
        nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colours, node_size=sizes, edgecolors="black", linewidths=0.6)
        if top:
            nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=top, node_size=[sizes[top[0]] * 1.6], node_color="none",
                                   edgecolors="crimson", linewidths=2.0)
        # ids on the nodes, descriptions just below them, so the node colour stays visible
        ys = [p[1] for p in pos.values()]
        drop = 0.06 * ((max(ys) - min(ys)) or 1.0)
        nx.draw_networkx_labels(g, pos, ax=ax, labels={i: labels[i].split(" ")[0] for i in range(n)}, font_size=7,
                                font_color="white", font_weight="bold")
        nx.draw_networkx_labels(g, {i: (x, y - drop) for i, (x, y) in pos.items()}, ax=ax, font_size=6,
                                labels={i: labels[i].split(" ", 1)[-1] for i in range(n)}, verticalalignment="top",
                                bbox=dict(facecolor="white", edgecolor="none", alpha=0.6, pad=0.3))
    if node_weights is not None:
        fig.colorbar(ScalarMappable(norm=Normalize(0, 1), cmap=cmap), ax=ax, fraction=0.035,
                     pad=0.01, label="node attention")
    ax.set_title(title or "scene graph", fontsize=9)
    ax.margins(0.08)
    return fig
