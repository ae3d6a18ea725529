"""Pictures of what the detector found, drawn with detectron2's ``Visualizer``."""
from __future__ import annotations

import numpy as np
from PIL import Image

from ..base import Detections

__all__ = ["draw_detections"]

# CLEVR's colours (properties.json), so each box is drawn in the colour the detector read
_RGB = {"gray": (87, 87, 87), "red": (173, 35, 35), "blue": (42, 75, 215), "green": (29, 105, 20),
        "brown": (129, 74, 25), "purple": (129, 38, 192), "cyan": (41, 208, 208), "yellow": (255, 238, 51)}


def draw_detections(image: Image.Image, detections: Detections) -> Image.Image:
    """``image`` with each detection's box (in its predicted colour), label
    ``"size colour material shape score"`` and projected centre (white dot)."""
    from .compat import quiet_import  # detectron2's import notice, silenced by name

    with quiet_import():
        from detectron2.utils.visualizer import Visualizer  # defers detectron2 (only --draw needs it)

    vis = Visualizer(np.asarray(image.convert("RGB")))
    if not detections.objects:
        return Image.fromarray(vis.output.get_image())
    labels, colours = [], []
    for o in detections.objects:
        top = {a: max(p, key=p.get) for a, p in o.attributes.items() if p}
        labels.append(" ".join(top.get(a, "?") for a in ("size", "color", "material", "shape")) + f" {o.score:.2f}")
        colours.append(tuple(c / 255 for c in _RGB.get(top.get("color"), (255, 255, 255))))
    vis.overlay_instances(boxes=np.array([o.box for o in detections.objects]), labels=labels, assigned_colors=colours)
    for o in detections.objects:
        if o.pixel is not None:
            vis.draw_circle(tuple(o.pixel[:2]), color="white", radius=2)
    return Image.fromarray(vis.output.get_image())
