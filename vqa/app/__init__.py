"""The Gradio app: handlers (``handlers.py``, no UI), the page (``blocks.py``), uploads and scene graphs.

``python app.py`` and ``vqa serve`` both call ``launch``.
"""
from .blocks import CONCURRENCY_LIMIT, build_app, launch
from .handlers import AppModels, Answered, api_result, ask
from .uploads import MAX_PIXELS, MAX_UPLOAD_BYTES

__all__ = ["build_app", "launch", "AppModels", "Answered", "ask", "api_result", "CONCURRENCY_LIMIT",
           "MAX_UPLOAD_BYTES", "MAX_PIXELS"]
