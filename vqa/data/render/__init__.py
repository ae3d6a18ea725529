"""Our CLEVR renderer: a Blender script (``blender_scene.py``) driven by ``render_scenes``."""
from .renderer import RenderConfig, find_blender, mask_rle, render_scenes

__all__ = ["RenderConfig", "render_scenes", "find_blender", "mask_rle"]
