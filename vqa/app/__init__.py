"""The Gradio app (Blocks built here; ``app.py`` only launches it)."""
from .blocks import build_app, launch

__all__ = ["build_app", "launch"]
